package main

import (
	"fmt"
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

// lineageReader follows a stream the way KCL does: it reads each shard
// until GetRecords answers no NextShardIterator, then the ChildShards it
// names, a child only once all its parents are finished. It checks that
// each partition key's counters (data "key/n") come once each, in order.
type lineageReader struct {
	t      *testing.T
	c      *kinesis.Client
	stream string

	mu       sync.Mutex
	seen     map[string]int
	finished map[string]bool
	parents  map[string][]string // known shards not yet started, with their parents
	iters    map[string]string   // shards being read
	errs     []string
}

func newLineageReader(t *testing.T, c *kinesis.Client, stream string) *lineageReader {
	r := &lineageReader{t: t, c: c, stream: stream, seen: map[string]int{}, finished: map[string]bool{},
		parents: map[string][]string{}, iters: map[string]string{}}
	out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Shards {
		var ps []string
		for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
			if p != nil {
				ps = append(ps, *p)
			}
		}
		r.parents[*s.ShardId] = ps
	}
	return r
}

func (r *lineageReader) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// step reads once from every shard that may be read; it reports whether
// it got records.
func (r *lineageReader) step() bool {
	for id, ps := range r.parents {
		ready := true
		for _, p := range ps {
			ready = ready && r.finished[p]
		}
		if !ready {
			continue
		}
		it, err := r.c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(r.stream), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			r.fail("iterator of %s: %v", id, err)
			return false
		}
		delete(r.parents, id)
		r.iters[id] = *it.ShardIterator
	}
	got := false
	for id, it := range r.iters {
		out, err := r.c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
		if err != nil {
			r.fail("get records of %s: %v", id, err)
			return false
		}
		r.mu.Lock()
		for _, rec := range out.Records {
			pk, n, _ := strings.Cut(string(rec.Data), "/")
			if want := strconv.Itoa(r.seen[pk]); n != want || pk != *rec.PartitionKey {
				r.errs = append(r.errs, fmt.Sprintf("shard %s: key %s record %s, want %s", id, pk, n, want))
			}
			r.seen[pk]++
			got = true
		}
		r.mu.Unlock()
		if out.NextShardIterator == nil {
			if len(out.ChildShards) == 0 {
				r.fail("shard %s ended without ChildShards", id)
			}
			delete(r.iters, id)
			r.finished[id] = true
			for _, c := range out.ChildShards {
				if _, reading := r.iters[*c.ShardId]; !reading && !r.finished[*c.ShardId] {
					r.parents[*c.ShardId] = c.ParentShards
				}
			}
			continue
		}
		r.iters[id] = *out.NextShardIterator
	}
	return got
}

func (r *lineageReader) count(pk string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[pk]
}

