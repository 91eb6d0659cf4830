package producer

import "time"

// bucket is a token bucket holding at most one second of allowance, as a
// Kinesis shard meters writes. A zero rate means no limit.
type bucket struct {
	rate, tokens float64
	last         time.Time
}

func newBucket(rate float64, now time.Time) bucket {
	return bucket{rate: rate, tokens: rate, last: now}
}

func (b *bucket) refill(now time.Time) {
	if b.rate == 0 {
		return
	}
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// allows reports whether n tokens can be taken now. A request for more than
// the bucket holds passes once the bucket is full, so that no record is
// stuck forever.
func (b *bucket) allows(n float64) bool {
	return b.rate == 0 || b.tokens >= min(n, b.rate)
}

func (b *bucket) take(n float64) {
	if b.rate != 0 {
		b.tokens -= n
	}
}

// wait is how long until n tokens are there.
func (b *bucket) wait(n float64) time.Duration {
	if b.allows(n) {
		return 0
	}
	return time.Duration((min(n, b.rate) - b.tokens) / b.rate * float64(time.Second))
}
