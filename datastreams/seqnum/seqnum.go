package seqnum

import (
	"errors"
	"math/bits"
)

// ErrInvalid is returned for text that is not a version-2 sequence number.
var ErrInvalid = errors.New("seqnum: not a valid sequence number")

// MaxCounter is the counter value of a closed shard's ending sequence number.
const MaxCounter = 0x7fffffffffffffff

// Parts are the fields of a sequence number.
type Parts struct {
	ShardCreated int64  // shard creation, unix seconds (36 bits)
	ShardIndex   uint32 // shard index
	Counter      uint64 // position in the shard
	Arrival      int64  // record arrival, unix seconds (36 bits)
}

const mask36 = 1<<36 - 1

// words returns the 188-bit value as three words, most significant first.
func (p Parts) words() (hi, mid, lo uint64) {
	// Bit layout, from bit 187 down: 2 (4) | created (36) | ix&15 (4) |
	// counter (64) | 0 (8) | arrival (36) | ix (32) | 2 (4).
	lo = 2 | uint64(p.ShardIndex)<<4 | (uint64(p.Arrival)&mask36)<<36 // bits 0..71 start here
	mid = (uint64(p.Arrival) & mask36) >> 28                          // arrival bits 28..35 -> bits 64..71
	// bits 72..79 are the zero byte; counter occupies bits 80..143.
	mid |= p.Counter << 16
	hi = p.Counter >> 48
	// ix&15 at bits 144..147, created at 148..183, marker at 184..187.
	hi |= uint64(p.ShardIndex&15) << 16
	hi |= (uint64(p.ShardCreated) & mask36) << 20
	hi |= 2 << 56
	return hi, mid, lo
}

const pow19 = 10000000000000000000 // 10^19

// Format renders p as a 56-digit decimal.
func Format(p Parts) string {
	return string(Append(nil, p))
}

// Append appends the decimal form of p to dst.
func Append(dst []byte, p Parts) []byte {
	hi, mid, lo := p.words()
	// Split into base-10^19 limbs (at most 3 for 188 bits).
	var limbs [3]uint64
	n := 0
	for hi != 0 || mid != 0 || lo != 0 {
		var r uint64
		hi, r = bits.Div64(0, hi, pow19)
		mid, r = bits.Div64(r, mid, pow19)
		lo, r = bits.Div64(r, lo, pow19)
		limbs[n] = r
		n++
	}
	if n == 0 {
		return append(dst, '0')
	}
	var buf [60]byte
	i := len(buf)
	for k := 0; k < n; k++ {
		v := limbs[k]
		if k < n-1 {
			// A lower limb is exactly 19 digits, zeros included: nine pairs
			// and one.
			for range 9 {
				q := v / 100
				r := v - q*100
				i -= 2
				buf[i], buf[i+1] = digitPairs[2*r], digitPairs[2*r+1]
				v = q
			}
			i--
			buf[i] = byte('0' + v)
			continue
		}
		for v >= 100 {
			q := v / 100
			r := v - q*100
			i -= 2
			buf[i], buf[i+1] = digitPairs[2*r], digitPairs[2*r+1]
			v = q
		}
		if v >= 10 {
			i -= 2
			buf[i], buf[i+1] = digitPairs[2*v], digitPairs[2*v+1]
		} else {
			i--
			buf[i] = byte('0' + v)
		}
	}
	return append(dst, buf[i:]...)
}

// digitPairs holds "00" to "99", for two digits a step.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// Parse decodes a decimal sequence number.
func Parse(s string) (Parts, error) {
	if len(s) == 0 || len(s) > 57 {
		return Parts{}, ErrInvalid
	}
	var hi, mid, lo uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return Parts{}, ErrInvalid
		}
		// (hi,mid,lo) = (hi,mid,lo)*10 + d
		h1, l1 := bits.Mul64(lo, 10)
		l, carry := bits.Add64(l1, uint64(c-'0'), 0)
		h2, m1 := bits.Mul64(mid, 10)
		m, carry2 := bits.Add64(m1, h1+carry, 0)
		_, hh := bits.Mul64(hi, 10)
		hh2, over := bits.Add64(hh, h2+carry2, 0)
		top, _ := bits.Mul64(hi, 10)
		if top != 0 || over != 0 {
			return Parts{}, ErrInvalid
		}
		hi, mid, lo = hh2, m, l
	}
	if hi>>60 != 0 || hi>>56 != 2 || lo&15 != 2 || (mid>>8)&0xff != 0 {
		return Parts{}, ErrInvalid
	}
	p := Parts{
		ShardCreated: int64((hi >> 20) & mask36),
		Counter:      mid>>16 | (hi&0xffff)<<48,
		Arrival:      int64(lo>>36 | (mid&0xff)<<28),
		ShardIndex:   uint32(lo >> 4),
	}
	if uint32((hi>>16)&15) != p.ShardIndex&15 {
		return Parts{}, ErrInvalid
	}
	return p, nil
}
