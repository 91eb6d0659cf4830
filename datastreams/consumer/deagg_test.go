package consumer

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

func aggregate(n int, prefix string) []byte {
	var a kpl.Aggregator
	for i := range n {
		a.Add(kpl.Record{PartitionKey: fmt.Sprintf("pk%d", i%3), Data: fmt.Appendf(nil, "%s-%d", prefix, i)})
	}
	return a.Bytes()
}

func TestUserRecordsDeaggregatesAndDropsCheckpointed(t *testing.T) {
	now := time.Now()
	in := []ktypes.Record{
		{SequenceNumber: aws.String("100"), PartitionKey: aws.String("plain"), Data: []byte("p0"), ApproximateArrivalTimestamp: &now},
		{SequenceNumber: aws.String("200"), PartitionKey: aws.String("pk0"), Data: aggregate(5, "a")},
		{SequenceNumber: aws.String("300"), PartitionKey: aws.String("pk0"), Data: aggregate(2, "b")},
	}
	all := userRecords(in, Position{Sequence: SentinelTrimHorizon})
	if len(all) != 1+5+2 {
		t.Fatalf("%d records", len(all))
	}
	if all[0].Aggregated || all[0].SubSequenceNumber != 0 || string(all[0].Data) != "p0" || !all[0].ApproximateArrivalTimestamp.Equal(now) {
		t.Fatalf("plain record %+v", all[0])
	}
	for i := range 5 {
		r := all[1+i]
		if !r.Aggregated || r.SequenceNumber != "200" || r.SubSequenceNumber != int64(i) || string(r.Data) != fmt.Sprintf("a-%d", i) || r.PartitionKey != fmt.Sprintf("pk%d", i%3) {
			t.Fatalf("sub-record %d: %+v", i, r)
		}
	}
	// Resuming AT_SEQUENCE_NUMBER of checkpoint (200, 2) sees the
	// aggregate again: its sub-records 0..2 are dropped.
	after := userRecords(in[1:], Position{Sequence: "200", SubSequence: 2})
	var got []string
	for _, r := range after {
		got = append(got, string(r.Data))
	}
	if fmt.Sprint(got) != "[a-3 a-4 b-0 b-1]" {
		t.Fatalf("after (200,2): %v", got)
	}
	// A checkpoint on a plain record drops exactly it.
	if r := userRecords(in[:1], Position{Sequence: "100"}); len(r) != 0 {
		t.Fatalf("checkpointed plain record delivered again: %+v", r)
	}
	// The last sub-record checkpointed: the whole aggregate is done.
	if r := userRecords(in[1:2], Position{Sequence: "200", SubSequence: 4}); len(r) != 0 {
		t.Fatalf("finished aggregate delivered again: %+v", r)
	}
}

func TestUserRecordsPassesBadAggregatesThrough(t *testing.T) {
	agg := aggregate(3, "x")
	agg[len(agg)-1] ^= 0xff // wrong MD5 trailer: not an aggregate, as the KCL treats it
	r := userRecords([]ktypes.Record{{SequenceNumber: aws.String("7"), PartitionKey: aws.String("k"), Data: agg}}, Position{Sequence: SentinelLatest})
	if len(r) != 1 || r[0].Aggregated || string(r[0].Data) != string(agg) {
		t.Fatalf("%+v", r)
	}
}
