package datastreams

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// memEnv is an engine on the memory catalog and store; reopen keeps both,
// as a restart keeps a durable store.
type memEnv struct {
	*env
	cat   *registry.MemCatalog
	store *shard.MemStore
	mut   func(*Config)
}

func newMemEnv(t *testing.T, mutate func(*Config)) *memEnv {
	t.Helper()
	kr, err := envelope.OpenFile(t.TempDir() + "/keyring.json")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	m := &memEnv{env: &env{t: t, clock: clock, kr: kr}, cat: registry.NewMemCatalog(), store: shard.NewMemStore(clock.Now), mut: mutate}
	m.openMem()
	t.Cleanup(func() { m.e.Close() })
	return m
}

func (m *memEnv) openMem() {
	m.t.Helper()
	cfg := Config{Catalog: m.cat, Store: m.store, Keyring: m.kr, Now: m.clock.Now, RetentionCheck: time.Hour}
	if m.mut != nil {
		m.mut(&cfg)
	}
	e, err := Open(cfg)
	if err != nil {
		m.t.Fatal(err)
	}
	m.e = e
}

func (m *memEnv) restart() {
	m.e.Close()
	m.openMem()
}

func (m *memEnv) shards(stream string) map[string]ShardInfo {
	m.t.Helper()
	d, err := m.e.DescribeStream(StreamRef{Name: stream}, 100, "")
	if err != nil {
		m.t.Fatal(err)
	}
	out := map[string]ShardInfo{}
	for _, s := range d.Shards {
		out[s.ID] = s
	}
	return out
}

// readAll reads a shard from TRIM_HORIZON to its end (a closed shard) or
// to the end of what is written; it returns the records and the children
// named at a closed shard's end.
func (m *memEnv) readAll(stream, id string) ([]Record, []ChildShard) {
	m.t.Helper()
	ctx := context.Background()
	it, err := m.e.GetShardIterator(ctx, StreamRef{Name: stream}, id, TrimHorizon, "", nil)
	if err != nil {
		m.t.Fatal(err)
	}
	var recs []Record
	for {
		out, err := m.e.GetRecords(ctx, it, 0)
		if err != nil {
			m.t.Fatal(err)
		}
		recs = append(recs, out.Records...)
		if out.NextShardIterator == "" {
			return recs, out.ChildShards
		}
		if len(out.Records) == 0 {
			return recs, nil
		}
		it = out.NextShardIterator
	}
}

const half = "170141183460469231731687303715884105728" // 2^127

func TestSplitShardLineageAndRestart(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	if err := m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	before := m.put("s", "k", "before")
	if err := m.e.SplitShard(ctx, StreamRef{Name: "s"}, "shardId-000000000000", half); err != nil {
		t.Fatal(err)
	}
	after := m.put("s", "k", "after")
	if after.ShardID == "shardId-000000000000" || after.SequenceNumber <= before.SequenceNumber && len(after.SequenceNumber) == len(before.SequenceNumber) {
		t.Fatalf("after the split: %+v, before %+v", after, before)
	}
	check := func() {
		t.Helper()
		sh := m.shards("s")
		p, c1, c2 := sh["shardId-000000000000"], sh["shardId-000000000001"], sh["shardId-000000000002"]
		if len(sh) != 3 || p.EndSeq == "" || c1.EndSeq != "" || c2.EndSeq != "" {
			t.Fatalf("shards: %+v", sh)
		}
		if c1.Parent != p.ID || c2.Parent != p.ID || c1.StartHash != "0" || c1.EndHash != "170141183460469231731687303715884105727" ||
			c2.StartHash != half || c2.EndHash != p.EndHash {
			t.Fatalf("children: %+v %+v", c1, c2)
		}
		if !(p.EndSeq > before.SequenceNumber) || !(c1.StartSeq > p.EndSeq) {
			t.Fatalf("sequence ranges: parent ends %s, child starts %s, last parent record %s", p.EndSeq, c1.StartSeq, before.SequenceNumber)
		}
		recs, children := m.readAll("s", p.ID)
		if len(recs) != 1 || string(recs[0].Data) != "before" || len(children) != 2 || children[0].ID != c1.ID || children[1].ID != c2.ID ||
			children[0].Parents[0] != p.ID {
			t.Fatalf("parent: %v, children %+v", recs, children)
		}
		recs, _ = m.readAll("s", after.ShardID)
		if len(recs) != 1 || string(recs[0].Data) != "after" {
			t.Fatalf("child: %v", recs)
		}
		if d, _ := m.e.DescribeStreamSummary(StreamRef{Name: "s"}); d.OpenShardCount != 2 || d.Status != StatusActive {
			t.Fatalf("summary: %+v", d)
		}
	}
	check()
	m.restart()
	check()
}

