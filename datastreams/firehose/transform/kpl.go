package transform

import "github.com/shardcast/shardcast/datastreams/kpl"

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
		c := it.child(i, r.Data)
		if it.rec.Source != nil {
			src := *it.rec.Source
			src.PartitionKey = r.PartitionKey
			src.SubSequence = i
			c.rec.Source = &src
		}
		out[i] = c
	}
	return out, nil
}

// decodeKPL decodes an aggregate; ok is false when data is not one (wrong
// magic, too short, MD5 mismatch, bad protobuf, an index out of range).
func decodeKPL(data []byte) ([]kpl.Record, bool) {
	recs, ok, err := kpl.Deaggregate(data, "", "")
	return recs, ok && err == nil
}
