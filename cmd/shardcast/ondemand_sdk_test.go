package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// TestSDKOnDemandSplitsUnderLoad: an ON_DEMAND stream of a server with
// short on-demand windows, written through aws-sdk-go-v2 at well over a
// shard's 1000 records/s on keys of one shard, splits that shard by
// itself; the idle shards then merge so that the stream is back at 4 open
// shards. A reader that follows lineage gets every acknowledged record
// once, in order per key.
func TestSDKOnDemandSplitsUnderLoad(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.OnDemandCheck = 200 * time.Millisecond
	cfg.Kinesis.OnDemandSplitAfter = time.Second
	cfg.Kinesis.OnDemandMergeAfter = 3 * time.Second
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	const stream = "od-load"
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, stream)
	reader := newLineageReader(t, c, stream)
	if len(reader.parents) != 4 {
		t.Fatalf("an ON_DEMAND stream starts with %d shards", len(reader.parents))
	}
	const hot = "shardId-000000000000"

	// Two writers, each 250 records every 200 ms (2500 records/s in all),
	// on keys that hash into the first quarter of the key space: shard 0.
	const writers, keysPerWriter, batch = 2, 16, 250
	acked := make([]map[string]int, writers)
	stop := make(chan struct{})
	loadStart := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		acked[w] = map[string]int{}
		var keys []string
		for i := 0; len(keys) < keysPerWriter; i++ {
			if pk := fmt.Sprintf("w%d-%d", w, i); shardOf(pk, 4) == 0 {
				keys = append(keys, pk)
			}
		}
		wg.Go(func() {
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				entries := make([]types.PutRecordsRequestEntry, 0, batch)
				sent := map[string]int{}
				for k := range batch {
					pk := keys[(n*batch+k)%len(keys)]
					entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(pk),
						Data: []byte(pk + "/" + strconv.Itoa(acked[w][pk]+sent[pk]))})
					sent[pk]++
				}
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
				if err != nil || *out.FailedRecordCount != 0 {
					reader.fail("put: %v", err)
					return
				}
				for pk, k := range sent {
					acked[w][pk] += k
				}
			}
		})
	}
	readerStop, readerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-readerStop:
				return
			default:
			}
			if !reader.step() {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	stopReader := sync.OnceFunc(func() { close(readerStop); <-readerDone })
	defer stopReader()
	stopWriters := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriters()

	// The server splits shard 0 on its own.
	listShards := func() map[string]types.Shard {
		t.Helper()
		out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]types.Shard{}
		for _, s := range out.Shards {
			m[*s.ShardId] = s
		}
		return m
	}
	deadline := time.Now().Add(2 * time.Minute)
	for listShards()[hot].SequenceNumberRange.EndingSequenceNumber == nil {
		if time.Now().After(deadline) {
			t.Fatalf("shard 0 not split under load: %v", shardIDs(slices.Collect(maps.Values(listShards()))))
		}
		time.Sleep(100 * time.Millisecond)
	}
	toSplit := time.Since(loadStart)
	stopWriters()

	// The idle shards merge: back to 4 open shards.
	open := func() int {
		out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Shards)
	}
	for n := open(); n != 4; n = open() {
		if n < 4 || time.Now().After(deadline) {
			t.Fatalf("%d open shards", n)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Every acknowledged record is read once, in order per key.
	for w := range writers {
		for pk, n := range acked[w] {
			for reader.count(pk) < n && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	stopReader()
	if len(reader.errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(reader.errs), strings.Join(reader.errs[:min(5, len(reader.errs))], "\n"))
	}
	total := 0
	for w := range writers {
		for pk, n := range acked[w] {
			if got := reader.count(pk); got != n {
				t.Errorf("key %s: %d acknowledged, %d read", pk, n, got)
			}
			total += n
		}
	}

	// Shard 0 is closed and has two children, at whose end the reader
	// found them named (the reader checks that every finished shard
	// ended with ChildShards).
	shards := listShards()
	var children []types.Shard
	for _, s := range shards {
		if s.ParentShardId != nil && *s.ParentShardId == hot {
			children = append(children, s)
		}
	}
	parent := shards[hot]
	if len(children) != 2 || !reader.finished[hot] {
		t.Fatalf("shard 0 %+v: children %v, finished by the reader %v", parent, shardIDs(children), reader.finished[hot])
	}
	lo, hi := children[0], children[1]
	if *lo.HashKeyRange.StartingHashKey != *parent.HashKeyRange.StartingHashKey {
		lo, hi = hi, lo
	}
	if *lo.HashKeyRange.StartingHashKey != *parent.HashKeyRange.StartingHashKey || *hi.HashKeyRange.EndingHashKey != *parent.HashKeyRange.EndingHashKey {
		t.Fatalf("children %+v %+v of %+v", lo.HashKeyRange, hi.HashKeyRange, parent.HashKeyRange)
	}
	t.Logf("%d records; split seen %v after the load began; shards %v; the reader finished %d", total, toSplit.Round(100*time.Millisecond), shardIDs(slices.Collect(maps.Values(shards))), len(reader.finished))
}
