package datastreams

import (
	"sync"
	"time"
)

// Per-shard throughput limits of a provisioned Kinesis shard.
const (
	writeBytesPerSec   = 1 << 20
	writeRecordsPerSec = 1000
	readCallsPerSec    = 5
	readBytesPerSec    = 2 << 20
)

// shardLimits meters one shard with token buckets holding one second of
// allowance, as AWS enforces per-shard limits.
type shardLimits struct {
	now func() time.Time

	mu                    sync.Mutex
	wBytes, wRecs, rCalls bucket
	rBytes                bucket
}

type bucket struct {
	rate, tokens float64
	last         time.Time
}

func newShardLimits(now func() time.Time) *shardLimits {
	t := now()
	mk := func(rate float64) bucket { return bucket{rate: rate, tokens: rate, last: t} }
	return &shardLimits{now: now, wBytes: mk(writeBytesPerSec), wRecs: mk(writeRecordsPerSec),
		rCalls: mk(readCallsPerSec), rBytes: mk(readBytesPerSec)}
}

func (b *bucket) refill(now time.Time) {
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.rate {
		b.tokens = b.rate
	}
	b.last = now
}

// admitWrite reserves one record of size bytes; false means throttled.
func (l *shardLimits) admitWrite(size int) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.wBytes.refill(now)
	l.wRecs.refill(now)
	if l.wRecs.tokens < 1 || l.wBytes.tokens < float64(size) {
		return false
	}
	l.wRecs.tokens--
	l.wBytes.tokens -= float64(size)
	return true
}

// admitRead takes one read call; it is refused while the byte allowance is
// overdrawn by earlier large reads.
func (l *shardLimits) admitRead() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.rCalls.refill(now)
	l.rBytes.refill(now)
	if l.rCalls.tokens < 1 || l.rBytes.tokens <= 0 {
		return false
	}
	l.rCalls.tokens--
	return true
}

// chargeRead debits bytes returned by a read; the allowance may go negative.
func (l *shardLimits) chargeRead(n int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.rBytes.tokens -= float64(n)
	l.mu.Unlock()
}
