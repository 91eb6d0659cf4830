package autoscale

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"
)

// Config holds the policy's thresholds and windows. Zero fields take the
// defaults below.
type Config struct {
	// Tick is how often the caller samples (the engine's loop period).
	Tick time.Duration
	// Smoothing is the time constant of the moving average of each
	// shard's utilization.
	Smoothing time.Duration
	// SplitAt is the utilization (a fraction of a shard's capacity) that
	// a shard must keep for SplitAfter to be split.
	SplitAt    float64
	SplitAfter time.Duration
	// MergeBelow is the utilization that two adjacent shards must both
	// stay under for MergeAfter to be merged.
	MergeBelow float64
	MergeAfter time.Duration
	// MinShards: no merge leaves fewer open shards. MaxShards: no split
	// makes more.
	MinShards int
	MaxShards int
	// A shard's write capacity.
	BytesPerSec   float64
	RecordsPerSec float64
}

// Defaults.
const (
	DefaultTick          = time.Second
	DefaultSmoothing     = 10 * time.Second
	DefaultSplitAt       = 0.8
	DefaultSplitAfter    = 30 * time.Second
	DefaultMergeBelow    = 0.1
	DefaultMergeAfter    = 15 * time.Minute
	DefaultMinShards     = 4
	DefaultMaxShards     = 200 // AWS's default on-demand write ceiling, 200 MiB/s, in shards
	DefaultBytesPerSec   = 1 << 20
	DefaultRecordsPerSec = 1000
)

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.Tick, DefaultTick)
	set(&c.Smoothing, DefaultSmoothing)
	set(&c.SplitAfter, DefaultSplitAfter)
	set(&c.MergeAfter, DefaultMergeAfter)
	if c.SplitAt <= 0 {
		c.SplitAt = DefaultSplitAt
	}
	if c.MergeBelow <= 0 {
		c.MergeBelow = DefaultMergeBelow
	}
	if c.MinShards <= 0 {
		c.MinShards = DefaultMinShards
	}
	if c.MaxShards <= 0 {
		c.MaxShards = DefaultMaxShards
	}
	if c.BytesPerSec <= 0 {
		c.BytesPerSec = DefaultBytesPerSec
	}
	if c.RecordsPerSec <= 0 {
		c.RecordsPerSec = DefaultRecordsPerSec
	}
	return c
}

// Validate reports settings that cannot work: thresholds out of range, or
// a merge threshold so high that a merged pair would be hot at once.
func (c Config) Validate() error {
	var errs []error
	if c.SplitAt <= 0 || c.SplitAt > 1 {
		errs = append(errs, fmt.Errorf("split threshold %g is not in (0, 1]", c.SplitAt))
	}
	if c.MergeBelow <= 0 || 2*c.MergeBelow >= c.SplitAt {
		errs = append(errs, fmt.Errorf("merge threshold %g must be above 0 and under half the split threshold %g", c.MergeBelow, c.SplitAt))
	}
	if c.MergeAfter < c.SplitAfter {
		errs = append(errs, fmt.Errorf("merge window %v is shorter than the split window %v", c.MergeAfter, c.SplitAfter))
	}
	if c.MinShards > c.MaxShards {
		errs = append(errs, fmt.Errorf("minimum shards %d above the maximum %d", c.MinShards, c.MaxShards))
	}
	return errors.Join(errs...)
}

// Shard is an open shard as the policy sees it.
type Shard struct {
	ID         string
	Start, End Key // inclusive
	Meter      *Meter
}

// Kind is what an Action does.
type Kind int

// Action kinds.
const (
	None Kind = iota
	Split
	Merge
)

// Action is one decision: split Shard at At (the lower child keeps
// Shard.Start..At-1, the upper At..Shard.End), or merge Shard with
// Adjacent, the shard whose range follows it.
type Action struct {
	Kind     Kind
	Shard    string
	At       Key
	Adjacent string
}

// Policy decides for one stream. It is not safe for concurrent use: one
// loop owns it and calls Observe at every tick.
type Policy struct {
	cfg    Config
	shards map[string]*shardState
}

type shardState struct {
	last      reading
	lastAt    time.Time
	util      float64 // moving average of the utilization
	hotSince  time.Time
	coldSince time.Time
	hot       [Buckets]uint64 // histogram of the writes since hotSince
}

// New returns a policy with cfg (zero fields take the defaults).
func New(cfg Config) *Policy {
	return &Policy{cfg: cfg.WithDefaults(), shards: map[string]*shardState{}}
}

// Utilization returns the smoothed utilization the policy holds for a
// shard (0 for one it has not seen).
func (p *Policy) Utilization(id string) float64 {
	if s := p.shards[id]; s != nil {
		return s.util
	}
	return 0
}

// Observe samples the meters of the stream's open shards at now and
// returns at most one action. room is how many more open shards the
// account allows; a split needs at least one.
func (p *Policy) Observe(now time.Time, open []Shard, room int) Action {
	seen := make(map[string]bool, len(open))
	for _, sh := range open {
		seen[sh.ID] = true
		p.sample(now, sh)
	}
	for id := range p.shards {
		if !seen[id] {
			delete(p.shards, id)
		}
	}
	if a, ok := p.split(now, open, room); ok {
		return a
	}
	if a, ok := p.merge(now, open); ok {
		return a
	}
	return Action{}
}

