package rcf

import (
	"errors"
	"fmt"
	"math"
)

// Config are RANDOM_CUT_FOREST's parameters. New takes them as they are:
// fill in the defaults (the Default constants) before.
type Config struct {
	Dimensions  int    // numeric columns (before shingling), 1 to 30
	Trees       int    // numberOfTrees, default 100, 1 to 1000
	SampleSize  int    // subSampleSize, default 256, 10 to 1000, below TimeDecay
	TimeDecay   int    // timeDecay, default 100000, 1 to 2^31-1
	ShingleSize int    // shingleSize, default 1, 1 to 30
	Seed        uint64 // the forest's random source
}

// KDA's defaults and limits for the parameters.
const (
	DefaultTrees       = 100
	DefaultSampleSize  = 256
	DefaultTimeDecay   = 100000
	DefaultShingleSize = 1

	MaxDimensions  = 30
	MaxTrees       = 1000
	MinSampleSize  = 10
	MaxSampleSize  = 1000
	MaxTimeDecay   = math.MaxInt32
	MaxShingleSize = 30
)

// Defaults is a Config with KDA's defaults for dimensions numeric
// columns.
func Defaults(dimensions int) Config {
	return Config{
		Dimensions:  dimensions,
		Trees:       DefaultTrees,
		SampleSize:  DefaultSampleSize,
		TimeDecay:   DefaultTimeDecay,
		ShingleSize: DefaultShingleSize,
	}
}

// ErrConfig is wrapped by New's errors for a parameter out of range.
var ErrConfig = errors.New("rcf: parameter out of range")

// Validate checks the parameters against KDA's limits; the error names
// the SQL parameter.
func (c Config) Validate() error {
	check := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%w: %s must be %d to %d, got %d", ErrConfig, name, lo, hi, v)
		}
		return nil
	}
	if err := errors.Join(
		check("the number of numeric columns", c.Dimensions, 1, MaxDimensions),
		check("numberOfTrees", c.Trees, 1, MaxTrees),
		check("subSampleSize", c.SampleSize, MinSampleSize, MaxSampleSize),
		check("timeDecay", c.TimeDecay, 1, MaxTimeDecay),
		check("shingleSize", c.ShingleSize, 1, MaxShingleSize),
	); err != nil {
		return err
	}
	if c.SampleSize >= c.TimeDecay {
		return fmt.Errorf("%w: subSampleSize (%d) must be below timeDecay (%d)", ErrConfig, c.SampleSize, c.TimeDecay)
	}
	return nil
}

// Forest is a streaming random cut forest. Not safe for concurrent use.
type Forest struct {
	cfg   Config
	dim   int // Dimensions * ShingleSize
	trees []tree

	// shingle is the current shingled point, oldest record first; filled
	// counts the records in it (up to ShingleSize).
	shingle []float64
	filled  int
	// seen counts the shingled points given to the trees: the sequence
	// number of the next, which sets its sampling priority.
	seen uint64

	attr []float64 // UpdateExplain's per-coordinate high and low parts
	inv  []float64 // inv[k] = 1/(k+1), for depths up to SampleSize
}

// maxMagnitude bounds the coordinates, so that ranges and their sums stay
// finite.
const maxMagnitude = 1e100

// New builds an empty forest.
func New(cfg Config) (*Forest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Forest{cfg: cfg, dim: cfg.Dimensions * cfg.ShingleSize}
	f.shingle = make([]float64, f.dim)
	f.attr = make([]float64, 2*f.dim)
	f.inv = make([]float64, cfg.SampleSize+1)
	for k := range f.inv {
		f.inv[k] = 1 / float64(k+1)
	}
	seeds := splitmix{state: cfg.Seed}
	f.trees = make([]tree, cfg.Trees)
	for i := range f.trees {
		f.trees[i] = newTree(f.dim, seeds.next())
	}
	return f, nil
}

// Config is the forest's configuration.
func (f *Forest) Config() Config { return f.cfg }

