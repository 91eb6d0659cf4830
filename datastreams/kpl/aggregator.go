package kpl

import (
	"crypto/md5"

	"google.golang.org/protobuf/encoding/protowire"
)

// Aggregator builds one aggregated record incrementally. The zero value is
// ready to use; an Aggregator is not safe for concurrent use.
type Aggregator struct {
	pkTable, ehkTable, records []byte // encoded fields 1, 2 and 3
	pkIndex, ehkIndex          map[string]uint64
	n                          int
}

// Add appends a user record; Size is the aggregated size so far.
func (a *Aggregator) Add(r Record) {
	a.TryAdd(r, 0)
}

// TryAdd appends r when the aggregate stays within limit bytes with it, or
// when it is empty (a record alone may exceed the limit), and reports
// whether it did; a limit of 0 is none. It is SizeWith and Add in one, with
// one look-up of the keys.
func (a *Aggregator) TryAdd(r Record, limit int) bool {
	if a.pkIndex == nil {
		a.pkIndex = make(map[string]uint64)
	}
	pk, known := a.pkIndex[r.PartitionKey]
	if !known {
		pk = uint64(len(a.pkIndex))
	}
	var ehk uint64
	hasEHK, knownEHK := r.ExplicitHashKey != "", true
	if hasEHK {
		if a.ehkIndex == nil {
			a.ehkIndex = make(map[string]uint64)
		}
		if ehk, knownEHK = a.ehkIndex[r.ExplicitHashKey]; !knownEHK {
			ehk = uint64(len(a.ehkIndex))
		}
	}
	recLen := recordLen(pk, ehk, hasEHK, len(r.Data))
	if limit > 0 && a.n > 0 {
		size := a.Size() + 1 + protowire.SizeBytes(recLen)
		if !known {
			size += 1 + protowire.SizeBytes(len(r.PartitionKey))
		}
		if !knownEHK {
			size += 1 + protowire.SizeBytes(len(r.ExplicitHashKey))
		}
		if size > limit {
			return false
		}
	}
	if !known {
		a.pkIndex[r.PartitionKey] = pk
		a.pkTable = protowire.AppendTag(a.pkTable, fieldPartitionKeyTable, protowire.BytesType)
		a.pkTable = protowire.AppendString(a.pkTable, r.PartitionKey)
	}
	if !knownEHK {
		a.ehkIndex[r.ExplicitHashKey] = ehk
		a.ehkTable = protowire.AppendTag(a.ehkTable, fieldExplicitHashKeyTable, protowire.BytesType)
		a.ehkTable = protowire.AppendString(a.ehkTable, r.ExplicitHashKey)
	}
	a.records = protowire.AppendTag(a.records, fieldRecords, protowire.BytesType)
	a.records = protowire.AppendVarint(a.records, uint64(recLen))
	a.records = protowire.AppendTag(a.records, fieldPartitionKeyIndex, protowire.VarintType)
	a.records = protowire.AppendVarint(a.records, pk)
	if hasEHK {
		a.records = protowire.AppendTag(a.records, fieldExplicitHashKeyIndex, protowire.VarintType)
		a.records = protowire.AppendVarint(a.records, ehk)
	}
	a.records = protowire.AppendTag(a.records, fieldData, protowire.BytesType)
	a.records = protowire.AppendBytes(a.records, r.Data)
	a.n++
	return true
}

// recordLen is the length of an encoded Record message (tags are one byte:
// every field number is below 16).
func recordLen(pk, ehk uint64, hasEHK bool, dataLen int) int {
	n := 1 + protowire.SizeVarint(pk) + 1 + protowire.SizeBytes(dataLen)
	if hasEHK {
		n += 1 + protowire.SizeVarint(ehk)
	}
	return n
}

// SizeWith is what Size would be after Add(r), computed without adding.
func (a *Aggregator) SizeWith(r Record) int {
	size := a.Size()
	pk, ok := a.pkIndex[r.PartitionKey]
	if !ok {
		pk = uint64(len(a.pkIndex))
		size += 1 + protowire.SizeBytes(len(r.PartitionKey))
	}
	var ehk uint64
	hasEHK := r.ExplicitHashKey != ""
	if hasEHK {
		if ehk, ok = a.ehkIndex[r.ExplicitHashKey]; !ok {
			ehk = uint64(len(a.ehkIndex))
			size += 1 + protowire.SizeBytes(len(r.ExplicitHashKey))
		}
	}
	return size + 1 + protowire.SizeBytes(recordLen(pk, ehk, hasEHK, len(r.Data)))
}

// Size is the size of the aggregated record Bytes would return.
func (a *Aggregator) Size() int {
	return Overhead + len(a.pkTable) + len(a.ehkTable) + len(a.records)
}

// Len is the number of user records added.
func (a *Aggregator) Len() int { return a.n }

// Bytes returns the aggregated record in a new slice: magic, the
// AggregatedRecord in field order, and the MD5 trailer.
func (a *Aggregator) Bytes() []byte {
	return a.AppendTo(make([]byte, 0, a.Size()))
}

// AppendTo appends the aggregated record to dst.
func (a *Aggregator) AppendTo(dst []byte) []byte {
	dst = append(dst, Magic...)
	start := len(dst)
	dst = append(dst, a.pkTable...)
	dst = append(dst, a.ehkTable...)
	dst = append(dst, a.records...)
	sum := md5.Sum(dst[start:])
	return append(dst, sum[:]...)
}

// AppendUndigested appends the aggregated record as AppendTo does but with
// 16 zero bytes in place of the MD5 trailer, for FillDigest to complete
// later (elsewhere: the copy is cheap, the digest is not), so that the
// Aggregator can be reset and reused at once.
func (a *Aggregator) AppendUndigested(dst []byte) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, a.pkTable...)
	dst = append(dst, a.ehkTable...)
	dst = append(dst, a.records...)
	return append(dst, make([]byte, md5.Size)...)
}

// FillDigest writes the MD5 trailer of an aggregated record that
// AppendUndigested built (rec is exactly that record).
func FillDigest(rec []byte) {
	if len(rec) < Overhead {
		return
	}
	sum := md5.Sum(rec[len(Magic) : len(rec)-md5.Size])
	copy(rec[len(rec)-md5.Size:], sum[:])
}

// Reset empties the Aggregator, keeping its buffers.
func (a *Aggregator) Reset() {
	a.pkTable, a.ehkTable, a.records = a.pkTable[:0], a.ehkTable[:0], a.records[:0]
	clear(a.pkIndex)
	clear(a.ehkIndex)
	a.n = 0
}
