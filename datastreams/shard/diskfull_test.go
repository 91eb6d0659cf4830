package shard

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory and unmounts
// it when the test ends. Tests run as root; one that cannot mount fails.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("/bin/mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s (the test needs root): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("/bin/umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file taking every free byte of dir's file system.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xAB}, 64<<10)
	for len(chunk) > 0 {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			chunk = chunk[:len(chunk)/2]
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bavail != 0 {
		t.Fatalf("the file system still has %d free blocks", st.Bavail)
	}
	return path
}

// A full disk fails appends with ErrDiskFull naming the data file, loses
// nothing committed, and the same log appends again once space is freed.
func TestDiskFullRecovers(t *testing.T) {
	dir := mountTmpfs(t, 4<<20)
	l, err := Open(Options{Dir: filepath.Join(dir, "log"), SegmentMaxBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	payload := bytes.Repeat([]byte("x"), 8<<10)
	var acked []uint64
	for range 10 {
		res, err := l.Append(ctx, []Entry{{Data: payload}})
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, res.FirstSeq)
	}
	filler := fillDisk(t, dir)

	// Fill the active segment past its size limit so that a roll (a new
	// file) is needed as well as plain writes.
	var sawWrite, sawRoll bool
	for i := 0; i < 64 && !(sawWrite && sawRoll); i++ {
		res, err := l.Append(ctx, []Entry{{Data: payload}})
		if err == nil { // space reserved ahead in the active segment
			acked = append(acked, res.FirstSeq)
			continue
		}
		if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append on a full disk: want ErrDiskFull, got %v", err)
		}
		msg := err.Error()
		if strings.Contains(msg, ".tmp") || !strings.Contains(msg, ".seg") {
			t.Fatalf("the error must name the data file, not a temporary one: %v", err)
		}
		if strings.Contains(msg, "create segment") {
			sawRoll = true
		} else {
			sawWrite = true
		}
	}
	if !sawWrite {
		t.Fatal("no append failed while the disk was full")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// Without reopening: enough appends to roll to new segments.
	for range 64 {
		res, err := l.Append(ctx, []Entry{{Data: payload}})
		if err != nil {
			t.Fatalf("append after space returned: %v", err)
		}
		acked = append(acked, res.FirstSeq)
	}
	for i := 1; i < len(acked); i++ {
		if acked[i] != acked[i-1]+1 {
			t.Fatalf("sequence numbers %d then %d: a failed append took a number", acked[i-1], acked[i])
		}
	}
	recs, err := l.Read(context.Background(), acked[0], len(acked)+10, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(acked) {
		t.Fatalf("read %d records, %d were acknowledged", len(recs), len(acked))
	}
	l.Close()

	// And every acknowledged record survives a reopen.
	l2, err := Open(Options{Dir: filepath.Join(dir, "log"), SegmentMaxBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	recs, err = l2.Read(context.Background(), acked[0], len(acked)+10, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(acked) || recs[len(recs)-1].Seq != acked[len(acked)-1] {
		t.Fatalf("after reopen: %d records, %d acknowledged", len(recs), len(acked))
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err != nil {
		t.Fatal(err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "log", "*.tmp")); len(tmps) > 0 {
		t.Fatalf("temporary files left behind: %v", tmps)
	}
}
