package datastreams

import (
	"crypto/md5"
	"encoding/binary"
	"math/bits"
	"strconv"
)

// hashKey is an unsigned 128-bit hash key.
type hashKey struct{ hi, lo uint64 }

var maxHashKey = hashKey{^uint64(0), ^uint64(0)}

func (a hashKey) cmp(b hashKey) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// partitionHash is MD5 of the partition key's UTF-8 bytes, read big-endian.
func partitionHash(pk string) hashKey {
	sum := md5.Sum([]byte(pk))
	return hashKey{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
}

// parseHashKey parses a decimal hash key; ok is false for anything that is
// not a decimal integer in [0, 2^128-1].
func parseHashKey(s string) (hashKey, bool) {
	if s == "" {
		return hashKey{}, false
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if len(s) > 39 {
		return hashKey{}, false
	}
	var k hashKey
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return hashKey{}, false
		}
		hiMul, hiLo := bits.Mul64(k.hi, 10)
		loHi, loLo := bits.Mul64(k.lo, 10)
		lo, carry := bits.Add64(loLo, uint64(c-'0'), 0)
		hi, over := bits.Add64(hiLo, loHi+carry, 0)
		if hiMul != 0 || over != 0 || (loHi+carry < loHi) {
			return hashKey{}, false
		}
		k = hashKey{hi, lo}
	}
	return k, true
}

func (a hashKey) String() string {
	if a.hi == 0 {
		return strconv.FormatUint(a.lo, 10)
	}
	// Split by 10^19 into at most three limbs.
	const pow19 = 10000000000000000000
	var limbs []uint64
	hi, lo := a.hi, a.lo
	for hi != 0 || lo != 0 {
		var r uint64
		hi, r = bits.Div64(0, hi, pow19)
		lo, r = bits.Div64(r, lo, pow19)
		limbs = append(limbs, r)
	}
	s := strconv.FormatUint(limbs[len(limbs)-1], 10)
	for i := len(limbs) - 2; i >= 0; i-- {
		d := strconv.FormatUint(limbs[i], 10)
		for len(d) < 19 {
			d = "0" + d
		}
		s += d
	}
	return s
}

func (a hashKey) add(n uint64) hashKey {
	lo, c := bits.Add64(a.lo, n, 0)
	return hashKey{a.hi + c, lo}
}

func (a hashKey) sub1() hashKey {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return hashKey{a.hi - b, lo}
}

// mulSmall returns a*n (it must not overflow).
func (a hashKey) mulSmall(n uint64) hashKey {
	h, l := bits.Mul64(a.lo, n)
	return hashKey{a.hi*n + h, l}
}

// evenRanges splits the key space into n ranges as AWS does: step =
// floor(2^128 / n), range i = [i*step, (i+1)*step-1], the last ending at 2^128-1.
func evenRanges(n int) [][2]hashKey {
	// floor(2^128/n): divide the 129-bit number 1<<128 by n.
	un := uint64(n)
	qhi, r := bits.Div64(0, 1, un) // high word of 2^128 is 1 in the third limb
	qmid, r := bits.Div64(r, 0, un)
	qlo, _ := bits.Div64(r, 0, un)
	if qhi != 0 { // n == 1
		return [][2]hashKey{{{}, maxHashKey}}
	}
	step := hashKey{qmid, qlo}
	out := make([][2]hashKey, n)
	for i := 0; i < n; i++ {
		start := step.mulSmall(uint64(i))
		end := step.mulSmall(uint64(i + 1)).sub1()
		if i == n-1 {
			end = maxHashKey
		}
		out[i] = [2]hashKey{start, end}
	}
	return out
}
