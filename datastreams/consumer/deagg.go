package consumer

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

// userRecords turns Kinesis records into user records, de-aggregating KPL
// aggregates (sub-sequence = index in the aggregate), and drops every
// user record at or before after (a shard resumed AT_SEQUENCE_NUMBER of
// its checkpoint sees the checkpointed aggregate again).
func userRecords(in []ktypes.Record, after Position) []Record {
	out := make([]Record, 0, len(in))
	for _, r := range in {
		seq := aws.ToString(r.SequenceNumber)
		pk := aws.ToString(r.PartitionKey)
		at := aws.ToTime(r.ApproximateArrivalTimestamp)
		subs, ok, err := kpl.Deaggregate(r.Data, pk, "")
		if err != nil || !ok {
			subs, ok = []kpl.Record{{PartitionKey: pk, Data: r.Data}}, false
		}
		for i, s := range subs {
			u := Record{
				SequenceNumber:              seq,
				SubSequenceNumber:           int64(i),
				Aggregated:                  ok,
				PartitionKey:                s.PartitionKey,
				ExplicitHashKey:             s.ExplicitHashKey,
				Data:                        s.Data,
				ApproximateArrivalTimestamp: at,
			}
			if !after.IsSentinel() && Compare(u.Position(), after) <= 0 {
				continue
			}
			out = append(out, u)
		}
	}
	return out
}
