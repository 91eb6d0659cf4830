package rcf

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// feed gives f n points of dims values from rng: clustered, with
// repeats and an occasional outlier.
func feed(f *Forest, rng *rand.Rand, n int) {
	p := make([]float64, f.cfg.Dimensions)
	for range n {
		for i := range p {
			p[i] = float64(rng.IntN(20))
			if rng.IntN(50) == 0 {
				p[i] += 100
			}
		}
		f.Update(p)
	}
}

// TestSnapshotRoundTrip: a restored forest is the original: it marshals
// to the same bytes and scores and explains the next points exactly as
// the original does (shingled, with a short horizon so that samples
// churn, restored mid-shingle and after the warm-up).
func TestSnapshotRoundTrip(t *testing.T) {
	for _, cfg := range []Config{
		{Dimensions: 2, Trees: 25, SampleSize: 64, TimeDecay: 300, ShingleSize: 3, Seed: 11},
		{Dimensions: 1, Trees: 10, SampleSize: 10, TimeDecay: 11, ShingleSize: 1, Seed: 12},
		{Dimensions: 3, Trees: 1, SampleSize: 16, TimeDecay: 100, ShingleSize: 1, Seed: 13},
	} {
		for _, before := range []int{0, 1, 40, 3000} {
			orig := mustNew(t, cfg)
			rng := rand.New(rand.NewPCG(uint64(before), 1))
			feed(orig, rng, before)
			b, err := orig.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var restored Forest
			if err := restored.UnmarshalBinary(b); err != nil {
				t.Fatalf("%d points: %v", before, err)
			}
			again, err := restored.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Fatalf("%d points: the restored forest marshals differently", before)
			}
			if restored.Config() != cfg || restored.Seen() != orig.Seen() {
				t.Fatalf("%d points: restored %+v seen %d", before, restored.Config(), restored.Seen())
			}
			p := make([]float64, cfg.Dimensions)
			for i := range 1000 {
				for k := range p {
					p[k] = rng.NormFloat64()*5 + 10
				}
				s1, a1 := orig.UpdateExplain(p)
				s2, a2 := restored.UpdateExplain(p)
				if s1 != s2 {
					t.Fatalf("%d points, then point %d: original %v, restored %v", before, i, s1, s2)
				}
				for k := range a1 {
					if a1[k] != a2[k] {
						t.Fatalf("%d points, then point %d: explanations %+v and %+v", before, i, a1, a2)
					}
				}
			}
			for k := range restored.trees {
				checkTree(t, &restored.trees[k])
			}
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	f := mustNew(t, Config{Dimensions: 2, Trees: 3, SampleSize: 10, TimeDecay: 50, ShingleSize: 2, Seed: 1})
	feed(f, rand.New(rand.NewPCG(1, 1)), 100)
	good, _ := f.MarshalBinary()
	keep, _ := f.MarshalBinary()
	var g Forest
	for n := range len(good) {
		if err := g.UnmarshalBinary(good[:n]); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("%d of %d bytes: %v", n, len(good), err)
		}
	}
	if err := g.UnmarshalBinary(append(append([]byte(nil), good...), 0)); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("a trailing byte: %v", err)
	}
	// Every single flipped byte is either caught or yields a forest that
	// still works.
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x5a
		var h Forest
		if err := h.UnmarshalBinary(bad); err == nil {
			feed(&h, rand.New(rand.NewPCG(2, 2)), 50)
		}
	}
	// A failed restore leaves the forest as it was.
	if err := f.UnmarshalBinary(good[:len(good)/2]); err == nil {
		t.Fatal("half a snapshot restored")
	}
	now, _ := f.MarshalBinary()
	if !bytes.Equal(now, keep) {
		t.Fatal("a failed restore changed the forest")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, cfg := range []Config{
		{Dimensions: 1, Trees: 2, SampleSize: 10, TimeDecay: 20, ShingleSize: 1, Seed: 1},
		{Dimensions: 2, Trees: 2, SampleSize: 10, TimeDecay: 30, ShingleSize: 2, Seed: 2},
	} {
		for _, n := range []int{0, 1, 5, 60} {
			g, err := New(cfg)
			if err != nil {
				f.Fatal(err)
			}
			feed(g, rand.New(rand.NewPCG(uint64(n), 3)), n)
			b, err := g.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("RCF\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var g Forest
		if err := g.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("an error that is not ErrSnapshot: %v", err)
			}
			return
		}
		for k := range g.trees {
			checkTree(t, &g.trees[k])
		}
		feed(&g, rand.New(rand.NewPCG(1, 1)), 30)
		b2, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var h Forest
		if err := h.UnmarshalBinary(b2); err != nil {
			t.Fatalf("a forest's own snapshot: %v", err)
		}
	})
}