func TestReshardErrors(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	ref := StreamRef{Name: "s"}
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	want := func(err error, kind error, msg string) {
		t.Helper()
		if !errors.Is(err, kind) || err.Error() != msg {
			t.Fatalf("got %v (%T), want %v %q", err, err, kind, msg)
		}
	}
	end0 := "170141183460469231731687303715884105727"
	want(m.e.SplitShard(ctx, StreamRef{Name: "nope"}, "shardId-000000000000", "5"), registry.ErrResourceNotFound, "Stream nope under account 000000000000 not found.")
	for _, k := range []string{"0", "1", end0, "170141183460469231731687303715884105728", "999999999999999999999999999999999999999"} {
		want(m.e.SplitShard(ctx, ref, "shardId-000000000000", k), registry.ErrInvalidArgument,
			"NewStartingHashKey "+k+" used in SplitShard() on shard shardId-000000000000 in stream s under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey "+end0+".")
	}
	// A shard the stream lacks: its id in the normal form, with a period;
	// an id that names no shard at all comes before the stream's lookup.
	want(m.e.SplitShard(ctx, ref, "shardId-000000000009", "5"), registry.ErrResourceNotFound, "Could not find shard shardId-000000000009 in stream s under account 000000000000.")
	want(m.e.SplitShard(ctx, ref, "shardId-5", "5"), registry.ErrResourceNotFound, "Could not find shard shardId-000000000005 in stream s under account 000000000000.")
	want(m.e.MergeShards(ctx, ref, "shardId-000000000000", "7"), registry.ErrResourceNotFound, "Could not find shard shardId-000000000007 in stream s under account 000000000000.")
	want(m.e.SplitShard(ctx, StreamRef{Name: "nope"}, "2147483647", "5"), registry.ErrResourceNotFound, "Stream nope under account 000000000000 not found.")
	for _, id := range []string{"2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4"} {
		want(m.e.SplitShard(ctx, StreamRef{Name: "nope"}, id, "5"), registry.ErrResourceNotFound, "Could not find shard "+id+" in stream nope under account 000000000000.")
		want(m.e.MergeShards(ctx, StreamRef{Name: "nope"}, "x-0", id), registry.ErrResourceNotFound, "Could not find shard "+id+" in stream nope under account 000000000000.")
	}
	want(m.e.MergeShards(ctx, ref, "shardId-000000000000", "shardId-000000000000"), registry.ErrInvalidArgument,
		"Shards shardId-000000000000 and shardId-000000000000 in stream s under account 000000000000 are not an adjacent pair of shards eligible for merging")
	if err := m.e.SplitShard(ctx, ref, "shardId-000000000000", "2"); err != nil {
		t.Fatal(err)
	}
	closed := "Shard shardId-000000000000 in stream s under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting."
	want(m.e.SplitShard(ctx, ref, "shardId-000000000000", "5"), registry.ErrInvalidArgument, closed)
	want(m.e.MergeShards(ctx, ref, "shardId-000000000001", "shardId-000000000000"), registry.ErrInvalidArgument, closed)
	// Shard 2 is [0, 1], shard 3 [2, end0], shard 1 [end0+1, max].
	want(m.e.MergeShards(ctx, ref, "shardId-000000000002", "shardId-000000000001"), registry.ErrInvalidArgument,
		"Shards shardId-000000000002 and shardId-000000000001 in stream s under account 000000000000 are not an adjacent pair of shards eligible for merging")
	// Adjacent in either order.
	if err := m.e.MergeShards(ctx, ref, "shardId-000000000003", "shardId-000000000002"); err != nil {
		t.Fatal(err)
	}
	c := m.shards("s")["shardId-000000000004"]
	if c.Parent != "shardId-000000000003" || c.AdjacentParent != "shardId-000000000002" || c.StartHash != "0" || c.EndHash != end0 {
		t.Fatalf("merged: %+v", c)
	}
	want(m.e.MergeShards(ctx, ref, "shardId-000000000001", "shardId-000000000003"), registry.ErrInvalidArgument,
		"Shard shardId-000000000003 in stream s under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting.")
	// The account shard limit.
	lim := newMemEnv(t, func(c *Config) { c.ShardLimit = 2 })
	lim.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	want(lim.e.SplitShard(ctx, ref, "shardId-000000000000", "5"), registry.ErrLimitExceeded,
		"This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard count for the account: 2. Limit: 2. Number of additional shards that would have resulted from this request: 1. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.")
	// On-demand streams: ValidationException.
	m.e.CreateStream(CreateStreamInput{Name: "od", Mode: ModeOnDemand})
	onDemand := "Request is invalid. Stream od under account 000000000000 is in On-Demand mode."
	want(m.e.SplitShard(ctx, StreamRef{Name: "od"}, "shardId-000000000000", "5"), registry.ErrValidation, onDemand)
	want(m.e.MergeShards(ctx, StreamRef{Name: "od"}, "shardId-000000000000", "shardId-000000000001"), registry.ErrValidation, onDemand)
	_, err := m.e.UpdateShardCount(ctx, StreamRef{Name: "od"}, 5, ScalingTypeUniform)
	want(err, registry.ErrValidation, onDemand)
	// The internal primitives work on an on-demand stream (the autoscaler's).
	st := m.e.lookup("od")
	if err := m.e.splitShard(ctx, st, "shardId-000000000000", hashKey{lo: 10}); err != nil {
		t.Fatal(err)
	}
	if err := m.e.mergeShards(ctx, st, "shardId-000000000005", "shardId-000000000004"); err != nil {
		t.Fatal(err)
	}
}