// Seen is the number of points given to the trees: records, less the
// first ShingleSize-1 that only fill the shingle, less those skipped for
// a value that is not a number.
func (f *Forest) Seen() uint64 { return f.seen }

// Attribution is one dimension's part of a score.
type Attribution struct {
	Score    float64 // ATTRIBUTION_SCORE, >= 0; they sum to the score
	Strength float64 // STRENGTH, >= 0
	High     bool    // DIRECTION: HIGH, else LOW
}

// Update scores point (Dimensions values) against the forest, then adds
// it. The score is 0 until the forest has seen SampleSize points.
//
// A point with a NaN or infinite value scores 0 and is not added;
// coordinates beyond ±1e100 count as ±1e100. A point of the wrong length
// panics.
func (f *Forest) Update(point []float64) float64 {
	return f.update(point, false)
}

// UpdateExplain is Update with the score's attribution per dimension.
func (f *Forest) UpdateExplain(point []float64) (float64, []Attribution) {
	return f.UpdateExplainInto(point, make([]Attribution, 0, f.cfg.Dimensions))
}

// UpdateExplainInto is UpdateExplain that appends the attributions to
// dst[:0], to spare an allocation per point.
func (f *Forest) UpdateExplainInto(point []float64, dst []Attribution) (float64, []Attribution) {
	score := f.update(point, true)
	dst = dst[:0]
	d := f.cfg.Dimensions
	for c := range d {
		high, low := 0.0, 0.0
		for i := c; i < f.dim; i += d {
			high += f.attr[i]
			low += f.attr[f.dim+i]
		}
		a := Attribution{Score: high + low, High: high > low}
		if a.Score > 0 {
			a.Strength = math.Abs(high-low) / a.Score
		}
		dst = append(dst, a)
	}
	return score, dst
}

func (f *Forest) update(point []float64, explain bool) float64 {
	if len(point) != f.cfg.Dimensions {
		panic(fmt.Sprintf("rcf: a point of %d values for a forest of %d dimensions", len(point), f.cfg.Dimensions))
	}
	if explain {
		clear(f.attr)
	}
	for _, x := range point {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0
		}
	}
	d := f.cfg.Dimensions
	copy(f.shingle, f.shingle[d:])
	tail := f.shingle[f.dim-d:]
	for i, x := range point {
		tail[i] = min(max(x, -maxMagnitude), maxMagnitude)
	}
	if f.filled < f.cfg.ShingleSize {
		f.filled++
		if f.filled < f.cfg.ShingleSize {
			return 0
		}
	}
	var score float64
	if f.seen >= uint64(f.cfg.SampleSize) {
		score = f.score(f.shingle, explain)
	}
	horizon := float64(f.cfg.TimeDecay)
	for i := range f.trees {
		t := &f.trees[i]
		t.offer(f.shingle, priority(t.rng.open(), f.seen, horizon), f.cfg.SampleSize)
	}
	f.seen++
	return score
}

// score averages the trees' scores, each scaled by log2 of its sample's
// size + 1: a point as deep as a typical point of a balanced tree scores
// about 1, one cut off at the root log2(SampleSize+1) (8 for 256).
func (f *Forest) score(p []float64, explain bool) float64 {
	var attr []float64
	if explain {
		attr = f.attr
	}
	sum, n := 0.0, float64(len(f.trees))
	weight := func(t *tree) float64 { return math.Log2(float64(len(t.sample))+1) / n }
	i := 0
	for ; i+group <= len(f.trees); i += group {
		var w [group]float64
		for k := range w {
			w[k] = weight(&f.trees[i+k])
		}
		raw := scoreGroup(f.trees[i:i+group], p, f.inv, attr, &w)
		for k, s := range raw {
			sum += w[k] * s
		}
	}
	for ; i < len(f.trees); i++ {
		t := &f.trees[i]
		w := weight(t)
		sum += w * t.score(p, f.inv, attr, w)
	}
	return sum
}
