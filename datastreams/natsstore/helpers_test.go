package natsstore

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// embedded starts a nats-server with JetStream inside the test process,
// keeping its data in dir, and returns its URL. Shut it down with the
// returned function (also done at cleanup).
func embedded(t testing.TB, dir string, port int) (url string, stop func()) {
	t.Helper()
	return embeddedWith(t, dir, port, func(*server.Options) {})
}

// embeddedWith is embedded with the server options changed by set.
func embeddedWith(t testing.TB, dir string, port int, set func(*server.Options)) (url string, stop func()) {
	t.Helper()
	if port == 0 {
		port = -1
	}
	o := &server.Options{
		Host:      "127.0.0.1",
		Port:      port,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
	}
	set(o)
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("embedded nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		t.Fatal("embedded nats-server did not start")
	}
	var stopped atomic.Bool
	stop = func() {
		if stopped.CompareAndSwap(false, true) {
			s.Shutdown()
			s.WaitForShutdown()
		}
	}
	t.Cleanup(stop)
	return s.ClientURL(), stop
}

// natsServerBinary is Debian's nats-server; a missing one fails the test.
func natsServerBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nats-server", "/usr/bin/nats-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("nats-server not installed (apt-get install nats-server)")
	return ""
}

// freePort returns a TCP port nothing listens on at the moment.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process runs the nats-server binary as a real process with JetStream in
// dir on port; kill stops it with SIGKILL and waits for it.
type process struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	dir  string
	port int
}

func startProcess(t testing.TB, dir string, port int) *process {
	t.Helper()
	bin := natsServerBinary(t)
	if port == 0 {
		port = freePort(t)
	}
	p := &process{t: t, dir: dir, port: port, URL: "nats://127.0.0.1:" + strconv.Itoa(port)}
	p.cmd = exec.Command(bin, "-js", "-sd", dir, "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	p.cmd.Stdout, p.cmd.Stderr = os.Stderr, os.Stderr
	if !testing.Verbose() {
		p.cmd.Stdout, p.cmd.Stderr = nil, nil
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(p.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not listen on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *process) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// connect opens a Conn for the test, closed at cleanup.
func connect(t testing.TB, url string, cfg Config) *Conn {
	t.Helper()
	cfg.URL = url
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(c.Close)
	return c
}

// clock is a manual clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) unix() int64         { return c.ns.Load() }
