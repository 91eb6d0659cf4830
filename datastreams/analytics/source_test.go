package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams"
)

type merged struct {
	shard   string
	arrival int64
	seq     string
}

// The merge releases the records of every shard in (arrival, shard)
// order, parents before children, and its watermark never passes a
// record still to come.
func TestMergeOrderAndWatermark(t *testing.T) {
	w := newWorld(t)
	w.createStream("in", 3)
	m := w.manager(Config{})
	defer m.Close()
	total := 0
	for round := range 4 {
		var recs []map[string]any
		for i := range 3 + round {
			recs = append(recs, map[string]any{"i": i})
		}
		w.put("in", 3, recs...)
		total += len(recs)
		time.Sleep(3 * time.Millisecond)
	}
	src := newSource(m, arnOf("in"), StartTrimHorizon, 0, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var got []merged
	type mark struct {
		bound int64
		taken int
	}
	var marks []mark
	consume := func(want int) {
		deadline := time.After(20 * time.Second)
		for len(got) < want {
			select {
			case b := <-src.ch:
				src.take(ctx, b)
			case <-deadline:
				t.Fatalf("merged %d records, want %d", len(got), want)
			}
			for {
				sh, r := src.next()
				if r == nil {
					break
				}
				got = append(got, merged{sh.id, r.Arrival.UnixMilli(), r.SequenceNumber})
				src.positions[sh.id] = r.SequenceNumber
			}
			src.finish(ctx)
			if b, ok := src.bound(); ok {
				marks = append(marks, mark{b, len(got)})
			}
		}
	}
	consume(total)

	// A split while reading: the children's records come after the parent's.
	if err := w.streams.SplitShard(ctx, datastreams.StreamRef{Name: "in"}, "shardId-000000000000", hashKeyOf(1, 6)); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for i := range 8 {
		recs = append(recs, map[string]any{"i": i})
	}
	w.put("in", 3, recs...)
	total += len(recs)
	consume(total)

	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if b.arrival < a.arrival || b.arrival == a.arrival && b.shard < a.shard {
			t.Fatalf("record %d (%+v) after %+v", i, b, a)
		}
	}
	for _, mk := range marks {
		for _, r := range got[mk.taken:] {
			if r.arrival < mk.bound {
				t.Fatalf("watermark %d passed record %+v taken later", mk.bound, r)
			}
		}
	}
	if src.positions["shardId-000000000000"] != shardDone {
		t.Fatalf("the split parent is not done: %v", src.positions)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.shard+r.seq] {
			t.Fatalf("record %+v merged twice", r)
		}
		seen[r.shard+r.seq] = true
	}
	// Idle, the watermark follows the clock.
	before := time.Now().UnixMilli()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b := <-src.ch
		src.take(ctx, b)
		if bd, ok := src.bound(); ok && bd > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watermark does not move while the stream is idle")
		}
	}
}
