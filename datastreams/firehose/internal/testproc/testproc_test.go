package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A started process writes to its log, and the end of the test stops it
// with the stop signal.
func TestStartStopsAtCleanup(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "log")
	var exited <-chan error
	t.Run("run", func(t *testing.T) {
		cmd := exec.Command("sh", "-c", "echo started; trap 'echo stopping; exit 0' TERM; while :; do sleep 0.05; done")
		exited = Start(t, cmd, logPath, syscall.SIGTERM, syscall.SIGKILL)
		for {
			b, _ := os.ReadFile(logPath)
			if strings.Contains(string(b), "started") {
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("exited early: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	if err := <-exited; err != nil {
		t.Fatalf("exit after the stop signal: %v", err)
	}
	b, _ := os.ReadFile(logPath)
	if !strings.Contains(string(b), "stopping") {
		t.Fatalf("log: %q", b)
	}
	if p := FreePort(t); p <= 0 {
		t.Fatalf("port %d", p)
	}
}
