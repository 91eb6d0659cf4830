package consumer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestTarget(t *testing.T) {
	for _, c := range []struct{ leases, workers, want int }{
		{8, 3, 3}, {8, 4, 2}, {8, 8, 1}, {3, 8, 1}, {0, 3, 0}, {9, 3, 3}, {10, 3, 4}, {1, 1, 1},
	} {
		if got := target(c.leases, c.workers); got != c.want {
			t.Errorf("target(%d, %d) = %d, want %d", c.leases, c.workers, got, c.want)
		}
	}
}

func TestExpiryByUnchangedCounter(t *testing.T) {
	e := newExpiry()
	t0 := time.Unix(1000, 0)
	fo := 1500 * time.Millisecond
	owned := Lease{Key: "a", Owner: "w1", Counter: 5}
	free := Lease{Key: "b", Counter: 2}
	e.observe([]Lease{owned, free}, t0)
	// First sighting: an owned lease gets a full failover time, an
	// unowned one is available at once.
	if e.expired(owned, t0.Add(fo), fo) {
		t.Error("owned lease expired after exactly the failover time")
	}
	if !e.expired(free, t0, fo) {
		t.Error("unowned lease seen first is not available")
	}
	if !e.expired(owned, t0.Add(fo+time.Millisecond), fo) {
		t.Error("owned lease with a still counter not expired after the failover time")
	}
	// A renewal (counter change) restarts the clock.
	owned.Counter++
	e.observe([]Lease{owned, free}, t0.Add(time.Second))
	if e.expired(owned, t0.Add(time.Second+fo), fo) {
		t.Error("renewed lease expired")
	}
	if !e.expired(owned, t0.Add(time.Second+fo+time.Millisecond), fo) {
		t.Error("lease not expired a failover time after its last renewal")
	}
	// Leases gone from the table are forgotten.
	e.observe([]Lease{owned}, t0.Add(2*time.Second))
	if _, ok := e.seen["b"]; ok {
		t.Error("deleted lease still tracked")
	}
}

// sim runs taker rounds of several workers over one in-memory table and
// returns how many leases each holds.
type sim struct {
	leases map[string]*Lease
	rnd    *rand.Rand
}

func newSim(n int) *sim {
	s := &sim{leases: map[string]*Lease{}, rnd: rand.New(rand.NewPCG(1, 2))}
	for i := range n {
		k := fmt.Sprintf("shardId-%012d", i)
		s.leases[k] = &Lease{Key: k}
	}
	return s
}

func (s *sim) counts(workers []string) []int {
	var out []int
	for _, w := range workers {
		n := 0
		for _, l := range s.leases {
			if l.Owner == w {
				n++
			}
		}
		out = append(out, n)
	}
	return out
}

// round is one taker round of worker w: every lease it does not hold is
// available only when unowned (no lease expires in this simulation).
func (s *sim) round(w string) {
	var live []Lease
	avail := map[string]bool{}
	held := 0
	keys := make([]string, 0, len(s.leases))
	for k := range s.leases {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l := *s.leases[k]
		live = append(live, l)
		if l.Owner == w {
			held++
		} else if l.Owner == "" {
			avail[l.Key] = true
		}
	}
	plan := planTakes(live, avail, w, held, 1, s.rnd)
	for _, l := range plan.take {
		s.leases[l.Key].Owner = w
		s.leases[l.Key].Counter++
	}
}

func within1(c []int) bool {
	return slices.Max(c)-slices.Min(c) <= 1
}

func TestBalanceThreeWorkersEightShards(t *testing.T) {
	workers := []string{"w1", "w2", "w3"}
	// All start together.
	s := newSim(8)
	for range 10 {
		for _, w := range workers {
			s.round(w)
		}
	}
	if c := s.counts(workers); !within1(c) || c[0]+c[1]+c[2] != 8 {
		t.Fatalf("together: %v", c)
	}
	// One worker holds everything, then two more join: they steal one at a
	// time until the spread is within one, and then stop.
	s = newSim(8)
	s.round("w1")
	if c := s.counts(workers); c[0] != 8 {
		t.Fatalf("alone: %v", c)
	}
	for range 20 {
		for _, w := range workers {
			s.round(w)
		}
	}
	c := s.counts(workers)
	if !within1(c) || c[0]+c[1]+c[2] != 8 {
		t.Fatalf("after joining: %v", c)
	}
	before := map[string]string{}
	for k, l := range s.leases {
		before[k] = l.Owner
	}
	for range 5 {
		for _, w := range workers {
			s.round(w)
		}
	}
	for k, l := range s.leases {
		if before[k] != l.Owner {
			t.Fatalf("a balanced table still moves: %s %s -> %s", k, before[k], l.Owner)
		}
	}
}

func TestBalanceManyShapes(t *testing.T) {
	for shards := 1; shards <= 17; shards++ {
		for nw := 1; nw <= 6; nw++ {
			var workers []string
			for i := range nw {
				workers = append(workers, fmt.Sprintf("w%d", i))
			}
			s := newSim(shards)
			s.round(workers[0])
			for range 4 * shards {
				for _, w := range workers {
					s.round(w)
				}
			}
			c := s.counts(workers)
			sum := 0
			for _, n := range c {
				sum += n
			}
			if sum != shards {
				t.Fatalf("%d shards %d workers: %v", shards, nw, c)
			}
			if nw <= shards && !within1(c) {
				t.Errorf("%d shards %d workers: not within one: %v", shards, nw, c)
			}
		}
	}
}

func TestStealCappedAndFromMostLoaded(t *testing.T) {
	var leases []Lease
	for i := range 9 {
		owner := "big"
		if i >= 7 {
			owner = "small"
		}
		leases = append(leases, Lease{Key: fmt.Sprint(i), Owner: owner})
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	p := planTakes(leases, map[string]bool{}, "me", 0, 1, rnd)
	if !p.steal || len(p.take) != 1 || p.take[0].Owner != "big" || p.target != 3 {
		t.Fatalf("plan %+v", p)
	}
	p = planTakes(leases, map[string]bool{}, "me", 0, 5, rnd)
	if len(p.take) != 3 {
		t.Fatalf("with 5 allowed: %+v", p)
	}
}