func TestUpdatingRefusesASecondChange(t *testing.T) {
	m := newMemEnv(t, func(c *Config) { c.UpdateDelay = time.Hour })
	ctx := context.Background()
	ref := StreamRef{Name: "s"}
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	if err := m.e.SplitShard(ctx, ref, "shardId-000000000000", "5"); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.e.DescribeStreamSummary(ref); d.Status != StatusUpdating {
		t.Fatalf("status after a split: %s", d.Status)
	}
	busy := "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING"
	for _, err := range []error{
		m.e.SplitShard(ctx, ref, "shardId-000000000001", "1701411834604692317316873037158841057289"),
		m.e.MergeShards(ctx, ref, "shardId-000000000002", "shardId-000000000003"),
		m.e.AddTags(ref, map[string]string{"a": "b"}),
		m.e.StartEncryption(ref, EncryptionKMS, "alias/aws/kinesis"),
	} {
		if !errors.Is(err, registry.ErrResourceInUse) || err.Error() != busy {
			t.Fatalf("while UPDATING: %v", err)
		}
	}
	// Writes and reads go on while UPDATING.
	m.put("s", "k", "x")
	// A restart finishes the update.
	m.restart()
	if d, _ := m.e.DescribeStreamSummary(ref); d.Status != StatusActive {
		t.Fatalf("status after a restart: %s", d.Status)
	}
}

