package shard

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecover feeds arbitrary bytes as the tail of a segment: opening must
// never panic and must keep exactly a valid prefix.
func FuzzRecover(f *testing.F) {
	seed := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = appendRecord(b, uint64(i+1), int64(i), entry(i))
		}
		return b
	}
	f.Add(seed(3))
	f.Add(seed(1)[:10])
	f.Add([]byte{0, 0, 0, 28})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		hdr := segHeader{FirstSeq: 1, Created: 1}
		os.WriteFile(filepath.Join(dir, segName(1)), append(hdr.marshal(), tail...), 0o644)
		l, err := Open(Options{Dir: dir})
		if err != nil {
			return // a clear error is fine; a panic is not
		}
		defer l.Close()
		b := l.Bounds()
		recs, err := l.Read(context.Background(), 1, 1<<20, 1<<30)
		if err != nil {
			t.Fatalf("read after recovery: %v", err)
		}
		if uint64(len(recs)) > b.Next-b.First {
			t.Fatalf("bounds %+v but %d records", b, len(recs))
		}
		for i, r := range recs {
			if r.Seq < b.First || r.Seq >= b.Next || (i > 0 && r.Seq <= recs[i-1].Seq) {
				t.Fatalf("record %d has seq %d (bounds %+v)", i, r.Seq, b)
			}
		}
		// A valid prefix is always kept.
		want := 0
		for off := 0; off < len(tail); want++ {
			r, err := parseRecord(tail[off:])
			if err != nil || r.seq != uint64(want+1) {
				break
			}
			off += r.size
		}
		if len(recs) < want {
			t.Fatalf("%d records recovered, the valid prefix holds %d", len(recs), want)
		}
		for i := range want {
			if recs[i].Seq != uint64(i+1) {
				t.Fatalf("prefix record %d has seq %d", i, recs[i].Seq)
			}
		}
	})
}

// FuzzSegmentIndex feeds arbitrary bytes as a stored segment index (the
// catalog is a cache that may hold anything): decoding never panics, and
// what it accepts encodes back to the same bytes.
func FuzzSegmentIndex(f *testing.F) {
	s := &segment{size: 4096, lastSeq: 9, lastT: 99, index: []idxEntry{{seq: 1, time: 2, off: 64}},
		damaged: []damage{{off: 100, end: 200, from: 3, to: 4, reason: "record checksum"}}}
	f.Add(encodeSegmentIndex(s), int64(4096))
	f.Add([]byte(idxMagic), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		x, ok := decodeSegmentIndex(b, size)
		if !ok {
			return
		}
		again := &segment{size: size, lastSeq: x.lastSeq, lastT: x.lastT, index: x.index, damaged: x.damaged}
		if enc := encodeSegmentIndex(again); binary.BigEndian.Uint16(b[8:]) == idxVersion && !bytes.Equal(enc, b) {
			t.Fatalf("re-encoded index differs")
		}
	})
}

// FuzzPositionSlot feeds arbitrary bytes as a position file: reading it
// never panics.
func FuzzPositionSlot(f *testing.F) {
	f.Add(make([]byte, 2*slotSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, positionName), b, 0o644)
		if _, err := readPosition(dir); err != nil {
			t.Fatal(err)
		}
	})
}