func waitActive(t *testing.T, c *kinesis.Client, stream string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		if d.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s still %s", stream, d.StreamDescriptionSummary.StreamStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSDKReshardUnderWriters(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	const stream = "rs"
	createStream(t, c, stream, 2)
	reader := newLineageReader(t, c, stream)

	const writers, keys = 4, 32
	acked := make([]map[string]int, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		acked[w] = map[string]int{}
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var entries []types.PutRecordsRequestEntry
				for k := range 8 {
					pk := fmt.Sprintf("w%d-%d", w, (n*8+k)%keys)
					entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(pk), Data: []byte(pk + "/" + strconv.Itoa(acked[w][pk]))})
					acked[w][pk]++
				}
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
				if err != nil || *out.FailedRecordCount != 0 {
					reader.fail("put: %v", err)
					return
				}
			}
		})
	}
	readerDone := make(chan struct{})
	readerStop := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-readerStop:
				return
			default:
			}
			if !reader.step() {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()

	pause := func() { time.Sleep(150 * time.Millisecond) }
	pause()
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("85070591730234615865843651857942052864")}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, stream)
	pause()
	// Shards 2 and 3 are the split's children; merge them back.
	if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: aws.String("shardId-000000000002"),
		AdjacentShardToMerge: aws.String("shardId-000000000003")}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, stream)
	for _, target := range []int32{4, 8, 5} {
		pause()
		out, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(stream), TargetShardCount: aws.Int32(target), ScalingType: types.ScalingTypeUniformScaling})
		if err != nil {
			t.Fatalf("to %d: %v", target, err)
		}
		if *out.TargetShardCount != target || *out.StreamName != stream || out.StreamARN == nil || out.CurrentShardCount == nil {
			t.Fatalf("UpdateShardCount answer: %+v", out)
		}
		waitActive(t, c, stream)
		s, _ := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if *s.StreamDescriptionSummary.OpenShardCount != target {
			t.Fatalf("open shards after scaling to %d: %d", target, *s.StreamDescriptionSummary.OpenShardCount)
		}
	}
	pause()
	close(stop)
	wg.Wait()

	// Every acknowledged record is read, once, in order per key.
	deadline := time.Now().Add(60 * time.Second)
	for w := range writers {
		for pk, n := range acked[w] {
			for reader.count(pk) < n && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	close(readerStop)
	<-readerDone
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
	if len(reader.finished) < 9 {
		t.Errorf("the reader finished %d closed shards", len(reader.finished))
	}
	t.Logf("%d records across %d finished shards", total, len(reader.finished))
}

func shardIDs(shards []types.Shard) []string {
	var out []string
	for _, s := range shards {
		out = append(out, *s.ShardId)
	}
	return out
}

func TestSDKShardFiltersAfterResharding(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	const stream = "f"
	before := time.Now().Add(-time.Hour)
	createStream(t, c, stream, 2)
	// With the default delays a new stream is ACTIVE when CreateStream
	// answers (so a waiter returns at its first poll).
	waitActive(t, c, stream)
	if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("a"), Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	// Shard 0 splits into 2 and 3; then 3 and 1 merge into 4.
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("100")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	afterSplit := time.Now()
	time.Sleep(1100 * time.Millisecond)
	if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: aws.String("shardId-000000000001"),
		AdjacentShardToMerge: aws.String("shardId-000000000003")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	afterMerge := time.Now()

	list := func(f *types.ShardFilter, exclusiveStart string) []string {
		t.Helper()
		in := &kinesis.ListShardsInput{StreamName: aws.String(stream), ShardFilter: f}
		if exclusiveStart != "" {
			in.ExclusiveStartShardId = aws.String(exclusiveStart)
		}
		out, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return shardIDs(out.Shards)
	}
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("shardId-%012d", n))
		}
		return out
	}
	for _, c := range []struct {
		name   string
		filter *types.ShardFilter
		start  string
		want   []string
	}{
		{"none", nil, "", ids(0, 1, 2, 3, 4)},
		{"ExclusiveStartShardId", nil, "shardId-000000000001", ids(2, 3, 4)},
		{"AT_LATEST", &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}, "", ids(2, 4)},
		{"AT_TRIM_HORIZON", &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}, "", ids(0, 1)},
		{"FROM_TRIM_HORIZON", &types.ShardFilter{Type: types.ShardFilterTypeFromTrimHorizon}, "", ids(0, 1, 2, 3, 4)},
		{"AT_TIMESTAMP before the stream", &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(before)}, "", ids(0, 1)},
		{"AT_TIMESTAMP after the split", &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(afterSplit)}, "", ids(1, 2, 3)},
		{"AT_TIMESTAMP after the merge", &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(afterMerge)}, "", ids(2, 4)},
		{"FROM_TIMESTAMP after the split", &types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(afterSplit)}, "", ids(1, 2, 3, 4)},
		{"FROM_TIMESTAMP after the merge", &types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(afterMerge)}, "", ids(2, 4)},
		{"AFTER_SHARD_ID", &types.ShardFilter{Type: types.ShardFilterTypeAfterShardId, ShardId: aws.String("shardId-000000000002")}, "", ids(3, 4)},
	} {
		if got := list(c.filter, c.start); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	// DescribeStream shows the closed shards with their ranges and ends.
	d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]types.Shard{}
	for _, s := range d.StreamDescription.Shards {
		byID[*s.ShardId] = s
	}
	for _, id := range ids(0, 1, 3) {
		if s := byID[id]; s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil || s.HashKeyRange == nil {
			t.Errorf("closed shard %s: %+v", id, s)
		}
	}
	if s := byID["shardId-000000000004"]; aws.ToString(s.ParentShardId) != "shardId-000000000001" || aws.ToString(s.AdjacentParentShardId) != "shardId-000000000003" ||
		*s.HashKeyRange.StartingHashKey != "100" || *s.HashKeyRange.EndingHashKey != "340282366920938463463374607431768211455" || s.SequenceNumberRange.EndingSequenceNumber != nil {
		t.Errorf("merged shard: %+v %+v", s, s.HashKeyRange)
	}
	if s := byID["shardId-000000000002"]; aws.ToString(s.ParentShardId) != "shardId-000000000000" || *s.HashKeyRange.EndingHashKey != "99" {
		t.Errorf("split child: %+v", s)
	}

	// The parent's record is read there, then its end names the children.
	it, _ := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000001"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || out.NextShardIterator != nil || len(out.ChildShards) != 1 || *out.ChildShards[0].ShardId != "shardId-000000000004" ||
		!slices.Equal(out.ChildShards[0].ParentShards, ids(1, 3)) {
		t.Fatalf("end of shard 1: %+v %v", out, err)
	}

	// A closed shard cannot be split or merged again.
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("50")})
	wantErr(t, err, "InvalidArgumentException", "Shard shardId-000000000000 in stream f under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting.")
	_, err = c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: aws.String("shardId-000000000002"), AdjacentShardToMerge: aws.String("shardId-000000000003")})
	wantErr(t, err, "InvalidArgumentException", "Shard shardId-000000000003 in stream f under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting.")
	// Errors in AWS's order: validation, then a missing stream, then the arguments.
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("nope"), ShardToSplit: aws.String("shardId-000000000002"), NewStartingHashKey: aws.String("x")})
	wantErr(t, err, "ValidationException", "")
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("nope"), ShardToSplit: aws.String("shardId-000000000002"), NewStartingHashKey: aws.String("50")})
	wantErr(t, err, "ResourceNotFoundException", "Stream nope under account 000000000000 not found.")
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000002"), NewStartingHashKey: aws.String("1")})
	wantErr(t, err, "InvalidArgumentException", "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000002 in stream f under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey 99.")
	// A shard the stream lacks, and one no stream can have (answered
	// before the stream is looked up).
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-9"), NewStartingHashKey: aws.String("50")})
	wantErr(t, err, "ResourceNotFoundException", "Could not find shard shardId-000000000009 in stream f under account 000000000000.")
	_, err = c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("nope"), ShardToMerge: aws.String("shardId-000000000002"), AdjacentShardToMerge: aws.String("ABKLFD8")})
	wantErr(t, err, "ResourceNotFoundException", "Could not find shard ABKLFD8 in stream nope under account 000000000000.")
	// UpdateShardCount's bounds are LimitExceededException.
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(stream), TargetShardCount: aws.Int32(5), ScalingType: types.ScalingTypeUniformScaling})
	wantErr(t, err, "LimitExceededException", "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 2, Target shard count: 5")
}

