package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
)

// testServer runs the real server assembly in-process on a loopback port.
type testServer struct {
	*server
	dir string
}

func testConfig(t *testing.T) Config {
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTP = "127.0.0.1:0"
	cfg.RTSP = "127.0.0.1:0"
	cfg.RTSPUDPRTP, cfg.RTSPUDPRTCP = "", ""
	cfg.WebRTC = "127.0.0.1:0"
	if storageUnderTest() == "nats" {
		cfg.Storage = "nats"
		cfg.NATS.URL = natsURL(t)
		cfg.NATS.Prefix = natsPrefix(cfg.DataDir)
	}
	return cfg
}

// fileConfig is testConfig on the file store, for the tests of what that
// store does with its files (damage, a full disk, the catalog cache); the
// JetStream store has its own.
func fileConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.Storage = "file"
	return cfg
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := newServer(cfg, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	ts := &testServer{server: srv, dir: cfg.DataDir}
	t.Cleanup(func() { srv.Close() })
	return ts
}

// testWriter sends server logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

var testCreds = aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-for-tests"}

// client returns a Kinesis client of the AWS SDK pointed at url. It never
// retries, so every error reaches the test, and it uses the HTTP client
// wrapper the README gives users (sdkHTTPClient).
func client(url string, creds aws.Credentials) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:   sdkHTTPClient(awshttp.NewBuildableClient()),
		Retryer:      aws.NopRetryer{},
	})
}

// sdkHTTPClient wraps the AWS SDK's HTTP client so that net/http never
// reads a request body through the SDK's WriteTo, which answers io.EOF once
// the SDK has closed the body; net/http takes that for a failed write and
// closes the connection the answer is being read from
// (TestSDKAnswerBeforeWriteLoopEnds).
func sdkHTTPClient(c aws.HTTPClient) aws.HTTPClient { return bodyWithoutWriteTo{c} }

type bodyWithoutWriteTo struct{ aws.HTTPClient }

func (c bodyWithoutWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context()) // a shallow copy: the SDK closes its own body after Do
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.HTTPClient.Do(r)
}

// apiErr returns the AWS error code and message of err.
func apiErr(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	c, m := apiErr(t, err)
	if c != code || (msg != "" && m != msg) {
		t.Fatalf("want %s %q\n got %s %q", code, msg, c, m)
	}
}

// buildShardcast builds the shardcast command into a temporary directory.
func buildShardcast(flags ...string) (string, error) {
	dir, err := os.MkdirTemp("", "shardcast-bin")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "shardcast")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", path, "github.com/shardcast/shardcast/cmd/shardcast")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return path, nil
}

// shardcastBinary is built once per test binary, with the race detector
// for tests; benchmarks use an optimized build.
var (
	shardcastBinary = sync.OnceValues(func() (string, error) { return buildShardcast("-race") })
	benchBinary     = sync.OnceValues(func() (string, error) { return buildShardcast() })
)

// proc is a shardcast process.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	mu     sync.Mutex
}

// startBinary runs the shardcast binary with args and waits for its URL.
func startBinary(t testing.TB, args ...string) *proc {
	t.Helper()
	return startBuilt(t, shardcastBinary, args...)
}

func startBuilt(t testing.TB, build func() (string, error), args ...string) *proc {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatalf("build shardcast: %v", err)
	}
	args = natsArgs(t, args)
	cmd := exec.Command(bin, append([]string{"--http", "127.0.0.1:0", "--rtsp", "127.0.0.1:0", "--rtsp-udp-rtp", "", "--rtsp-udp-rtcp", "",
		"--webrtc", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = lockedWriter{p}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		var all []byte
		sent := false
		for {
			n, err := stdout.Read(buf)
			all = append(all, buf[:n]...)
			if !sent {
				if i := bytes.Index(all, []byte("Kinesis API  ")); i >= 0 {
					rest := all[i+len("Kinesis API  "):]
					if j := bytes.IndexByte(rest, '/'); j >= 0 {
						if k := bytes.IndexAny(rest[j+2:], "/ "); k >= 0 {
							urlc <- string(rest[:j+2+k])
							sent = true
						}
					}
				}
			}
			if err != nil {
				if !sent {
					close(urlc)
				}
				io.Copy(io.Discard, stdout)
				return
			}
		}
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			cmd.Wait()
			t.Fatalf("shardcast exited before listening: %s", p.stderrText())
		}
		p.url = u
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("shardcast did not print its URL: %s", p.stderrText())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("shardcast stderr:\n%s", p.stderrText())
		}
	})
	return p
}

type lockedWriter struct{ p *proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// kill ends the process with SIGKILL, as a crash would.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// stop ends the process with SIGTERM and waits for a clean exit.
func (p *proc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("shardcast exit: %v\n%s", err, p.stderrText())
	}
}

// startChromium opens url in headless Chromium, with the flags this closed
// network needs, autoplay allowed, and extra (a fake camera, loopback
// WebRTC); its output goes to logs. stop ends it, as the test's end does.
func startChromium(t testing.TB, url string, extra ...string) (logs *syncBuffer, stop func()) {
	t.Helper()
	args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--autoplay-policy=no-user-gesture-required", "--user-data-dir=" + t.TempDir()}, extra...)
	browser := exec.Command("chromium", append(args, url)...)
	logs = new(syncBuffer)
	browser.Stdout, browser.Stderr = logs, logs
	if err := browser.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { browser.Process.Kill(); browser.Wait() }) }
	t.Cleanup(stop)
	return logs, stop
}