func (p *Policy) sample(now time.Time, sh Shard) {
	r := sh.Meter.read()
	s := p.shards[sh.ID]
	if s == nil {
		p.shards[sh.ID] = &shardState{last: r, lastAt: now, coldSince: now}
		return
	}
	dt := now.Sub(s.lastAt).Seconds()
	if dt <= 0 {
		return
	}
	inst := math.Max(float64(r.bytes-s.last.bytes)/dt/p.cfg.BytesPerSec, float64(r.records-s.last.records)/dt/p.cfg.RecordsPerSec)
	alpha := 1 - math.Exp(-dt/p.cfg.Smoothing.Seconds())
	s.util += alpha * (inst - s.util)
	if s.util >= p.cfg.SplitAt {
		if s.hotSince.IsZero() {
			s.hotSince, s.hot = now, [Buckets]uint64{}
		}
		for i := range s.hot {
			s.hot[i] += r.hist[i] - s.last.hist[i]
		}
	} else {
		s.hotSince = time.Time{}
	}
	if s.util < p.cfg.MergeBelow {
		if s.coldSince.IsZero() {
			s.coldSince = now
		}
	} else {
		s.coldSince = time.Time{}
	}
	s.last, s.lastAt = r, now
}

// split picks the hottest shard that has been hot for the whole window.
func (p *Policy) split(now time.Time, open []Shard, room int) (Action, bool) {
	if room < 1 || len(open) >= p.cfg.MaxShards {
		return Action{}, false
	}
	var best *Shard
	var bestUtil float64
	for i := range open {
		sh := &open[i]
		s := p.shards[sh.ID]
		if s == nil || s.hotSince.IsZero() || now.Sub(s.hotSince) < p.cfg.SplitAfter {
			continue
		}
		if _, ok := splitKey(sh.Start, sh.End, s.hot); !ok {
			continue // too narrow to split
		}
		if best == nil || s.util > bestUtil {
			best, bestUtil = sh, s.util
		}
	}
	if best == nil {
		return Action{}, false
	}
	at, _ := splitKey(best.Start, best.End, p.shards[best.ID].hot)
	delete(p.shards, best.ID)
	return Action{Kind: Split, Shard: best.ID, At: at}, true
}

// merge picks the coldest adjacent pair that has been cold for the whole
// window, unless the stream is at its minimum.
func (p *Policy) merge(now time.Time, open []Shard) (Action, bool) {
	if len(open)-1 < p.cfg.MinShards {
		return Action{}, false
	}
	sorted := append([]Shard(nil), open...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start.Cmp(sorted[j].Start) < 0 })
	cold := func(id string) (*shardState, bool) {
		s := p.shards[id]
		return s, s != nil && !s.coldSince.IsZero() && now.Sub(s.coldSince) >= p.cfg.MergeAfter
	}
	best, bestUtil := -1, 0.0
	for i := 0; i+1 < len(sorted); i++ {
		a, b := sorted[i], sorted[i+1]
		if a.End.add(Key{Lo: 1}) != b.Start {
			continue
		}
		sa, okA := cold(a.ID)
		sb, okB := cold(b.ID)
		if !okA || !okB {
			continue
		}
		if u := sa.util + sb.util; best < 0 || u < bestUtil {
			best, bestUtil = i, u
		}
	}
	if best < 0 {
		return Action{}, false
	}
	a, b := sorted[best], sorted[best+1]
	delete(p.shards, a.ID)
	delete(p.shards, b.ID)
	return Action{Kind: Merge, Shard: a.ID, Adjacent: b.ID}, true
}

// splitKey returns where to split start..end: at the median of the weights
// hist holds over the range's Buckets parts (interpolated inside the
// bucket that holds it), or the middle when hist is empty. The key is kept
// in start+2..end-1, so that both children hold at least two keys; false
// when the range is too narrow for that.
func splitKey(start, end Key, hist [Buckets]uint64) (Key, bool) {
	width := end.sub(start)
	if width.Cmp(Key{Lo: 3}) < 0 {
		return Key{}, false
	}
	var total uint64
	for _, w := range hist {
		total += w
	}
	// frac is the split point as a fraction of the range, in 1/2^32.
	frac := uint64(1) << 31
	if total > 0 {
		half := float64(total) / 2
		var cum float64
		for i, w := range hist {
			if cum+float64(w) >= half && w > 0 {
				f := (float64(i) + (half-cum)/float64(w)) / Buckets
				frac = uint64(f * (1 << 32))
				break
			}
			cum += float64(w)
		}
	}
	k := new(big.Int).Mul(bigOf(width), new(big.Int).SetUint64(frac))
	k.Rsh(k, 32)
	k.Add(k, bigOf(start))
	at := keyOf(k)
	if lo := start.add(Key{Lo: 2}); at.Cmp(lo) < 0 {
		at = lo
	}
	if hi := end.sub(Key{Lo: 1}); at.Cmp(hi) > 0 {
		at = hi
	}
	return at, true
}

func bigOf(k Key) *big.Int {
	b := new(big.Int).SetUint64(k.Hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(k.Lo))
}

func keyOf(b *big.Int) Key {
	lo := new(big.Int).And(b, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	hi := new(big.Int).Rsh(b, 64).Uint64()
	return Key{hi, lo}
}