func TestSDKStreamStates(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.CreateDelay = 500 * time.Millisecond
	cfg.Kinesis.UpdateDelay = 3 * time.Second
	cfg.Kinesis.DeleteDelay = 500 * time.Millisecond
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	status := func(stream string) types.StreamStatus {
		t.Helper()
		d, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		return d.StreamDescriptionSummary.StreamStatus
	}

	createStream(t, c, "st", 2)
	if s := status("st"); s != types.StreamStatusCreating {
		t.Fatalf("after CreateStream: %s", s)
	}
	_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("st"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "ResourceNotFoundException", "Stream st under account 000000000000 not found.")
	_, err = c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("st"), Tags: map[string]string{"a": "b"}})
	wantErr(t, err, "ResourceInUseException", "Stream st under account 000000000000 not ACTIVE, instead in state CREATING")
	// The AWS CLI's waiter returns once the stream is ACTIVE.
	cli := newCLI(t, srv.URL())
	cli.ok(nil, "kinesis", "wait", "stream-exists", "--stream-name", "st")
	if s := status("st"); s != types.StreamStatusActive {
		t.Fatalf("after the waiter: %s", s)
	}

	// A reshard leaves the stream UPDATING; a second one meanwhile is refused.
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("st"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("1000")}); err != nil {
		t.Fatal(err)
	}
	if s := status("st"); s != types.StreamStatusUpdating {
		t.Fatalf("after SplitShard: %s", s)
	}
	busy := "Stream st under account 000000000000 not ACTIVE, instead in state UPDATING"
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("st"), ShardToSplit: aws.String("shardId-000000000001"), NewStartingHashKey: aws.String("200000000000000000000000000000000000000")})
	wantErr(t, err, "ResourceInUseException", busy)
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("st"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
	wantErr(t, err, "ResourceInUseException", busy)
	// Records go on while UPDATING, to the children.
	put, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("st"), PartitionKey: aws.String("k"), Data: []byte("x"), ExplicitHashKey: aws.String("5")})
	if err != nil || *put.ShardId != "shardId-000000000002" {
		t.Fatalf("put while UPDATING: %+v %v", put, err)
	}
	waitActive(t, c, "st")

	// Deleting: DELETING is visible, then the stream is gone.
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("st")}); err != nil {
		t.Fatal(err)
	}
	if s := status("st"); s != types.StreamStatusDeleting {
		t.Fatalf("after DeleteStream: %s", s)
	}
	cli.ok(nil, "kinesis", "wait", "stream-not-exists", "--stream-name", "st")
	_, err = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("st")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

