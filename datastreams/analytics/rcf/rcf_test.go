package rcf

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func mustNew(t testing.TB, cfg Config) *Forest {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quantile is the q-quantile of sorted xs.
func quantile(sorted []float64, q float64) float64 {
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

// heartRates is the developer guide's anomaly detection data: 99% of
// rates in 60-100, 1% in 150-200, integers.
func heartRates(rng *rand.Rand, n int) (rates []float64, high []bool) {
	for range n {
		if rng.Float64() < 0.01 {
			rates = append(rates, float64(150+rng.IntN(51)))
			high = append(high, true)
		} else {
			rates = append(rates, float64(60+rng.IntN(41)))
			high = append(high, false)
		}
	}
	return rates, high
}

// TestHeartRate: with KDA's defaults, after the warm-up every injected
// high rate scores above the 99th percentile of the normal rates' scores,
// and the anomalies' mean is at least twice the normal mean. Measured
// (seeds 1-2, 15000 records): normal mean 0.81-0.83, 99th percentile
// 1.13-1.14, anomalies' lowest 2.05-2.75, their mean 3.0-3.3 (3.7-4.0x
// the normal mean).
func TestHeartRate(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		cfg := Defaults(1)
		cfg.Seed = seed
		f := mustNew(t, cfg)
		rates, high := heartRates(rand.New(rand.NewPCG(seed, 99)), 15000)
		var normal, anomalous []float64
		for i, x := range rates {
			s := f.Update([]float64{x})
			switch {
			case i < cfg.SampleSize:
				if s != 0 {
					t.Fatalf("seed %d: record %d in the warm-up scored %v", seed, i, s)
				}
			case high[i]:
				anomalous = append(anomalous, s)
			default:
				normal = append(normal, s)
			}
		}
		slices.Sort(normal)
		slices.Sort(anomalous)
		p99, lowest := quantile(normal, 0.99), anomalous[0]
		nm, am := mean(normal), mean(anomalous)
		t.Logf("seed %d: normal mean %.3f p99 %.3f max %.3f; %d anomalies: lowest %.3f mean %.3f (%.1fx)",
			seed, nm, p99, normal[len(normal)-1], len(anomalous), lowest, am, am/nm)
		if lowest <= p99 {
			t.Errorf("seed %d: an anomaly scored %.3f, not above the normal 99th percentile %.3f", seed, lowest, p99)
		}
		if am < 2*nm {
			t.Errorf("seed %d: anomalies' mean %.3f is under twice the normal mean %.3f", seed, am, nm)
		}
		if nm > 1.2 {
			t.Errorf("seed %d: normal mean %.3f is off KDA's scale (about 1 or below)", seed, nm)
		}
	}
}

// TestBloodPressureExplain: 2-D readings (systolic 90-120, diastolic
// 60-80) with 1% anomalies, each far out in one column on one side. The
// explanation names that column with the larger attribution and the right
// direction; the attributions sum to the score. Measured: normal mean
// 0.73 and anomalies' mean 3.41 (KDA's example shows about 0.7 and 3.9);
// every anomaly explained right; strengths 0.32 to 1, mean 0.79.
func TestBloodPressureExplain(t *testing.T) {
	cfg := Defaults(2)
	cfg.Seed = 7
	f := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(7, 8))
	type kind struct {
		col  int
		high bool
	}
	kinds := []kind{{0, true}, {0, false}, {1, true}, {1, false}}
	var (
		checked, wrong int
		strengths      []float64
		normalScores   []float64
		anomalyScores  []float64
		dst            []Attribution
	)
	for i := range 15000 {
		p := []float64{90 + 30*rng.Float64(), 60 + 20*rng.Float64()}
		k := kind{col: -1}
		if rng.Float64() < 0.01 {
			k = kinds[rng.IntN(len(kinds))]
			shift := 40 + 30*rng.Float64()
			if !k.high {
				shift = -shift
			}
			p[k.col] += shift
		}
		var s float64
		s, dst = f.UpdateExplainInto(p, dst)
		if len(dst) != 2 {
			t.Fatalf("%d attributions for 2 columns", len(dst))
		}
		sum := dst[0].Score + dst[1].Score
		if math.Abs(sum-s) > 1e-9*max(1, s) {
			t.Fatalf("record %d: attributions sum to %v, score %v", i, sum, s)
		}
		if i < cfg.SampleSize {
			if s != 0 || dst[0] != (Attribution{}) || dst[1] != (Attribution{}) {
				t.Fatalf("record %d in the warm-up: %v %+v", i, s, dst)
			}
			continue
		}
		for _, a := range dst {
			if a.Score < 0 || a.Strength < 0 || a.Strength > 1 {
				t.Fatalf("record %d: attribution %+v", i, a)
			}
		}
		if k.col < 0 {
			normalScores = append(normalScores, s)
			continue
		}
		checked++
		anomalyScores = append(anomalyScores, s)
		a, other := dst[k.col], dst[1-k.col]
		if a.Score <= other.Score || a.High != k.high {
			wrong++
			t.Logf("record %d, column %d high=%v: %+v", i, k.col, k.high, dst)
		}
		strengths = append(strengths, a.Strength)
	}
	t.Logf("%d anomalies, %d explained wrongly; strength mean %.3f min %.3f; score mean: normal %.3f, anomalies %.3f",
		checked, wrong, mean(strengths), slices.Min(strengths), mean(normalScores), mean(anomalyScores))
	if checked < 100 || wrong > 0 {
		t.Errorf("%d of %d anomalies explained wrongly", wrong, checked)
	}
	if mean(anomalyScores) < 3*mean(normalScores) {
		t.Errorf("anomalies' mean score %.3f is under 3 times the normal mean %.3f", mean(anomalyScores), mean(normalScores))
	}
	if mean(strengths) < 0.6 {
		t.Errorf("anomalies' directions have a mean strength of %.3f", mean(strengths))
	}
}

