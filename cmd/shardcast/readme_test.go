package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// readmeBlock is a fenced code block of README.md.
type readmeBlock struct {
	line int    // line of the opening fence
	lang string // sh, python, ...
	text string
}

// usageBlocks returns the code blocks of README's usage sections: from
// "## Using it" to the next level-2 heading.
func usageBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []readmeBlock
	var cur *readmeBlock
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case strings.HasPrefix(line, "## "):
			in = line == "## Using it"
		case in && strings.HasPrefix(line, "```"):
			cur = &readmeBlock{line: n, lang: strings.TrimPrefix(line, "```")}
		}
	}
	return out
}

// TestReadmeExamples runs every shell, Python and JavaScript block of README's usage
// sections, in order, in one shell, against a fresh server, as a user would
// paste them:
// the README cannot rot without this test failing. The blocks' addresses
// (127.0.0.1:8080 and :8554) are pointed at the test's server.
func TestReadmeExamples(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe", "gst-launch-1.0", "curl", "/usr/bin/aws", "/usr/bin/python3", "node", "bash"} {
		need(t, tool)
	}
	blocks := usageBlocks(t)
	srv := videoServer(t, true, nil) // UDP on, as by default
	httpAddr := strings.TrimPrefix(srv.URL(), "http://")
	rtspAddr := hostPort(srv.rtsp.Addr())
	var script strings.Builder
	script.WriteString("set -euo pipefail\ntrap 'st=$?; kill $(jobs -p) 2>/dev/null || true; exit $st' EXIT\n")
	shells := 0
	for _, b := range blocks {
		text := strings.ReplaceAll(b.text, "127.0.0.1:8080", httpAddr)
		text = strings.ReplaceAll(text, "127.0.0.1:8554", rtspAddr)
		// The server's data directory, which the examples call ./data.
		text = strings.ReplaceAll(text, "./data/", srv.dir+"/")
		switch b.lang {
		case "sh":
			shells++
		case "python":
			// Debian's python3, which has python3-boto3.
			text = "/usr/bin/python3 - <<'README_PYTHON'\n" + text + "README_PYTHON\n"
		case "js":
			// An ES module beside the test npm project's node_modules.
			text = fmt.Sprintf("cat > readme-%d.mjs <<'README_JS'\n%sREADME_JS\nnode readme-%d.mjs\n", b.line, text, b.line)
		default:
			continue
		}
		fmt.Fprintf(&script, "echo '### README.md line %d' >&2\n%s", b.line, text)
	}
	if shells < 4 {
		t.Fatalf("found %d shell blocks in README's usage sections", shells)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	modules, err := filepath.Abs("testdata/jsclient/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(cmd.Dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	// The examples use the AWS CLI v2, which make test installs as /usr/bin/aws.
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README examples failed: %v\n%s", err, out)
	}
	t.Logf("README examples:\n%s", out)
	// Both test cameras published: their streams hold fragments.
	for _, name := range []string{"door-cam", "garden"} {
		st, err := srv.video.Lookup(fragments.StreamRef{Name: name})
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if first, next := st.Bounds(); next <= first {
			t.Fatalf("stream %s holds no fragment", name)
		}
	}
}