// TestSDKReshardSurvivesRestart: a reshard is durable when it answers, on
// the store under test; a stream that a stop left UPDATING is ACTIVE after.
func TestSDKReshardSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.UpdateDelay = time.Hour
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "r", 1)
	put := func(n int) {
		t.Helper()
		for k := range 8 {
			pk := fmt.Sprint("k", k)
			if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("r"), PartitionKey: aws.String(pk), Data: []byte(pk + "/" + strconv.Itoa(n))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(0)
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("r"), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	put(1)
	describe := func() []types.Shard {
		t.Helper()
		d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("r")})
		if err != nil {
			t.Fatal(err)
		}
		return d.StreamDescription.Shards
	}
	before := describe()
	srv.Close()

	cfg.Kinesis.UpdateDelay = 0
	srv = startServer(t, cfg)
	c = client(srv.URL(), testCreds)
	after := describe()
	if len(after) != 3 || fmt.Sprintf("%+v", shardIDs(after)) != fmt.Sprintf("%+v", shardIDs(before)) ||
		*after[0].SequenceNumberRange.EndingSequenceNumber != *before[0].SequenceNumberRange.EndingSequenceNumber {
		t.Fatalf("after restart: %v, before %v", shardIDs(after), shardIDs(before))
	}
	waitActive(t, c, "r")
	// The children go on numbering after the parent.
	put(2)
	if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("r"), ShardToMerge: aws.String("shardId-000000000001"),
		AdjacentShardToMerge: aws.String("shardId-000000000002")}); err != nil {
		t.Fatal(err)
	}
	put(3)
	r := newLineageReader(t, c, "r")
	for range 20 {
		r.step()
	}
	if len(r.errs) > 0 {
		t.Fatal(r.errs)
	}
	for k := range 8 {
		if n := r.count(fmt.Sprint("k", k)); n != 4 {
			t.Fatalf("key k%d: %d records read, want 4", k, n)
		}
	}
}
