package audit

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// limitFileSize makes the kernel refuse writes past size bytes in any
// file of this process (RLIMIT_FSIZE: EFBIG, as a full disk refuses with
// ENOSPC), until the returned func restores the limit.
func limitFileSize(t *testing.T, size int64) (restore func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(size)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(restore)
	return restore
}

// waitFails waits until the writer has failed n times in all.
func waitFails(l *Log, n uint64) {
	for l.Stats().WriteFails < n {
		time.Sleep(5 * time.Millisecond)
	}
}

// A write the disk refuses halfway is cut back and retried whole once
// the disk has room: nothing lost, repeated or split. Meanwhile the
// queue fills, and Record drops and counts without waiting.
func TestFullDiskRetriesWithoutLoss(t *testing.T) {
	const queue = 8
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path, Queue: queue})
	l.Record(event(0))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	// Room for part of the next line only.
	restore := limitFileSize(t, st.Size()+10)
	l.Record(event(1))
	waitFails(l, 1) // the writer holds event 1 and retries
	for i := 2; i < 2+queue+5; i++ {
		l.Record(event(i)) // 8 fit the queue, 5 are dropped
	}
	if s := l.Stats(); s.Dropped != 5 || s.Written != 1 {
		t.Errorf("stats while the disk is full: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Flush(ctx); err == nil {
		t.Error("Flush reported durable while the disk refuses writes")
	}

	restore()
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readEvents(t, path)
	if len(got) != 2+queue {
		t.Fatalf("%d lines after recovery, want %d", len(got), 2+queue)
	}
	for i, e := range got {
		if e.RequestID != strconv.Itoa(i) {
			t.Fatalf("line %d is %+v", i, e)
		}
	}
	if s := l.Stats(); s.Written != 2+queue || s.Dropped != 5 || s.WriteFails == 0 {
		t.Errorf("stats after recovery: %+v", s)
	}
}

// Close on a disk that still refuses gives up: it returns the error and
// counts what it could not write as dropped.
func TestCloseOnFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path, Queue: 4})
	limitFileSize(t, 0)
	l.Record(event(0))
	waitFails(l, 1)
	l.Record(event(1))
	l.Record(event(2))
	if err := l.Close(); err == nil {
		t.Fatal("Close on a full disk reported no error")
	}
	if s := l.Stats(); s.Dropped != 3 || s.Written != 0 {
		t.Errorf("stats %+v", s)
	}
	if err := l.Flush(context.Background()); err == nil {
		t.Error("Flush after a failed Close reported durable")
	}
}
