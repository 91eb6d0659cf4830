package consumer

import (
	"errors"
	"fmt"
	"math/big"
)

// Sentinel checkpoints, as the KCL writes them into the checkpoint
// attribute. They sort below every real sequence number (AT_TIMESTAMP <
// TRIM_HORIZON < LATEST) except SHARD_END, which sorts above all.
const (
	SentinelAtTimestamp = "AT_TIMESTAMP"
	SentinelTrimHorizon = "TRIM_HORIZON"
	SentinelLatest      = "LATEST"
	SentinelShardEnd    = "SHARD_END"
)

// Position is a place in a shard: a sequence number and a KPL
// sub-sequence number, or one of the sentinels (SubSequence 0).
type Position struct {
	// Sequence is a decimal sequence number or a Sentinel* value.
	Sequence    string
	SubSequence int64
}

// IsSentinel reports whether p names a sentinel, not a record.
func (p Position) IsSentinel() bool { return sentinelRank(p.Sequence) != 0 }

func (p Position) String() string {
	if p.IsSentinel() || p.SubSequence == 0 {
		return p.Sequence
	}
	return fmt.Sprintf("%s/%d", p.Sequence, p.SubSequence)
}

// sentinelRank orders the sentinels around real sequence numbers (rank 0).
func sentinelRank(s string) int {
	switch s {
	case SentinelAtTimestamp:
		return -3
	case SentinelTrimHorizon:
		return -2
	case SentinelLatest:
		return -1
	case SentinelShardEnd:
		return 1
	}
	return 0
}

// errBadSequence is returned for a checkpoint that is neither a sentinel
// nor a decimal sequence number.
var errBadSequence = errors.New("consumer: not a sequence number or sentinel")

// ParsePosition reads a checkpoint attribute and its sub-sequence number.
func ParsePosition(checkpoint string, sub int64) (Position, error) {
	if sentinelRank(checkpoint) != 0 {
		return Position{Sequence: checkpoint}, nil
	}
	if !isDecimal(checkpoint) {
		return Position{}, fmt.Errorf("%w: %q", errBadSequence, checkpoint)
	}
	if sub < 0 {
		return Position{}, fmt.Errorf("%w: negative sub-sequence %d", errBadSequence, sub)
	}
	return Position{Sequence: checkpoint, SubSequence: sub}, nil
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Compare orders two positions: sentinels by rank around the real
// sequence numbers, which compare as big integers, then by sub-sequence.
// Positions that are neither (malformed) sort as zero.
func Compare(a, b Position) int {
	ra, rb := sentinelRank(a.Sequence), sentinelRank(b.Sequence)
	if ra != 0 || rb != 0 {
		return cmpInt(int64(ra), int64(rb))
	}
	if c := compareDecimal(a.Sequence, b.Sequence); c != 0 {
		return c
	}
	return cmpInt(a.SubSequence, b.SubSequence)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareDecimal compares two decimal strings numerically (leading zeros
// allowed).
func compareDecimal(a, b string) int {
	x, okx := new(big.Int).SetString(orZero(a), 10)
	y, oky := new(big.Int).SetString(orZero(b), 10)
	if !okx {
		x = new(big.Int)
	}
	if !oky {
		y = new(big.Int)
	}
	return x.Cmp(y)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