func TestUpdateShardCountUniform(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	ref := StreamRef{Name: "s"}
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 3})
	for i, target := range []int{6, 4, 2, 3, 5, 3, 6, 12, 7} {
		out, err := m.e.UpdateShardCount(ctx, ref, target, ScalingTypeUniform)
		if err != nil {
			t.Fatalf("step %d to %d: %v", i, target, err)
		}
		if out.TargetCount != target || out.Name != "s" || out.ARN == "" {
			t.Fatalf("answer: %+v", out)
		}
		open := stateOf(m.e.lookup("s")).open
		want := evenRanges(target)
		if len(open) != target {
			t.Fatalf("to %d: %d open shards", target, len(open))
		}
		for j, s := range open {
			if s.start != want[j][0] || s.end != want[j][1] {
				t.Fatalf("to %d: shard %d is %s-%s, want %s-%s", target, j, s.start, s.end, want[j][0], want[j][1])
			}
		}
	}
	// Ten calls in a day at most, across restarts.
	m.restart()
	_, err := m.e.UpdateShardCount(ctx, ref, 8, ScalingTypeUniform)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.e.UpdateShardCount(ctx, ref, 8, ScalingTypeUniform)
	if !errors.Is(err, registry.ErrLimitExceeded) || !strings.Contains(err.Error(), "10 times in the last 24 hours") {
		t.Fatalf("eleventh call: %v", err)
	}
	m.clock.Add(25 * time.Hour)
	// AWS's bounds: LimitExceededException with AWS's texts.
	for _, c := range []struct {
		target int
		msg    string
	}{
		{17, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 8, Target shard count: 17"},
		{3, "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 8, Target shard count: 3"},
		{600, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 8, Target shard count: 600"},
		{10001, "Target shard count or number of open shards cannot be greater than 10000. Current open shard count: 8, Target shard count: 10001"},
	} {
		if _, err := m.e.UpdateShardCount(ctx, ref, c.target, ScalingTypeUniform); !errors.Is(err, registry.ErrLimitExceeded) || err.Error() != c.msg {
			t.Fatalf("to %d: %v, want %q", c.target, err, c.msg)
		}
	}
	if _, err := m.e.UpdateShardCount(ctx, ref, 4, ScalingTypeUniform); err != nil {
		t.Fatalf("after a day: %v", err)
	}
}

// TestReshardUnderConcurrentWrites: writers put numbered records for many
// keys while the stream is split, merged and scaled; a reader that reads
// parents before children sees every acknowledged record once, in order
// per key.
func TestReshardUnderConcurrentWrites(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	ref := StreamRef{Name: "s"}
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	const writers, keys = 4, 16
	var wg sync.WaitGroup
	stop := make(chan struct{})
	acked := make([]map[string]int, writers)
	for w := range writers {
		acked[w] = map[string]int{}
		wg.Go(func() {
			next := map[string]int{}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var entries []PutEntry
				for k := range 5 {
					pk := fmt.Sprintf("w%d-k%d", w, (n*5+k)%keys)
					entries = append(entries, PutEntry{PartitionKey: pk, Data: []byte(pk + "/" + strconv.Itoa(next[pk]))})
					next[pk]++
				}
				out, err := m.e.PutRecords(ctx, ref, entries)
				if err != nil || out.Failed != 0 {
					t.Errorf("put: %v %+v", err, out)
					return
				}
				for _, en := range entries {
					acked[w][en.PartitionKey]++
				}
			}
		})
	}
	steps := []func() error{
		func() error { return m.e.SplitShard(ctx, ref, "shardId-000000000000", "12345678901234567890") },
		func() error { _, err := m.e.UpdateShardCount(ctx, ref, 5, ScalingTypeUniform); return err },
		func() error { _, err := m.e.UpdateShardCount(ctx, ref, 3, ScalingTypeUniform); return err },
		func() error {
			open := stateOf(m.e.lookup("s")).open
			return m.e.MergeShards(ctx, ref, open[1].info.ID, open[0].info.ID)
		},
	}
	for _, step := range steps {
		time.Sleep(20 * time.Millisecond)
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()

	// Read parents before children.
	seen := map[string]int{}
	done := map[string]bool{}
	sh := m.shards("s")
	for len(done) < len(sh) {
		progress := false
		for id, s := range sh {
			if done[id] || (s.Parent != "" && !done[s.Parent]) || (s.AdjacentParent != "" && !done[s.AdjacentParent]) {
				continue
			}
			recs, _ := m.readAll("s", id)
			for _, r := range recs {
				pk, n, _ := strings.Cut(string(r.Data), "/")
				if want := strconv.Itoa(seen[pk]); n != want {
					t.Fatalf("key %s: got %s, want %s (shard %s)", pk, n, want, id)
				}
				seen[pk]++
			}
			done[id] = true
			progress = true
		}
		if !progress {
			t.Fatalf("lineage stuck: %+v", sh)
		}
	}
	for w := range writers {
		for pk, n := range acked[w] {
			if seen[pk] < n {
				t.Fatalf("key %s: %d acknowledged, %d read", pk, n, seen[pk])
			}
		}
	}
}

func TestExpiredClosedShardsAreDropped(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1})
	m.put("s", "k", "x")
	if err := m.e.SplitShard(ctx, StreamRef{Name: "s"}, "shardId-000000000000", half); err != nil {
		t.Fatal(err)
	}
	m.clock.Add(23 * time.Hour)
	m.e.EnforceRetention()
	if len(m.shards("s")) != 3 {
		t.Fatal("dropped before retention")
	}
	m.clock.Add(2 * time.Hour)
	m.e.EnforceRetention()
	sh := m.shards("s")
	if len(sh) != 2 || sh["shardId-000000000001"].Parent != "shardId-000000000000" {
		t.Fatalf("after retention: %+v", sh)
	}
	logs, _ := m.store.Logs(ctx)
	for _, l := range logs {
		if l.Shard == "shardId-000000000000" {
			t.Fatalf("log of the expired shard left: %v", logs)
		}
	}
	m.restart()
	if len(m.shards("s")) != 2 {
		t.Fatal("after restart")
	}
}

