package ratelog

import (
	"sync"
	"time"
)

// Every is the interval a Limiter uses.
const Every = 10 * time.Second

// Limiter says when to log a repeating event. The zero value is ready.
type Limiter struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

// Allow counts an event at now and reports whether to log it, with how
// many events (this one included) happened since the last one logged.
func (r *Limiter) Allow(now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if !r.last.IsZero() && now.Sub(r.last) < Every {
		return false, 0
	}
	n := r.n
	r.last, r.n = now, 0
	return true, n
}
