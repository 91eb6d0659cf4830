package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Record is one user record.
type Record struct {
	PartitionKey    string
	ExplicitHashKey string // decimal 128-bit; empty when none
	Data            []byte
}

// Magic starts every aggregated record.
var Magic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// Overhead is the size of an empty aggregated record: the magic and the MD5
// trailer.
const Overhead = 4 + md5.Size

// ErrMalformed says an aggregated record's trailer matched but its protobuf
// body could not be read.
var ErrMalformed = errors.New("kpl: malformed aggregated record")

// Field numbers of the schema.
const (
	fieldPartitionKeyTable    protowire.Number = 1
	fieldExplicitHashKeyTable protowire.Number = 2
	fieldRecords              protowire.Number = 3

	fieldPartitionKeyIndex    protowire.Number = 1
	fieldExplicitHashKeyIndex protowire.Number = 2
	fieldData                 protowire.Number = 3
)

// IsAggregated reports whether data is an aggregated record (magic, a
// protobuf body and a matching MD5 trailer).
func IsAggregated(data []byte) bool {
	_, ok := body(data)
	return ok
}

// body returns the protobuf bytes of an aggregated record, checking the
// magic and the trailer.
func body(data []byte) ([]byte, bool) {
	if len(data) <= Overhead || !bytes.Equal(data[:4], Magic) {
		return nil, false
	}
	b := data[4 : len(data)-md5.Size]
	sum := md5.Sum(b)
	if !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, false
	}
	return b, true
}

// Deaggregate returns the user records of an aggregated record, in order
// (a record's sub-sequence number is its index). A Kinesis record that is
// not aggregated (no magic, or a bad trailer, as the KCL treats it) comes
// back as itself, with ok false. One whose trailer matches but whose body is
// malformed also comes back as itself, with ok false and an error wrapping
// ErrMalformed. The Data of the records aliases data.
func Deaggregate(data []byte, partitionKey string, explicitHashKey string) (records []Record, ok bool, err error) {
	self := []Record{{PartitionKey: partitionKey, ExplicitHashKey: explicitHashKey, Data: data}}
	b, isAgg := body(data)
	if !isAgg {
		return self, false, nil
	}
	recs, err := parse(b)
	if err != nil {
		return self, false, err
	}
	return recs, true, nil
}

// parse decodes an AggregatedRecord. The tables may follow the records on
// the wire, so records are resolved once the whole message is read.
func parse(b []byte) ([]Record, error) {
	var pks, ehks []string
	type raw struct {
		pk, ehk uint64
		hasEHK  bool
		data    []byte
	}
	var raws []raw
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, malformed("tag", n)
		}
		b = b[n:]
		switch {
		case num == fieldPartitionKeyTable && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, malformed("partition key table", n)
			}
			pks = append(pks, string(v))
			b = b[n:]
		case num == fieldExplicitHashKeyTable && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, malformed("explicit hash key table", n)
			}
			ehks = append(ehks, string(v))
			b = b[n:]
		case num == fieldRecords && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, malformed("record", n)
			}
			b = b[n:]
			var r raw
			var hasPK, hasData bool
			for len(v) > 0 {
				num, typ, n := protowire.ConsumeTag(v)
				if n < 0 {
					return nil, malformed("record tag", n)
				}
				v = v[n:]
				switch {
				case num == fieldPartitionKeyIndex && typ == protowire.VarintType:
					r.pk, n = protowire.ConsumeVarint(v)
					hasPK = true
				case num == fieldExplicitHashKeyIndex && typ == protowire.VarintType:
					r.ehk, n = protowire.ConsumeVarint(v)
					r.hasEHK = true
				case num == fieldData && typ == protowire.BytesType:
					r.data, n = protowire.ConsumeBytes(v)
					hasData = true
				default: // tags and unknown fields
					n = protowire.ConsumeFieldValue(num, typ, v)
				}
				if n < 0 {
					return nil, malformed("record field", n)
				}
				v = v[n:]
			}
			if !hasPK || !hasData {
				return nil, fmt.Errorf("%w: record %d lacks a required field", ErrMalformed, len(raws))
			}
			raws = append(raws, r)
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, malformed("unknown field", n)
			}
			b = b[n:]
		}
	}
	recs := make([]Record, len(raws))
	for i, r := range raws {
		if r.pk >= uint64(len(pks)) {
			return nil, fmt.Errorf("%w: record %d: partition key index %d of %d", ErrMalformed, i, r.pk, len(pks))
		}
		recs[i] = Record{PartitionKey: pks[r.pk], Data: r.data}
		if r.hasEHK {
			if r.ehk >= uint64(len(ehks)) {
				return nil, fmt.Errorf("%w: record %d: explicit hash key index %d of %d", ErrMalformed, i, r.ehk, len(ehks))
			}
			recs[i].ExplicitHashKey = ehks[r.ehk]
		}
	}
	return recs, nil
}

func malformed(what string, n int) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformed, what, protowire.ParseError(n))
}