func TestCreatingAndDeleting(t *testing.T) {
	m := newMemEnv(t, func(c *Config) { c.CreateDelay, c.DeleteDelay = 50*time.Millisecond, 50*time.Millisecond })
	ctx := context.Background()
	ref := StreamRef{Name: "s"}
	if err := m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.e.DescribeStreamSummary(ref); d.Status != StatusCreating {
		t.Fatalf("after create: %s", d.Status)
	}
	if _, err := m.e.PutRecords(ctx, ref, []PutEntry{{PartitionKey: "k"}}); !errors.Is(err, registry.ErrResourceNotFound) {
		t.Fatalf("put while CREATING: %v", err)
	}
	if d, err := m.e.DescribeStream(ref, 0, ""); err != nil || len(d.Shards) != 0 || d.HasMoreShards {
		t.Fatalf("DescribeStream while CREATING lists shards: %+v %v", d, err)
	}
	if err := m.e.AddTags(ref, map[string]string{"a": "b"}); err == nil || err.Error() != "Stream s under account 000000000000 not ACTIVE, instead in state CREATING" {
		t.Fatalf("tags while CREATING: %v", err)
	}
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			d, err := m.e.DescribeStreamSummary(ref)
			if want == "" && errors.Is(err, registry.ErrResourceNotFound) || err == nil && d.Status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %q: %+v %v", want, d, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitStatus(StatusActive)
	m.put("s", "k", "x")
	if err := m.e.DeleteStream(ref, false); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.e.DescribeStreamSummary(ref); d.Status != StatusDeleting {
		t.Fatalf("after delete: %s", d.Status)
	}
	m.put("s", "k", "y") // writes go on while DELETING
	if err := m.e.DeleteStream(ref, false); !errors.Is(err, registry.ErrResourceInUse) {
		t.Fatalf("second delete: %v", err)
	}
	waitStatus("")

	// A restart finishes what a stop left: CREATING becomes ACTIVE,
	// DELETING is deleted.
	m.mut = func(c *Config) { c.CreateDelay, c.DeleteDelay = time.Hour, time.Hour }
	m.restart()
	m.e.CreateStream(CreateStreamInput{Name: "a", ShardCount: 1})
	m.e.CreateStream(CreateStreamInput{Name: "b", ShardCount: 1})
	if err := m.e.DeleteStream(StreamRef{Name: "b"}, false); err != nil {
		t.Fatal(err)
	}
	m.mut = nil
	m.restart()
	if d, _ := m.e.DescribeStreamSummary(StreamRef{Name: "a"}); d.Status != StatusActive {
		t.Fatalf("a after restart: %+v", d)
	}
	if _, err := m.e.DescribeStreamSummary(StreamRef{Name: "b"}); !errors.Is(err, registry.ErrResourceNotFound) {
		t.Fatalf("b after restart: %v", err)
	}
}

func TestStrayShardLogsRemovedAtOpen(t *testing.T) {
	m := newMemEnv(t, nil)
	ctx := context.Background()
	m.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 1})
	// What a crash leaves of a reshard before its definition was stored.
	id := shard.LogID{Stream: m.e.lookup("s").Def().ID, Shard: "shardId-000000000001"}
	l, err := m.store.Open(ctx, id, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	m.restart()
	logs, _ := m.store.Logs(ctx)
	if len(logs) != 1 || logs[0].Shard != "shardId-000000000000" {
		t.Fatalf("logs after restart: %v", logs)
	}
	if err := m.e.SplitShard(ctx, StreamRef{Name: "s"}, "shardId-000000000000", half); err != nil {
		t.Fatal(err)
	}
}
