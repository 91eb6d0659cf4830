package producer

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/big"
)

// hashKey is a 128-bit Kinesis hash key.
type hashKey struct{ hi, lo uint64 }

// hashOf is the hash key Kinesis gives a partition key: MD5 of its UTF-8
// bytes, read as a big-endian unsigned integer.
func hashOf(partitionKey string) hashKey {
	sum := md5.Sum([]byte(partitionKey))
	return hashKey{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
}

func (h hashKey) less(o hashKey) bool {
	return h.hi < o.hi || (h.hi == o.hi && h.lo < o.lo)
}

// String is the decimal form Kinesis takes as an ExplicitHashKey.
func (h hashKey) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], h.hi)
	binary.BigEndian.PutUint64(b[8:], h.lo)
	return new(big.Int).SetBytes(b[:]).String()
}

// parseHashKey reads a decimal hash key.
func parseHashKey(s string) (hashKey, error) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return hashKey{}, fmt.Errorf("producer: hash key %q is not a 128-bit decimal", s)
	}
	var b [16]byte
	n.FillBytes(b[:])
	return hashKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}, nil
}
