package datastreams

import (
	"context"
	"testing"
	"time"
)

// Traffic counts what each stream took in and gave out, across a
// reshard, and reports the iterator age of the last minute's reads.
func TestTraffic(t *testing.T) {
	v := newEnv(t, nil)
	ctx := context.Background()
	if err := v.e.CreateStream(CreateStreamInput{Name: "m", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.CreateStream(CreateStreamInput{Name: "quiet", ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	v.put("m", "k", "abc")
	v.clock.Add(time.Minute)
	v.put("m", "key", "de")
	v.clock.Add(time.Minute)
	it, _ := v.e.GetShardIterator(ctx, StreamRef{Name: "m"}, "0", TrimHorizon, "", nil)
	out, err := v.e.GetRecords(ctx, it, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := v.e.Traffic()
	want := []StreamTraffic{{Stream: "m", RecordsIn: 2, BytesIn: 3 + 1 + 2 + 3, RecordsOut: 1, BytesOut: 3 + 1, IteratorAgeMillis: 120000, OpenShards: 1},
		{Stream: "quiet", OpenShards: 2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("traffic %+v, want %+v", got, want)
	}
	// After a split the parent's counts stay in the stream's.
	if err := v.e.SplitShard(ctx, StreamRef{Name: "m"}, "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	v.put("m", "k2", "f")
	if _, err := v.e.GetRecords(ctx, out.NextShardIterator, 10); err != nil {
		t.Fatal(err)
	}
	if g := v.e.Traffic()[0]; g.RecordsIn != 3 || g.RecordsOut != 2 || g.OpenShards != 2 {
		t.Fatalf("after a split: %+v", g)
	}
	// An iterator age older than a minute is not reported.
	v.clock.Add(2 * time.Minute)
	if g := v.e.Traffic()[0]; g.IteratorAgeMillis != 0 {
		t.Fatalf("a stale iterator age: %+v", g)
	}
}
