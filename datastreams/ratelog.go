package datastreams

import (
	"sync"
	"time"
)

// rateLogEvery is how often a repeating condition (a full disk) is logged.
const rateLogEvery = 10 * time.Second

// rateLog bounds how often a repeating event is logged: allow says yes at
// most once per rateLogEvery, with how many events happened since the last yes.
type rateLog struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

func (r *rateLog) allow(now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if !r.last.IsZero() && now.Sub(r.last) < rateLogEvery {
		return false, 0
	}
	n := r.n
	r.last, r.n = now, 0
	return true, n
}