// TestWarmUpShingle: with a shingle of 3 the first 2 records only fill
// it, then SampleSize points score 0, and the next does not.
func TestWarmUpShingle(t *testing.T) {
	cfg := Config{Dimensions: 2, Trees: 20, SampleSize: 32, TimeDecay: 1000, ShingleSize: 3, Seed: 1}
	f := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 2 + 32 + 10 {
		s := f.Update([]float64{rng.Float64(), rng.Float64()})
		if i < 2+32 && s != 0 {
			t.Fatalf("record %d scored %v in the warm-up", i, s)
		}
		if i >= 2+32 && s <= 0 {
			t.Fatalf("record %d scored %v after the warm-up", i, s)
		}
	}
	if f.Seen() != 32+10 {
		t.Fatalf("Seen %d", f.Seen())
	}
}

// TestShingleSeesShapes: a noisy sine wave that sticks at its peak for
// ten records: every value is in range, so only the shape is wrong, and
// only a shingled forest sees it. Measured: shingle 4, normal mean 0.84,
// 99th percentile 1.03, the stuck stretch up to 2.09; unshingled, the
// stuck stretch scores at most 0.87, under the normal 99th percentile
// (1.27).
func TestShingleSeesShapes(t *testing.T) {
	run := func(shingle int) (normal []float64, stuck float64) {
		cfg := Defaults(1)
		cfg.ShingleSize = shingle
		cfg.Seed = 3
		f := mustNew(t, cfg)
		rng := rand.New(rand.NewPCG(3, 3))
		var bs []float64
		for i := range 3500 {
			x := math.Sin(2*math.Pi*float64(i)/50) + 0.02*rng.NormFloat64()
			isStuck := i >= 3000 && i < 3010
			if isStuck {
				x = 1
			}
			s := f.Update([]float64{x})
			switch {
			case isStuck:
				bs = append(bs, s)
			case i > 1000 && i < 3000:
				normal = append(normal, s)
			}
		}
		slices.Sort(normal)
		return normal, slices.Max(bs)
	}
	n1, b1 := run(1)
	n4, b4 := run(4)
	t.Logf("shingle 1: normal mean %.3f p99 %.3f, stuck max %.3f; shingle 4: normal mean %.3f p99 %.3f, stuck max %.3f",
		mean(n1), quantile(n1, 0.99), b1, mean(n4), quantile(n4, 0.99), b4)
	if b4 < 2*mean(n4) || b4 <= quantile(n4, 0.99) {
		t.Errorf("with shingle 4 the stuck wave scored %.3f", b4)
	}
	if b1 > quantile(n1, 0.99) {
		t.Errorf("without shingling an in-range value scored %.3f", b1)
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Dimensions: 3, Trees: 30, SampleSize: 64, TimeDecay: 500, ShingleSize: 2, Seed: 42}
	a, b := mustNew(t, cfg), mustNew(t, cfg)
	cfg.Seed = 43
	c := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(5, 5))
	differ := false
	for i := range 1500 {
		p := []float64{rng.NormFloat64(), rng.NormFloat64(), float64(i % 7)}
		// b explains: the trees walked one at a time with attribution
		// score the same bits as four at a time without.
		sa, sc := a.Update(p), c.Update(p)
		sb, attr := b.UpdateExplain(p)
		if sa != sb {
			t.Fatalf("record %d: same seed scored %v and %v", i, sa, sb)
		}
		// With a shingle, each column's parts over the shingle still sum
		// to the score.
		if sum := attr[0].Score + attr[1].Score + attr[2].Score; math.Abs(sum-sb) > 1e-9*max(1, sb) {
			t.Fatalf("record %d: attributions sum to %v, score %v", i, sum, sb)
		}
		differ = differ || sa != sc
	}
	if !differ {
		t.Error("seeds 42 and 43 scored every record the same")
	}
}

