package transform

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// kplMagic starts every KPL-aggregated record.
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// kplRecord is one user record of an aggregate.
type kplRecord struct {
	partitionKey string
	data         []byte
}

// kplStage splits KPL-aggregated records into their user records, each
// with the partition key from the aggregate's table and its sub-sequence
// number. Records that are not valid aggregates pass through unchanged,
// as the KCL does.
func kplStage(it item) ([]item, *Failed) {
	recs, ok := decodeKPL(it.rec.Data)
	if !ok {
		return []item{it}, nil
	}
	out := make([]item, len(recs))
	for i, r := range recs {
		c := it.child(i, r.data)
		if it.rec.Source != nil {
			src := *it.rec.Source
			src.PartitionKey = r.partitionKey
			src.SubSequence = i
			c.rec.Source = &src
		}
		out[i] = c
	}
	return out, nil
}

// decodeKPL decodes an aggregate; ok is false when data is not one (wrong
// magic, too short, MD5 mismatch, bad protobuf, an index out of range).
func decodeKPL(data []byte) (recs []kplRecord, ok bool) {
	if len(data) <= len(kplMagic)+md5.Size || !bytes.HasPrefix(data, kplMagic) {
		return nil, false
	}
	body := data[len(kplMagic) : len(data)-md5.Size]
	sum := md5.Sum(body)
	if !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, false
	}
	recs, err := parseAggregate(body)
	if err != nil {
		return nil, false
	}
	return recs, true
}

// parseAggregate parses AggregatedRecord:
//
//	repeated string partition_key_table = 1;
//	repeated string explicit_hash_key_table = 2;
//	repeated Record records = 3;
func parseAggregate(b []byte) ([]kplRecord, error) {
	var keys []string
	type raw struct {
		pk   uint64
		data []byte
	}
	var raws []raw
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			keys = append(keys, string(v))
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			pk, data, err := parseRecord(v)
			if err != nil {
				return nil, err
			}
			raws = append(raws, raw{pk, data})
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	out := make([]kplRecord, len(raws))
	for i, r := range raws {
		if r.pk >= uint64(len(keys)) {
			return nil, fmt.Errorf("record %d: partition key index %d is outside the table of %d", i, r.pk, len(keys))
		}
		out[i] = kplRecord{partitionKey: keys[r.pk], data: r.data}
	}
	return out, nil
}

// parseRecord parses Record: required uint64 partition_key_index = 1;
// optional uint64 explicit_hash_key_index = 2; required bytes data = 3;
// repeated Tag tags = 4.
func parseRecord(b []byte) (pk uint64, data []byte, err error) {
	var havePK, haveData bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			pk, havePK = v, true
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			data, haveData = v, true
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	if !havePK || !haveData {
		return 0, nil, errors.New("a record lacks its partition key index or data")
	}
	return pk, data, nil
}
