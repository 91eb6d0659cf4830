package autoscale

import (
	"math/bits"
	"sync/atomic"
)

// Key is an unsigned 128-bit hash key.
type Key struct{ Hi, Lo uint64 }

// Cmp compares a and b: -1, 0 or 1.
func (a Key) Cmp(b Key) int {
	switch {
	case a.Hi < b.Hi:
		return -1
	case a.Hi > b.Hi:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

func (a Key) sub(b Key) Key {
	lo, borrow := bits.Sub64(a.Lo, b.Lo, 0)
	return Key{a.Hi - b.Hi - borrow, lo}
}

func (a Key) add(b Key) Key {
	lo, carry := bits.Add64(a.Lo, b.Lo, 0)
	return Key{a.Hi + b.Hi + carry, lo}
}

func (a Key) leadingZeros() uint {
	if a.Hi != 0 {
		return uint(bits.LeadingZeros64(a.Hi))
	}
	return 64 + uint(bits.LeadingZeros64(a.Lo))
}

// top64 returns the high 64 bits of a shifted left by s (s < 128).
func (a Key) top64(s uint) uint64 {
	if s >= 64 {
		return a.Lo << (s - 64)
	}
	return a.Hi<<s | a.Lo>>(64-s)
}

// Buckets is how many equal parts of a shard's hash-key range a Meter
// counts writes in.
const Buckets = 16

// recordWeight is what one record adds to its histogram bucket beside its
// bytes: a shard takes 1 MiB/s or 1000 records/s, so a record costs about
// as much capacity as 1049 bytes, and the weights follow both limits.
const recordWeight = (1 << 20) / 1000

// Meter counts the writes of one shard: running totals of bytes, records
// and the weight of the hash keys written, in Buckets parts of the shard's
// range. It is safe for concurrent use; a nil Meter counts nothing.
type Meter struct {
	start Key
	shift uint   // leading zeros of the range's width, which normalizes it
	div   uint64 // the normalized width's top 64 bits, plus one (0: 2^64)
	flat  bool   // the range is one key

	bytes, records atomic.Uint64
	hist           [Buckets]atomic.Uint64
}

// NewMeter returns a meter for the shard holding keys start..end (inclusive).
func NewMeter(start, end Key) *Meter {
	m := &Meter{start: start}
	width := end.sub(start)
	if width == (Key{}) {
		m.flat = true
		return m
	}
	m.shift = width.leadingZeros()
	m.div = width.top64(m.shift) + 1
	return m
}

// Add counts one record of size bytes written at hash key k.
func (m *Meter) Add(k Key, size int) {
	if m == nil {
		return
	}
	m.bytes.Add(uint64(size))
	m.records.Add(1)
	m.hist[m.bucket(k)].Add(uint64(size) + recordWeight)
}

// bucket returns the part of the range k falls in, about
// floor((k-start)*Buckets/(end-start+1)) from the top 64 bits of both.
func (m *Meter) bucket(k Key) int {
	if m.flat || k.Cmp(m.start) < 0 {
		return 0
	}
	off := k.sub(m.start).top64(m.shift)
	if m.div == 0 {
		return int(off >> 60)
	}
	hi, lo := bits.Mul64(off, Buckets)
	if hi >= m.div { // a key past the range's end
		return Buckets - 1
	}
	q, _ := bits.Div64(hi, lo, m.div)
	return int(min(q, Buckets-1))
}

// reading is a meter's totals at one moment.
type reading struct {
	bytes, records uint64
	hist           [Buckets]uint64
}

func (m *Meter) read() reading {
	var r reading
	if m == nil {
		return r
	}
	r.bytes = m.bytes.Load()
	r.records = m.records.Load()
	for i := range m.hist {
		r.hist[i] = m.hist[i].Load()
	}
	return r
}
