package seqnum

import (
	"math/big"
	"strconv"
)

// Number is a sequence number in any of the layouts AWS has used, as a
// client may hand one back (SequenceNumberForOrdering, StartingSequenceNumber).
type Number struct {
	Version      int    // layout version: 0, 1 or 2
	ShardCreated int64  // shard creation, unix seconds
	ShardIndex   uint32 // shard index
	Arrival      int64  // record arrival, unix seconds; 0 in layout 0, which has none
	value        *big.Int
}

var (
	two124     = new(big.Int).Lsh(big.NewInt(1), 124)
	two129     = new(big.Int).Lsh(big.NewInt(1), 129)
	two185     = new(big.Int).Lsh(big.NewInt(1), 185)
	three184   = new(big.Int).Mul(big.NewInt(3), new(big.Int).Lsh(big.NewInt(1), 184)) // 1.5 * 2^185
	maxCreated = int64(16025175000)                                                    // layout 0 creation times at or past this are refused
)

// Check decodes a decimal sequence number of any layout AWS accepts and
// refuses the malformed ones, the way Kinesis does:
//
//   - below 2^124 the number is read as if 2^124 were added, and up to 2^129
//     it is the oldest layout (0), whose creation time must be plausible;
//   - from 2^185 to 1.5*2^185 (47 hex digits starting with 2) the last hex
//     digit is the layout version, 1 or 2; in layout 2 the counter and the
//     shard index are signed on the wire, so their top hex digit must be at
//     most 7;
//   - any other size, and any other version, is malformed.
//
// Whether an arrival time lies in the future is the caller's check.
func Check(s string) (Number, error) {
	if s == "" || len(s) > 129 || (s[0] == '0' && len(s) > 1) {
		return Number{}, ErrInvalid
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return Number{}, ErrInvalid
		}
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return Number{}, ErrInvalid
	}
	w := v
	if w.Cmp(two124) < 0 {
		w = new(big.Int).Add(w, two124)
	}
	h := w.Text(16)
	field := func(from, to int) int64 {
		n, _ := strconv.ParseUint(h[from:to], 16, 64)
		return int64(n)
	}
	n := Number{value: v}
	switch {
	case w.Cmp(two129) < 0:
		// Layout 0: marker, creation time (9 hex digits), ..., and a 16-bit
		// shard index at hex digits 28..31.
		n.ShardCreated = field(1, 10)
		if n.ShardCreated >= maxCreated {
			return Number{}, ErrInvalid
		}
		n.ShardIndex = uint32(field(28, 32))
	case w.Cmp(two185) > 0 && w.Cmp(three184) < 0:
		switch h[46] {
		case '2':
			if h[11] > '7' || h[38] > '7' {
				return Number{}, ErrInvalid
			}
			n.Version = 2
			n.Arrival = field(29, 38)
		case '1':
			n.Version = 1
			n.Arrival = field(13, 22)
		default:
			return Number{}, ErrInvalid
		}
		n.ShardCreated = field(1, 10)
		n.ShardIndex = uint32(field(38, 46))
	default:
		return Number{}, ErrInvalid
	}
	return n, nil
}

// Text returns the number as it was given.
func (n Number) Text() string { return n.value.String() }

// CounterAbove returns the least counter that makes a version-2 number of a
// shard (created at created, with index ix) greater than n, whatever its
// arrival time: 0 when every number of that shard is greater than n.
// ok is false when no number of that shard can be, because n's leading
// fields (the shard's creation time and the low bits of its index) are
// greater than the shard's.
func (n Number) CounterAbove(created int64, ix uint32) (counter uint64, ok bool) {
	if n.value == nil {
		return 0, true
	}
	// The fields above the counter: marker 2, creation time, index & 15.
	top := new(big.Int).Rsh(n.value, 144)
	ours := big.NewInt(2)
	ours.Lsh(ours, 36).Or(ours, big.NewInt(created&mask36))
	ours.Lsh(ours, 4).Or(ours, big.NewInt(int64(ix&15)))
	switch top.Cmp(ours) {
	case -1:
		return 0, true
	case 1:
		return 0, false
	}
	c := new(big.Int).Rsh(n.value, 80)
	c.And(c, new(big.Int).SetUint64(1<<64-1))
	if !c.IsUint64() || c.Uint64() == 1<<64-1 {
		return 0, false
	}
	return c.Uint64() + 1, true
}