func TestBadPoints(t *testing.T) {
	f := mustNew(t, Config{Dimensions: 2, Trees: 5, SampleSize: 10, TimeDecay: 100, ShingleSize: 1})
	for i := range 20 {
		f.Update([]float64{float64(i), 1})
	}
	before, _ := f.MarshalBinary()
	for _, p := range [][]float64{{math.NaN(), 1}, {1, math.Inf(1)}, {math.Inf(-1), 0}} {
		if s := f.Update(p); s != 0 {
			t.Errorf("Update(%v) = %v", p, s)
		}
	}
	after, _ := f.MarshalBinary()
	if string(before) != string(after) {
		t.Error("a point with NaN or Inf changed the forest")
	}
	// Huge values are clamped, and ranges stay finite.
	for _, p := range [][]float64{{math.MaxFloat64, -math.MaxFloat64}, {-math.MaxFloat64, 1e300}, {0, 0}} {
		if s := f.Update(p); math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			t.Errorf("Update(%v) = %v", p, s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a point of 3 values for 2 dimensions did not panic")
		}
	}()
	f.Update([]float64{1, 2, 3})
}

func TestValidate(t *testing.T) {
	good := Defaults(2)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Dimensions = 0 },
		func(c *Config) { c.Dimensions = 31 },
		func(c *Config) { c.Trees = 0 },
		func(c *Config) { c.Trees = 1001 },
		func(c *Config) { c.SampleSize = 9 },
		func(c *Config) { c.SampleSize = 1001 },
		func(c *Config) { c.TimeDecay = 0 },
		func(c *Config) { c.TimeDecay = 256 },
		func(c *Config) { c.ShingleSize = 0 },
		func(c *Config) { c.ShingleSize = 31 },
	} {
		c := good
		bad(&c)
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v", c, err)
		}
	}
}

// TestCutDistribution: inserting points in any order, and deleting one,
// leaves trees distributed as random cut trees built on what remains. On
// {0, 1, 3} the root cut falls in [0, 3): it splits off 3 with
// probability 2/3 and 0 with 1/3.
func TestCutDistribution(t *testing.T) {
	const n = 20000
	orders := [][]float64{{0, 1, 3}, {3, 1, 0}, {1, 3, 0}, {0, 10, 1, 3}, {10, 3, 0, 1}}
	for _, order := range orders {
		offThree := 0
		for k := range n {
			tr := newTree(1, uint64(k)*7919+1)
			leaves := map[float64]int32{}
			for _, x := range order {
				leaves[x] = tr.insert([]float64{x})
			}
			if l, ok := leaves[10]; ok {
				tr.remove(l)
			}
			checkTree(t, &tr)
			_, cut := tr.cutOf(tr.root)
			if cut >= 1 && cut < 3 {
				offThree++
			} else if !(cut >= 0 && cut < 1) {
				t.Fatalf("order %v: root cut %v", order, cut)
			}
		}
		got := float64(offThree) / n
		if math.Abs(got-2.0/3) > 0.02 {
			t.Errorf("order %v: the root splits off 3 in %.3f of trees, want 0.667", order, got)
		}
	}
}

