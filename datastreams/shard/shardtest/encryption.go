package shardtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// testEncryption seals through shard.Seal over the store's logs.
func testEncryption(t *testing.T, h *harness) {
	id := defaultID
	raw := h.rawLog(id, shard.LogOptions{})
	sl := shard.Seal(raw, h.keys.source(), id.String())
	marker := []byte("PLAINTEXT-MARKER")
	sealedEntry := func(i int) shard.Entry {
		return shard.Entry{Meta: fmt.Appendf(nil, "KEY-MARKER-%d", i), Data: fmt.Appendf(slices.Clone(marker), "-%d", i)}
	}
	appendSealed := func(from, n int) {
		t.Helper()
		var es []shard.Entry
		for i := from; i < from+n; i++ {
			es = append(es, sealedEntry(i))
		}
		if _, err := sl.Append(h.ctx, es); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	// Version 1, then 2, then plaintext.
	sl.SetKey(1)
	appendSealed(0, 10)
	sl.SetKey(2)
	appendSealed(10, 10)
	sl.SetKey(0)
	appendSealed(20, 10)
	check := func(l shard.Log, what string) {
		t.Helper()
		recs := readAll(t, l, 1)
		if len(recs) != 30 {
			t.Fatalf("%s: %d records, want 30", what, len(recs))
		}
		for i, r := range recs {
			want := sealedEntry(i)
			if r.Seq != uint64(i+1) || !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) {
				t.Fatalf("%s: record %d is seq %d %q %q", what, i, r.Seq, r.Meta, r.Data)
			}
			if wantVer := []uint32{1, 2, 0}[i/10]; r.KeyVer != wantVer {
				t.Fatalf("%s: record %d key version %d, want %d", what, r.Seq, r.KeyVer, wantVer)
			}
		}
	}
	check(sl, "sealed log")
	// What the store holds: no plaintext of sealed records, the plaintext
	// records as given.
	rawRecs := readAll(t, raw, 1)
	if len(rawRecs) != 30 {
		t.Fatalf("raw log holds %d records", len(rawRecs))
	}
	for i, r := range rawRecs {
		plain := bytes.Contains(r.Data, marker) || bytes.Contains(r.Meta, []byte("KEY-MARKER"))
		if i < 20 && plain {
			t.Fatalf("sealed record %d is stored with its plaintext", r.Seq)
		}
		if i >= 20 && !plain {
			t.Fatalf("plaintext record %d is not stored as given", r.Seq)
		}
		if r.KeyVer != 0 {
			t.Fatalf("raw record %d claims key version %d", r.Seq, r.KeyVer)
		}
	}
	// A key version that cannot be resolved: appends fail and change nothing.
	sl.SetKey(9)
	if _, err := sl.Append(h.ctx, []shard.Entry{entry(0)}); !errors.Is(err, shard.ErrNoKey) {
		t.Fatalf("append under a missing key: %v, want ErrNoKey", err)
	}
	if b := sl.Bounds(); b.Next != 31 {
		t.Fatalf("a refused append changed the log: %+v", b)
	}
	// Reopened, with a new decorator.
	h.reopen()
	raw = h.rawLog(id, shard.LogOptions{})
	check(shard.Seal(raw, h.keys.source(), id.String()), "after reopen")
	// Sealed for another log: the records do not open there and are passed
	// over (and reported); the plaintext ones are still served.
	moved := shard.Seal(raw, h.keys.source(), "another-stream/"+id.Shard)
	recs := readAll(t, moved, 1)
	if len(recs) != 10 || recs[0].Seq != 21 {
		t.Fatalf("under another log's aad: %d records from %v, want the 10 plaintext ones", len(recs), recs)
	}
	if d := moved.Damaged(); len(d) != 20 || d[0].FromSeq != 1 || !d[0].Lost() {
		t.Fatalf("under another log's aad the damage is %d entries, want 20", len(d))
	}
	// A key version that is gone: the read fails at its first record, after
	// the records before it.
	h.keys.forget(2)
	lost := shard.Seal(raw, h.keys.source(), id.String())
	recs, err := lost.Read(h.ctx, 1, 100, 1<<20)
	if !errors.Is(err, shard.ErrNoKey) || len(recs) != 10 {
		t.Fatalf("read with key version 2 gone: %d records, %v; want 10 and ErrNoKey", len(recs), err)
	}
	if recs, err := lost.Read(h.ctx, 21, 100, 1<<20); err != nil || len(recs) != 10 {
		t.Fatalf("read of the plaintext records with key version 2 gone: %d, %v", len(recs), err)
	}
}
