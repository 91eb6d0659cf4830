package shard

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a manual clock for tests.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) unix() int64         { return c.ns.Load() }
func testKeys(t testing.TB) KeySource {
	keys := map[uint32][]byte{}
	for v := uint32(1); v <= 3; v++ {
		k := make([]byte, 32)
		rand.Read(k)
		keys[v] = k
	}
	return func(v uint32) ([]byte, error) {
		if k, ok := keys[v]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no key version %d", v)
	}
}

func entry(i int) Entry {
	return Entry{Meta: []byte(fmt.Sprintf("pk-%d", i)), Data: bytes.Repeat([]byte{byte(i)}, 10+i%200)}
}

func appendN(t *testing.T, l Log, from, n, per int) {
	t.Helper()
	for i := from; i < from+n; i += per {
		var batch []Entry
		for j := i; j < i+per && j < from+n; j++ {
			batch = append(batch, entry(j))
		}
		if _, err := l.Append(context.Background(), batch); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func checkRecords(t *testing.T, recs []Record, firstSeq uint64, firstEntry int) {
	t.Helper()
	for i, r := range recs {
		want := entry(firstEntry + i)
		if r.Seq != firstSeq+uint64(i) {
			t.Fatalf("record %d: seq %d, want %d", i, r.Seq, firstSeq+uint64(i))
		}
		if !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) {
			t.Fatalf("record seq %d: got meta %q data %d bytes, want %q %d bytes", r.Seq, r.Meta, len(r.Data), want.Meta, len(want.Data))
		}
		if i > 0 && r.Time < recs[i-1].Time {
			t.Fatalf("record seq %d: time went backwards", r.Seq)
		}
	}
}

// TestEncryptedFilesHoldNoPlaintext checks the bytes on disk.
func TestEncryptedFilesHoldNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	fl, err := Open(Options{Dir: dir, SegmentMaxBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	l := Seal(fl, testKeys(t), "stream/shard")
	l.SetKey(1)
	marker := []byte("PLAINTEXT-MARKER-")
	for i := 0; i < 200; i++ {
		e := Entry{Meta: append([]byte("KEY-MARKER-"), byte('a'+i%26)), Data: append(append([]byte(nil), marker...), byte(i))}
		if _, err := l.Append(context.Background(), []Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		files++
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, marker) || bytes.Contains(b, []byte("KEY-MARKER-")) {
			t.Errorf("%s contains plaintext", p)
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("expected several files, found %d", files)
	}
}

func TestSkipToSurvivesACrash(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir)
	appendN(t, l, 0, 3, 1)
	if err := l.SkipTo(context.Background(), 500); err != nil {
		t.Fatal(err)
	}
	// No clean close: what is on disk must keep the skip.
	crashed := copyDir(t, dir)
	l.Close()
	l2 := openFile(t, crashed)
	defer l2.Close()
	res, err := l2.Append(context.Background(), []Entry{entry(3)})
	if err != nil || res.FirstSeq < 500 {
		t.Fatalf("append after a crash following a skip: %+v %v", res, err)
	}
}