// checkTree verifies a tree's invariants: parents and children agree,
// each box is the union of its children's, each cut separates them, and
// each leaf's mass is its sample entries' count.
func checkTree(t testing.TB, tr *tree) {
	t.Helper()
	if tr.root == none {
		if len(tr.sample) != 0 {
			t.Fatalf("an empty tree with %d sample entries", len(tr.sample))
		}
		return
	}
	if tr.parentOf(tr.root) != none {
		t.Fatal("the root has a parent")
	}
	leafCount := map[int32]int32{}
	stack := []int32{tr.root}
	for len(stack) > 0 {
		ref := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if ref < 0 {
			leafCount[^ref] = 0
			continue
		}
		left, right := tr.kids(ref)
		dim, cut := tr.cutOf(ref)
		for _, c := range []int32{left, right} {
			if tr.parentOf(c) != ref {
				t.Fatalf("node %d's child %d names parent %d", ref, c, tr.parentOf(c))
			}
		}
		lo, hi := tr.bounds(ref)
		llo, lhi := tr.bounds(left)
		rlo, rhi := tr.bounds(right)
		sum := 0.0
		for i := range lo {
			if lo[i] != min(llo[i], rlo[i]) || hi[i] != max(lhi[i], rhi[i]) {
				t.Fatalf("node %d's box %v..%v is not its children's union", ref, lo, hi)
			}
			sum += hi[i] - lo[i]
		}
		if got := tr.node(ref)[slotSum]; got != sum {
			t.Fatalf("node %d's sum of ranges is %v, its box's %v", ref, got, sum)
		}
		if !(lhi[dim] <= cut && cut < rlo[dim]) {
			t.Fatalf("node %d's cut %v does not separate %v and %v", ref, cut, lhi[dim], rlo[dim])
		}
		stack = append(stack, left, right)
	}
	for _, e := range tr.sample {
		if _, ok := leafCount[e.leaf]; !ok {
			t.Fatalf("a sample entry names leaf %d, not in the tree", e.leaf)
		}
		leafCount[e.leaf]++
	}
	if len(tr.sample) > 0 {
		for l, c := range leafCount {
			if tr.leafMass[l] != c {
				t.Fatalf("leaf %d has mass %d and %d sample entries", l, tr.leafMass[l], c)
			}
		}
	}
	if !isHeap(tr.sample) {
		t.Fatal("the sample is out of heap order")
	}
}

// TestChurnInvariants: a short horizon keeps points coming and going
// (duplicates included); every tree stays consistent throughout.
func TestChurnInvariants(t *testing.T) {
	cfg := Config{Dimensions: 2, Trees: 8, SampleSize: 16, TimeDecay: 40, ShingleSize: 1, Seed: 9}
	f := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 5000 {
		f.Update([]float64{float64(rng.IntN(6)), float64(rng.IntN(3))})
		if i%97 == 0 {
			for k := range f.trees {
				checkTree(t, &f.trees[k])
			}
		}
	}
	for k := range f.trees {
		checkTree(t, &f.trees[k])
		if len(f.trees[k].sample) != cfg.SampleSize {
			t.Fatalf("tree %d samples %d points", k, len(f.trees[k].sample))
		}
	}
}

// TestRecency: after a level shift the forest forgets the old level
// within a few horizons: the new level's points stop scoring high.
func TestRecency(t *testing.T) {
	cfg := Config{Dimensions: 1, Trees: 50, SampleSize: 64, TimeDecay: 200, ShingleSize: 1, Seed: 4}
	f := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(4, 4))
	var first, late []float64
	for i := range 4000 {
		x := rng.Float64()
		if i >= 2000 {
			x += 100
		}
		s := f.Update([]float64{x})
		if i >= 2000 && i < 2005 {
			first = append(first, s)
		}
		if i >= 3500 {
			late = append(late, s)
		}
	}
	t.Logf("after the shift: first %.3f, late mean %.3f", first[0], mean(late))
	if first[0] < 4 || mean(late) > 1.5 {
		t.Errorf("after the shift: first %.3f, late mean %.3f", first[0], mean(late))
	}
}

// TestNoAllocations: once the samples are full an update allocates
// nothing, explained or not.
func TestNoAllocations(t *testing.T) {
	cfg := Config{Dimensions: 3, Trees: 20, SampleSize: 64, TimeDecay: 300, ShingleSize: 2, Seed: 2}
	f := mustNew(t, cfg)
	rng := rand.New(rand.NewPCG(2, 2))
	p := make([]float64, 3)
	next := func() {
		for i := range p {
			p[i] = rng.NormFloat64()
		}
	}
	for range 3000 {
		next()
		f.Update(p)
	}
	dst := make([]Attribution, 0, 3)
	if n := testing.AllocsPerRun(2000, func() {
		next()
		f.Update(p)
		next()
		_, dst = f.UpdateExplainInto(p, dst)
	}); n != 0 {
		t.Errorf("%v allocations per update", n)
	}
}

