package shardtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

func testLogsRemove(t *testing.T, h *harness) {
	ids := []shard.LogID{
		{Stream: "aaaa", Shard: "shardId-000000000000"},
		{Stream: "aaaa", Shard: "shardId-000000000001"},
		{Stream: "bbbb", Shard: "log"},
	}
	if got, err := h.store.Logs(h.ctx); err != nil || len(got) != 0 {
		t.Fatalf("logs of an empty store: %v %v", got, err)
	}
	for i, id := range ids {
		appendN(t, h.log(id, shard.LogOptions{}), 0, 5*(i+1), 5)
	}
	sorted := func(l []shard.LogID) []shard.LogID {
		return slices.SortedFunc(slices.Values(l), func(a, b shard.LogID) int {
			if c := compare(a.Stream, b.Stream); c != 0 {
				return c
			}
			return compare(a.Shard, b.Shard)
		})
	}
	h.closeAll()
	h.mu.Lock()
	h.store = h.open(t)
	h.mu.Unlock()
	got, err := h.store.Logs(h.ctx)
	if err != nil || !slices.Equal(sorted(got), ids) {
		t.Fatalf("logs %v %v, want %v", got, err, ids)
	}
	if err := h.store.Remove(h.ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := h.store.Remove(h.ctx, shard.LogID{Stream: "cccc", Shard: "none"}); err != nil {
		t.Fatalf("remove of a log that does not exist: %v", err)
	}
	got, _ = h.store.Logs(h.ctx)
	if want := []shard.LogID{ids[0], ids[2]}; !slices.Equal(sorted(got), want) {
		t.Fatalf("after remove logs %v, want %v", got, want)
	}
	// The others are untouched; a removed log opens empty.
	checkRecords(t, readAll(t, h.log(ids[0], shard.LogOptions{}), 1), 1, 0)
	checkRecords(t, readAll(t, h.log(ids[2], shard.LogOptions{}), 1), 1, 0)
	l := h.log(ids[1], shard.LogOptions{})
	if b := l.Bounds(); b.First != 1 || b.Next != 1 {
		t.Fatalf("a removed log reopens with bounds %+v", b)
	}
	h.reopen()
	got, _ = h.store.Logs(h.ctx)
	if !slices.Equal(sorted(got), ids) && !slices.Equal(sorted(got), []shard.LogID{ids[0], ids[2]}) {
		t.Fatalf("after reopen logs %v", got)
	}
	for _, id := range ids {
		if err := h.store.Remove(h.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := h.store.Logs(h.ctx); len(got) != 0 {
		t.Fatalf("after removing every log: %v", got)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// testConcurrent runs writers on several sealed logs while readers tail
// each of them through Notify: every reader sees a gap-free prefix, in
// order, and ends with every acknowledged record.
func testConcurrent(t *testing.T, h *harness) {
	const logs, writers, per = 3, 4, 40
	var wg sync.WaitGroup
	var checks []func()
	for li := range logs {
		id := shard.LogID{Stream: "concurrent", Shard: fmt.Sprintf("shardId-%012d", li)}
		l := h.log(id, shard.LogOptions{})
		var acked sync.Map
		readerErr := make(chan error, 1)
		// The tailing reader.
		go func() {
			next := uint64(1)
			total := writers * per
			for seen := 0; seen < total; {
				ch := l.Notify()
				recs, err := l.Read(context.Background(), next, 17, 1<<20)
				if err != nil {
					readerErr <- err
					return
				}
				for _, r := range recs {
					if r.Seq != next {
						readerErr <- fmt.Errorf("log %d: tail read seq %d, want %d", li, r.Seq, next)
						return
					}
					next++
					seen++
				}
				if len(recs) > 0 {
					continue
				}
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					readerErr <- fmt.Errorf("log %d: reader waited 30s at %d", li, next)
					return
				}
			}
			readerErr <- nil
		}()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					e := shard.Entry{Meta: fmt.Appendf(nil, "w%d", w), Data: fmt.Appendf(nil, "log%d-w%d-i%d", li, w, i)}
					res, err := l.Append(context.Background(), []shard.Entry{e})
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					if _, dup := acked.LoadOrStore(res.FirstSeq, string(e.Data)); dup {
						t.Errorf("log %d: sequence %d given twice", li, res.FirstSeq)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := <-readerErr; err != nil {
				t.Error(err)
			}
		}()
		checks = append(checks, func() {
			recs := readAll(t, l, 1)
			if len(recs) != writers*per {
				t.Errorf("log %d: %d records, want %d", li, len(recs), writers*per)
			}
			for _, r := range recs {
				if v, _ := acked.Load(r.Seq); v != string(r.Data) {
					t.Errorf("log %d: seq %d holds %q, acknowledged %v", li, r.Seq, r.Data, v)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, check := range checks {
		check()
	}
}
