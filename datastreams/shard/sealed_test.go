package shard

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sealed record altered in the store, or of an unknown encoding, is
// passed over and listed by Damaged; the records around it are served.
func TestSealedSkipsRecordsThatDoNotOpen(t *testing.T) {
	ctx := context.Background()
	inner := NewMem(nil, 0)
	sl := Seal(inner, testKeys(t), "s/0")
	sl.SetKey(1)
	appendN(t, sl, 0, 6, 1)
	// Alter records 2 and 3 where the inner log keeps them.
	for _, seq := range []int{1, 2} {
		r := inner.d.recs[seq]
		r.data[len(r.data)/2] ^= 1
	}
	inner.d.recs[4].meta[0] = 7 // an unknown encoding
	recs, err := sl.Read(ctx, 1, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
		want := entry(int(r.Seq - 1))
		if !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) || r.KeyVer != 1 {
			t.Fatalf("record %d served wrong", r.Seq)
		}
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 4 || seqs[2] != 6 {
		t.Fatalf("served %v, want 1 4 6", seqs)
	}
	d := sl.Damaged()
	if len(d) != 3 || d[0].FromSeq != 2 || d[1].FromSeq != 3 || d[2].FromSeq != 5 || !strings.Contains(d[0].Reason, ErrCorrupt.Error()) {
		t.Fatalf("damage %+v", d)
	}
	// A read that starts on records that do not open reads on past them.
	if recs, err := sl.Read(ctx, 2, 1, 1<<20); err != nil || len(recs) != 1 || recs[0].Seq != 4 {
		t.Fatalf("read from a damaged record: %+v %v", recs, err)
	}
}

// The encoding: plaintext records keep their data as given, tagged in the
// meta; sealed ones carry their key version and nonce in the meta, and
// nonces differ.
func TestSealedEncoding(t *testing.T) {
	ctx := context.Background()
	inner := NewMem(nil, 0)
	sl := Seal(inner, testKeys(t), "s/0")
	appendN(t, sl, 0, 1, 1)
	sl.SetKey(3)
	appendN(t, sl, 1, 2, 2)
	raw, _ := inner.Read(ctx, 1, 10, 1<<20)
	e := entry(0)
	if raw[0].Meta[0] != tagPlain || !bytes.Equal(raw[0].Meta[1:], e.Meta) || !bytes.Equal(raw[0].Data, e.Data) {
		t.Fatalf("plaintext record stored as %q %q", raw[0].Meta, raw[0].Data)
	}
	for _, r := range raw[1:] {
		if len(r.Meta) != sealedMetaSize || r.Meta[0] != tagSealed || binary.BigEndian.Uint32(r.Meta[1:]) != 3 {
			t.Fatalf("sealed record meta %x", r.Meta)
		}
		want := entry(int(r.Seq - 1))
		if len(r.Data) != sealedLenSize+len(want.Meta)+len(want.Data)+gcmTagSize {
			t.Fatalf("sealed record of %d bytes", len(r.Data))
		}
	}
	if bytes.Equal(raw[1].Meta[5:], raw[2].Meta[5:]) {
		t.Fatal("two records share a nonce")
	}
	// A record is bound to its log: the same bytes do not open elsewhere.
	other := Seal(inner, testKeys(t), "s/1")
	if recs, _ := other.Read(ctx, 2, 10, 1<<20); len(recs) != 0 {
		t.Fatalf("%d sealed records opened under another log's aad", len(recs))
	}
}

// A segment of the previous format is refused with a clear error naming
// the file, and is left as it was.
func TestOldSegmentFormatRefused(t *testing.T) {
	dir := t.TempDir()
	hdr := (&segHeader{FirstSeq: 1, Created: 1}).marshal()
	binary.BigEndian.PutUint16(hdr[8:], 1)
	binary.BigEndian.PutUint32(hdr[60:], crc32.Checksum(hdr[:60], castagnoli))
	path := filepath.Join(dir, segName(1))
	if err := os.WriteFile(path, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Dir: dir})
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("open of a version 1 segment: %v", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, hdr) {
		t.Fatal("the old segment was changed")
	}
	if _, err := CheckLog(dir, nil, "x"); !errors.Is(err, ErrFormat) {
		t.Fatalf("check of a version 1 segment: %v", err)
	}
}
