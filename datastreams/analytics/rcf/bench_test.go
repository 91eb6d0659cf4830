package rcf

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkUpdate: KDA's default forest (100 trees of 256 points) over
// 2 and 3 clustered columns, already past the warm-up; "churn" uses a
// horizon of 1000 records, so that about a quarter of the updates also
// replace a point in each tree's sample; "explain" adds the attribution.
func BenchmarkUpdate(b *testing.B) {
	for _, bc := range []struct {
		name    string
		dims    int
		decay   int
		explain bool
	}{
		{"dims=2", 2, DefaultTimeDecay, false},
		{"dims=3", 3, DefaultTimeDecay, false},
		{"dims=3/churn", 3, 1000, false},
		{"dims=3/explain", 3, DefaultTimeDecay, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Defaults(bc.dims)
			cfg.TimeDecay = bc.decay
			f := mustNew(b, cfg)
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 1 << 14
			points := make([][]float64, n)
			for i := range points {
				points[i] = make([]float64, bc.dims)
				for k := range points[i] {
					points[i][k] = 50 + 10*rng.NormFloat64()
				}
			}
			for i := range 20000 {
				f.Update(points[i%n])
			}
			dst := make([]Attribution, 0, bc.dims)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if bc.explain {
					_, dst = f.UpdateExplainInto(points[i%n], dst)
				} else {
					f.Update(points[i%n])
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "points/s")
		})
	}
}

func ExampleForest() {
	f, _ := New(Config{Dimensions: 1, Trees: 50, SampleSize: 64, TimeDecay: 10000, ShingleSize: 1, Seed: 1})
	for i := range 1000 {
		f.Update([]float64{float64(60 + i%40)})
	}
	normal := f.Update([]float64{80})
	spike := f.Update([]float64{180})
	fmt.Printf("normal %.1f, spike %.1f\n", normal, spike)
	// Output: normal 0.8, spike 5.0
}
