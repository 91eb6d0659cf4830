package autoscale

import (
	"math/big"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var maxKey = Key{^uint64(0), ^uint64(0)}

// evenShards splits the key space into n shards with fresh meters.
func evenShards(n int) []Shard {
	step := new(big.Int).Lsh(big.NewInt(1), 128)
	step.Div(step, big.NewInt(int64(n)))
	var out []Shard
	for i := 0; i < n; i++ {
		s := new(big.Int).Mul(step, big.NewInt(int64(i)))
		e := new(big.Int).Mul(step, big.NewInt(int64(i+1)))
		e.Sub(e, big.NewInt(1))
		end := keyOf(e)
		if i == n-1 {
			end = maxKey
		}
		out = append(out, newShard("shard-"+strconv.Itoa(i), keyOf(s), end))
	}
	return out
}

func newShard(id string, start, end Key) Shard {
	return Shard{ID: id, Start: start, End: end, Meter: NewMeter(start, end)}
}

// at returns the key at fraction num/den of the shard's range.
func at(sh Shard, num, den int64) Key {
	w := bigOf(sh.End.sub(sh.Start))
	w.Mul(w, big.NewInt(num))
	w.Div(w, big.NewInt(den))
	return keyOf(w.Add(w, bigOf(sh.Start)))
}

// feed writes n records of size bytes to sh, their keys spread evenly over
// the fraction [from, to) of its range (in 1/1000).
func feed(sh Shard, n, size int, from, to int64) {
	if n == 0 {
		return
	}
	k := at(sh, from, 1000)
	step := new(big.Int).Sub(bigOf(at(sh, to, 1000)), bigOf(k))
	s := keyOf(step.Div(step, big.NewInt(int64(n))))
	for i := 0; i < n; i++ {
		sh.Meter.Add(k, size)
		k = k.add(s)
	}
}

// run ticks the policy every second for d, calling load before each tick,
// and returns the first action with the time it came (or None).
func run(p *Policy, start time.Time, d time.Duration, open []Shard, room int, load func()) (Action, time.Time) {
	for now := start; !now.After(start.Add(d)); now = now.Add(time.Second) {
		if load != nil {
			load()
		}
		if a := p.Observe(now, open, room); a.Kind != None {
			return a, now
		}
	}
	return Action{}, time.Time{}
}

func TestSplitAfterSustainedLoad(t *testing.T) {
	open := evenShards(4)
	p := New(Config{})
	// Shard 1 takes 900 records of 1 KiB a second: 0.9 of its record limit.
	a, when := run(p, t0, 5*time.Minute, open, 100, func() { feed(open[1], 900, 1024, 0, 1000) })
	if a.Kind != Split || a.Shard != "shard-1" {
		t.Fatalf("action %+v", a)
	}
	// The average needs a few time constants to pass 0.8, then the
	// window runs: no sooner than SplitAfter, not much later.
	if took := when.Sub(t0); took < DefaultSplitAfter || took > DefaultSplitAfter+5*DefaultSmoothing {
		t.Fatalf("split after %v", took)
	}
	// Uniform keys: the median is about the middle.
	mid := at(open[1], 500, 1000)
	if d := absDiff(a.At, mid); d.Cmp(bigOf(open[1].End.sub(open[1].Start)).Div(bigOf(open[1].End.sub(open[1].Start)), big.NewInt(50))) > 0 {
		t.Fatalf("split at %v, middle %v", bigOf(a.At), bigOf(mid))
	}
}

func absDiff(a, b Key) *big.Int {
	d := new(big.Int).Sub(bigOf(a), bigOf(b))
	return d.Abs(d)
}

func TestSplitsByBytesToo(t *testing.T) {
	open := evenShards(4)
	p := New(Config{})
	// One 900 KiB record a second: few records, most of the byte limit.
	a, _ := run(p, t0, 2*time.Minute, open, 100, func() { feed(open[3], 1, 900<<10, 0, 1000) })
	if a.Kind != Split || a.Shard != "shard-3" {
		t.Fatalf("action %+v", a)
	}
}

func TestNoSplitBelowThresholdOrForABurst(t *testing.T) {
	open := evenShards(4)
	p := New(Config{})
	if a, _ := run(p, t0, 10*time.Minute, open, 100, func() { feed(open[0], 700, 1024, 0, 1000) }); a.Kind != None {
		t.Fatalf("0.7 of capacity: %+v", a)
	}
	// Bursts of ten times the capacity for one second in ten: an average
	// of 1.0, but never sustained, as the moving average sees it, for a
	// whole window.
	p = New(Config{})
	n := 0
	if a, _ := run(p, t0, 10*time.Minute, open, 100, func() {
		if n++; n%20 == 0 {
			feed(open[0], 10000, 10, 0, 1000)
		}
	}); a.Kind != None {
		t.Fatalf("bursts: %+v", a)
	}
}

func TestShortLullsDoNotResetTheWindow(t *testing.T) {
	open := evenShards(4)
	p := New(Config{})
	n := 0
	// Full load with one idle second in eight: the average stays above 0.8.
	a, when := run(p, t0, 5*time.Minute, open, 100, func() {
		if n++; n%8 != 0 {
			feed(open[2], 1000, 100, 0, 1000)
		}
	})
	if a.Kind != Split || a.Shard != "shard-2" || when.Sub(t0) > DefaultSplitAfter+5*DefaultSmoothing {
		t.Fatalf("action %+v after %v", a, when.Sub(t0))
	}
}

func TestSplitAtTheMedianKey(t *testing.T) {
	open := evenShards(4)
	p := New(Config{})
	// All the load in the first fifth of the range.
	a, _ := run(p, t0, 5*time.Minute, open, 100, func() { feed(open[1], 1000, 100, 0, 200) })
	if a.Kind != Split {
		t.Fatalf("action %+v", a)
	}
	lo, hi := at(open[1], 60, 1000), at(open[1], 140, 1000)
	if a.At.Cmp(lo) < 0 || a.At.Cmp(hi) > 0 {
		t.Fatalf("split at %v, want between %v and %v", bigOf(a.At), bigOf(lo), bigOf(hi))
	}
}

func TestSplitNeedsRoom(t *testing.T) {
	open := evenShards(4)
	load := func() { feed(open[0], 1000, 100, 0, 1000) }
	if a, _ := run(New(Config{}), t0, 3*time.Minute, open, 0, load); a.Kind != None {
		t.Fatalf("no room under the account limit: %+v", a)
	}
	if a, _ := run(New(Config{MaxShards: 4}), t0, 3*time.Minute, open, 100, load); a.Kind != None {
		t.Fatalf("at the stream's maximum: %+v", a)
	}
}

func TestNarrowShardIsNotSplit(t *testing.T) {
	open := []Shard{newShard("narrow", Key{Lo: 10}, Key{Lo: 12}), newShard("wide", Key{Lo: 13}, maxKey)}
	p := New(Config{MinShards: 1})
	a, _ := run(p, t0, 3*time.Minute, open, 100, func() { feed(open[0], 1000, 100, 0, 1000) })
	if a.Kind != None {
		t.Fatalf("action %+v", a)
	}
	if k, ok := splitKey(Key{Lo: 10}, Key{Lo: 13}, [Buckets]uint64{}); !ok || k != (Key{Lo: 12}) {
		t.Fatalf("four keys split at %v %v", k, ok)
	}
}

// apply carries an action out on open, as the engine's resharding would.
func apply(t *testing.T, open []Shard, a Action, next *int) []Shard {
	t.Helper()
	var out []Shard
	id := func() string { *next++; return "shard-" + strconv.Itoa(*next-1) }
	switch a.Kind {
	case Split:
		for _, sh := range open {
			if sh.ID != a.Shard {
				out = append(out, sh)
				continue
			}
			if a.At.Cmp(sh.Start) <= 0 || a.At.Cmp(sh.End) > 0 {
				t.Fatalf("split key outside %s", sh.ID)
			}
			out = append(out, newShard(id(), sh.Start, a.At.sub(Key{Lo: 1})), newShard(id(), a.At, sh.End))
		}
	case Merge:
		var first Shard
		for _, sh := range open {
			switch sh.ID {
			case a.Shard:
				first = sh
			case a.Adjacent:
				out = append(out, newShard(id(), first.Start, sh.End))
			default:
				out = append(out, sh)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Cmp(out[j].Start) < 0 })
	return out
}

func TestScalesUpUntilNoShardIsHotThenDownToFour(t *testing.T) {
	open := evenShards(4)
	next := 4
	p := New(Config{})
	now := t0
	// 10 MiB/s of 10 KiB records over the whole key space: about 13
	// shards carry it below 0.8 each.
	const total = 1000
	splits := 0
	for ; now.Before(t0.Add(30 * time.Minute)); now = now.Add(time.Second) {
		for _, sh := range open {
			// Each shard gets the share of its range.
			share := new(big.Int).Mul(bigOf(sh.End.sub(sh.Start)), big.NewInt(total))
			share.Rsh(share, 128)
			feed(sh, int(share.Int64()), 10<<10, 0, 1000)
		}
		a := p.Observe(now, open, 100)
		if a.Kind == Merge {
			t.Fatalf("merge under load at %v", now.Sub(t0))
		}
		if a.Kind == Split {
			splits++
			open = apply(t, open, a, &next)
		}
	}
	if len(open) < 13 || len(open) > 16 {
		t.Fatalf("%d open shards after %d splits", len(open), splits)
	}
	for _, sh := range open {
		if u := p.Utilization(sh.ID); u >= DefaultSplitAt {
			t.Fatalf("%s still at %.2f", sh.ID, u)
		}
	}
	// The load stops: one merge a tick at most, after the merge window,
	// down to the minimum.
	stopped := now
	var merges []time.Time
	for ; now.Before(stopped.Add(2 * time.Hour)); now = now.Add(time.Second) {
		a := p.Observe(now, open, 100)
		if a.Kind == Split {
			t.Fatal("split without load")
		}
		if a.Kind == Merge {
			merges = append(merges, now)
			open = apply(t, open, a, &next)
		}
	}
	if len(open) != DefaultMinShards {
		t.Fatalf("%d open shards when idle", len(open))
	}
	if first := merges[0].Sub(stopped); first < DefaultMergeAfter {
		t.Fatalf("first merge %v after the load stopped", first)
	}
}

func TestMergeNeedsBothColdAndAdjacent(t *testing.T) {
	open := evenShards(6)
	p := New(Config{})
	// Shards 1 and 3 stay warm: only 4+5 are a cold adjacent pair.
	a, _ := run(p, t0, time.Hour, open, 100, func() {
		feed(open[1], 300, 100, 0, 1000)
		feed(open[3], 300, 100, 0, 1000)
	})
	if a.Kind != Merge || a.Shard != "shard-4" || a.Adjacent != "shard-5" {
		t.Fatalf("action %+v", a)
	}
	// Not adjacent: a gap between two cold shards.
	gap := []Shard{newShard("a", Key{}, Key{Lo: 99}), newShard("b", Key{Lo: 200}, maxKey)}
	if a, _ := run(New(Config{MinShards: 1}), t0, time.Hour, gap, 100, nil); a.Kind != None {
		t.Fatalf("merge across a gap: %+v", a)
	}
}

func TestMeterBuckets(t *testing.T) {
	full := NewMeter(Key{}, maxKey)
	for i := 0; i < Buckets; i++ {
		k := Key{Hi: uint64(i) << 60}
		if b := full.bucket(k); b != i {
			t.Fatalf("full range, bucket of %x: %d", k.Hi, b)
		}
		if b := full.bucket(Key{Hi: uint64(i)<<60 | (1<<60 - 1), Lo: ^uint64(0)}); b != i {
			t.Fatalf("full range, end of bucket %d: %d", i, b)
		}
	}
	small := NewMeter(Key{Lo: 100}, Key{Lo: 115})
	for k := uint64(100); k <= 115; k++ {
		if b := small.bucket(Key{Lo: k}); b != int(k-100) {
			t.Fatalf("16 keys, bucket of %d: %d", k, b)
		}
	}
	one := NewMeter(Key{Lo: 7}, Key{Lo: 7})
	one.Add(Key{Lo: 7}, 10)
	if r := one.read(); r.records != 1 || r.bytes != 10 || r.hist[0] != 10+recordWeight {
		t.Fatalf("one-key range: %+v", r)
	}
	var none *Meter
	none.Add(Key{}, 1) // a nil meter counts nothing
}

func TestMeterConcurrentAdds(t *testing.T) {
	m := NewMeter(Key{}, maxKey)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 1000; i++ {
				m.Add(Key{Hi: uint64(i) << 54}, 3)
			}
		})
	}
	wg.Wait()
	if r := m.read(); r.records != 4000 || r.bytes != 12000 {
		t.Fatalf("%+v", r)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Config{
		{SplitAt: 1.5}, {MergeBelow: 0.5}, {MergeAfter: time.Second, SplitAfter: time.Minute}, {MinShards: 10, MaxShards: 5},
	}
	for _, c := range bad {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func BenchmarkMeterAdd(b *testing.B) {
	m := NewMeter(Key{Hi: 1 << 62}, Key{Hi: 1<<63 - 1, Lo: ^uint64(0)})
	k := Key{Hi: 3 << 61}
	b.ReportAllocs()
	for b.Loop() {
		m.Add(k, 100)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

func BenchmarkMeterAddParallel(b *testing.B) {
	m := NewMeter(Key{}, maxKey)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		k := Key{Hi: 5 << 58}
		for pb.Next() {
			m.Add(k, 100)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// FuzzMeterAndSplitKey: any range and keys inside it land in a bucket, and
// a split key from any histogram leaves both children at least two keys.
func FuzzMeterAndSplitKey(f *testing.F) {
	f.Add(uint64(0), uint64(0), ^uint64(0), ^uint64(0), uint64(1), uint64(2), uint64(3))
	f.Add(uint64(0), uint64(10), uint64(0), uint64(13), uint64(0), uint64(11), uint64(7))
	f.Add(uint64(1)<<62, uint64(0), uint64(1)<<63-1, ^uint64(0), uint64(1)<<62, uint64(99), uint64(0))
	f.Fuzz(func(t *testing.T, sHi, sLo, eHi, eLo, kHi, kLo, w uint64) {
		start, end := Key{sHi, sLo}, Key{eHi, eLo}
		if start.Cmp(end) > 0 {
			start, end = end, start
		}
		m := NewMeter(start, end)
		k := Key{kHi, kLo}
		if k.Cmp(start) >= 0 && k.Cmp(end) <= 0 {
			if b := m.bucket(k); b < 0 || b >= Buckets {
				t.Fatalf("bucket %d", b)
			}
		}
		m.Add(start, int(w%1000))
		m.Add(end, int(w%7))
		m.Add(k, 1)
		var hist [Buckets]uint64
		for i := range hist {
			hist[i] = w >> (i * 4) & 0xff
		}
		at, ok := splitKey(start, end, hist)
		if !ok {
			if end.sub(start).Cmp(Key{Lo: 3}) >= 0 {
				t.Fatalf("range %v..%v not split", start, end)
			}
			return
		}
		if at.Cmp(start.add(Key{Lo: 2})) < 0 || at.Cmp(end) >= 0 {
			t.Fatalf("split of %v..%v at %v", start, end, at)
		}
	})
}