// clone is a deep copy of the tree with its own random source.
func (t *tree) clone(seed uint64) tree {
	c := *t
	c.rng = splitmix{state: seed}
	c.nodes = slices.Clone(t.nodes)
	c.freeNodes = slices.Clone(t.freeNodes)
	c.leafParent = slices.Clone(t.leafParent)
	c.leafMass = slices.Clone(t.leafMass)
	c.points = slices.Clone(t.points)
	c.freeLeaves = slices.Clone(t.freeLeaves)
	c.sample = slices.Clone(t.sample)
	return c
}

// TestScoreIsExpectedInverseDepth: a tree's score of a point is the mean
// of 1/depth of the leaf the point gets when it is inserted, over the
// insertion's random cuts: checked by inserting it into 40000 copies of a
// tree of 40 points, for points inside, at the edge of and far outside
// the data. Likewise each attribution part is the mean of 1/depth over
// the insertions whose separating cut (the new leaf's parent's) is in
// that dimension with the point on that side.
func TestScoreIsExpectedInverseDepth(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	tr := newTree(2, 1)
	for range 40 {
		tr.insert([]float64{rng.NormFloat64(), 3 * rng.NormFloat64()})
	}
	inv := make([]float64, 64)
	for k := range inv {
		inv[k] = 1 / float64(k+1)
	}
	for _, p := range [][]float64{{0.1, 0.2}, {2, -4}, {30, 1}, {-3, 50}} {
		attr := make([]float64, 4)
		want := tr.score(p, inv, attr, 1)
		const n = 40000
		sum, sumSq := 0.0, 0.0
		parts := make([]float64, 4)
		for k := range n {
			c := tr.clone(uint64(k) + 1000)
			leaf := c.insert(p)
			depth := 0
			for ref := c.leafParent[leaf]; ref != none; ref = c.parentOf(ref) {
				depth++
			}
			x := 1 / float64(depth)
			sum += x
			sumSq += x * x
			parent := c.leafParent[leaf]
			dim, _ := c.cutOf(parent)
			if _, right := c.kids(parent); right == ^leaf {
				parts[dim] += x // above the cut: high
			} else {
				parts[2+dim] += x
			}
		}
		for i := range parts {
			parts[i] /= n
			if math.Abs(parts[i]-attr[i]) > 0.01 {
				t.Errorf("%v: attribution %.4f, inserting gives %.4f (high x, high y, low x, low y)", p, attr, parts)
				break
			}
		}
		got := sum / n
		sd := math.Sqrt((sumSq/n - got*got) / n)
		t.Logf("%v: score %.4f, inserted %.4f ± %.4f", p, want, got, sd)
		if math.Abs(got-want) > 4*sd+1e-9 {
			t.Errorf("%v: score %.4f, but inserting gives %.4f ± %.4f", p, want, got, sd)
		}
	}
}

// TestSampleHorizon: with weights e^(n/TimeDecay) a sample much smaller
// than TimeDecay holds a point of age a with probability about
// (SampleSize/TimeDecay)·e^(-a/TimeDecay): its ages are close to
// exponential with mean TimeDecay. Each point is its own sequence number,
// so the leaves tell the ages.
func TestSampleHorizon(t *testing.T) {
	cfg := Config{Dimensions: 1, Trees: 20, SampleSize: 50, TimeDecay: 1000, ShingleSize: 1, Seed: 8}
	f := mustNew(t, cfg)
	const n = 20000
	for i := range n {
		f.Update([]float64{float64(i)})
	}
	var ages []float64
	for k := range f.trees {
		tr := &f.trees[k]
		for _, e := range tr.sample {
			ages = append(ages, float64(n-1)-tr.points[e.leaf])
		}
	}
	slices.Sort(ages)
	m, median := mean(ages), quantile(ages, 0.5)
	t.Logf("%d sampled ages: mean %.0f, median %.0f (exponential: 1000, 693)", len(ages), m, median)
	if m < 850 || m > 1150 || median < 550 || median > 850 {
		t.Errorf("sampled ages: mean %.0f, median %.0f; want about 1000 and 693", m, median)
	}
}
