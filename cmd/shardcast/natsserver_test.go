package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The end-to-end suite runs on the file store, and on NATS JetStream when
// SHARDCAST_TEST_STORAGE=nats (make test runs it both ways). The JetStream
// runs start Debian's nats-server as a real process, one for the whole test
// binary; every server of a test gets its own prefix, so tests never see
// each other's streams, and a restart over the same data directory finds
// its streams again.

// storageUnderTest is the backend the end-to-end tests run on.
func storageUnderTest() string {
	if s := os.Getenv("SHARDCAST_TEST_STORAGE"); s != "" {
		return s
	}
	return "file"
}

// natsProc is the nats-server of this test binary, started on first use.
type natsProc struct {
	url string
	dir string
	cmd *exec.Cmd
}

var (
	natsServer  = sync.OnceValues(startNATSServer)
	natsStarted atomic.Bool
)

// natsURL returns the URL of this test binary's nats-server.
func natsURL(t testing.TB) string {
	t.Helper()
	p, err := natsServer()
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	return p.url
}

// natsBinary finds nats-server (Debian installs it in /usr/sbin).
func natsBinary() (string, error) {
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		return "/usr/sbin/nats-server", nil
	}
	return "", fmt.Errorf("nats-server is not installed (make deps installs Debian's nats-server)")
}

func startNATSServer() (*natsProc, error) {
	bin, err := natsBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "shardcast-nats")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// nats-server's defaults (max_payload 1 MiB: records over half of it
	// go in chunks), as a user's server would have them.
	conf := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "listen: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n}\n", port, filepath.Join(dir, "js")), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	natsStarted.Store(true)
	p := &natsProc{url: fmt.Sprintf("nats://127.0.0.1:%d", port), dir: dir, cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("nats-server did not listen on %d: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *natsProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(p.dir)
}

// natsPrefix names the JetStream streams and buckets of the server whose
// data directory is dir: the same directory finds the same streams again.
func natsPrefix(dir string) string {
	h := sha256.Sum256([]byte(dir))
	return "t" + hex.EncodeToString(h[:6])
}

// natsArgs adds the JetStream flags to a shardcast command line that runs
// on it (by --storage, or by the suite's backend when it names none).
func natsArgs(t testing.TB, args []string) []string {
	storage := storageUnderTest()
	dir := ""
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--storage":
			storage = args[i+1]
		case "--data-dir":
			dir = args[i+1]
		}
	}
	if storage != "nats" || slices.Contains(args, "--nats-url") {
		return args
	}
	if !slices.Contains(args, "--storage") {
		args = append(args, "--storage", "nats")
	}
	if dir == "" {
		dir = t.TempDir()
		args = append(args, "--data-dir", dir)
	}
	return append(args, "--nats-url", natsURL(t), "--nats-prefix", natsPrefix(dir))
}

func TestMain(m *testing.M) {
	code := m.Run()
	if !natsStarted.Load() {
		os.Exit(code)
	}
	if p, err := natsServer(); err == nil && p != nil {
		p.stop()
	}
	os.Exit(code)
}
