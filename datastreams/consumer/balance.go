package consumer

import (
	"math/rand/v2"
	"time"
)

// expiry tracks, per lease, when this worker last saw its counter change,
// on its own clock. No time is stored in the table: a lease is expired
// when its counter has stayed the same for longer than the failover time.
type expiry struct {
	seen map[string]sighting
}

type sighting struct {
	counter int64
	// changed is when the counter was last seen to change; zero when the
	// lease was first seen unowned (available at once).
	changed time.Time
}

func newExpiry() *expiry { return &expiry{seen: map[string]sighting{}} }

// observe records a scan made at now. A counter that changed restarts the
// lease's clock; a lease seen for the first time starts it at now when
// owned (its owner gets a full failover time to show it is alive), or is
// available at once when unowned.
func (e *expiry) observe(leases []Lease, now time.Time) {
	keep := make(map[string]sighting, len(leases))
	for _, l := range leases {
		old, ok := e.seen[l.Key]
		switch {
		case !ok && l.Owner == "":
			keep[l.Key] = sighting{counter: l.Counter}
		case !ok || old.counter != l.Counter:
			keep[l.Key] = sighting{counter: l.Counter, changed: now}
		default:
			keep[l.Key] = old
		}
	}
	e.seen = keep
}

// expired reports whether l's counter has not changed for more than
// failover before now.
func (e *expiry) expired(l Lease, now time.Time, failover time.Duration) bool {
	s, ok := e.seen[l.Key]
	if !ok || s.counter != l.Counter {
		return false
	}
	return s.changed.IsZero() || now.Sub(s.changed) > failover
}

// target is the number of leases each worker should hold: one each when
// there are at least as many workers as leases, else ceil(leases/workers).
func target(leases, workers int) int {
	if workers <= 0 {
		workers = 1
	}
	if workers >= leases {
		if leases == 0 {
			return 0
		}
		return 1
	}
	return (leases + workers - 1) / workers
}

// takePlan is what one taker round decides: leases to take because they
// are free, or at most maxSteal leases to steal from the most loaded
// worker.
type takePlan struct {
	take   []Lease
	steal  bool
	target int
}

// planTakes applies the KCL 2.x taker rules to one scan. leases are the
// live (unfinished) leases; available are the keys that are unowned or
// expired and not held by self. Workers are counted over the owners of
// the leases that are not available, plus self.
func planTakes(leases []Lease, available map[string]bool, self string, held int, maxSteal int, rnd *rand.Rand) takePlan {
	counts := map[string]int{self: 0}
	var free []Lease
	for _, l := range leases {
		if available[l.Key] {
			free = append(free, l)
			continue
		}
		if l.Owner != "" && l.Owner != self {
			counts[l.Owner]++
		}
	}
	counts[self] = held
	tgt := target(len(leases), len(counts))
	plan := takePlan{target: tgt}
	need := tgt - held
	if need <= 0 {
		return plan
	}
	if len(free) > 0 {
		rnd.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		plan.take = free[:min(need, len(free))]
		return plan
	}
	// Nothing free: steal from the most loaded worker (ties broken by
	// name, so every worker agrees on who is most loaded).
	most, mostN := "", 0
	for w, n := range counts {
		if w == self {
			continue
		}
		if n > mostN || (n == mostN && w < most) {
			most, mostN = w, n
		}
	}
	if most == "" {
		return plan
	}
	steal := min(need, mostN-tgt)
	if steal <= 0 {
		if need > 1 && mostN > held+1 {
			steal = 1
		} else {
			return plan
		}
	}
	steal = min(steal, max(maxSteal, 1))
	var theirs []Lease
	for _, l := range leases {
		if l.Owner == most {
			theirs = append(theirs, l)
		}
	}
	rnd.Shuffle(len(theirs), func(i, j int) { theirs[i], theirs[j] = theirs[j], theirs[i] })
	plan.take = theirs[:min(steal, len(theirs))]
	plan.steal = true
	return plan
}
