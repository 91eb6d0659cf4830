package testproc

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Start starts cmd with its output appended to logPath, and returns a
// channel that receives its exit. At the end of the test it is sent stop
// (then killed after 30 s); death is what it gets if the test binary
// dies first (Linux only). cmd.SysProcAttr may be preset (a credential).
func Start(t testing.TB, cmd *exec.Cmd, logPath string, stop, death syscall.Signal) <-chan error {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	withParentDeathSignal(cmd.SysProcAttr, death)
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(stop)
		select {
		case err := <-exited:
			exited <- err // for a caller still watching
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			exited <- <-exited
		}
		_ = logf.Close()
	})
	return exited
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
