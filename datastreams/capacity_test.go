package datastreams

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/autoscale"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// modeEnv is an engine over the memory catalog and store, which a reopen
// keeps: a restart without files.
type modeEnv struct {
	t     *testing.T
	clock *fakeClock
	cat   *registry.MemCatalog
	store *shard.MemStore
	kr    *envelope.Keyring
	e     *Engine
	cfg   func(*Config)
}

func newModeEnv(t *testing.T, mutate func(*Config)) *modeEnv {
	t.Helper()
	v := &modeEnv{t: t, clock: &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, cat: registry.NewMemCatalog(), cfg: mutate}
	v.store = shard.NewMemStore(v.clock.Now)
	kr, err := envelope.NewStatic(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	v.kr = kr
	v.open()
	t.Cleanup(func() { v.e.Close() })
	return v
}

func (v *modeEnv) open() {
	v.t.Helper()
	cfg := Config{Catalog: v.cat, Store: v.store, Keyring: v.kr, Now: v.clock.Now, RetentionCheck: time.Hour}
	if v.cfg != nil {
		v.cfg(&cfg)
	}
	e, err := Open(cfg)
	if err != nil {
		v.t.Fatal(err)
	}
	v.e = e
}

func (v *modeEnv) reopen() {
	v.t.Helper()
	v.e.Close()
	v.open()
}

func (v *modeEnv) mode(name string) (string, int) {
	v.t.Helper()
	d, err := v.e.DescribeStreamSummary(StreamRef{Name: name})
	if err != nil {
		v.t.Fatal(err)
	}
	return d.Mode, d.OpenShardCount
}

func wantEngineErr(t *testing.T, err, kind error, msg string) {
	t.Helper()
	if !errors.Is(err, kind) || (msg != "" && err.Error() != msg) {
		t.Fatalf("want %v %q, got %v", kind, msg, err)
	}
}

const arnPrefix = "arn:aws:kinesis:us-east-1:000000000000:stream/"

func TestUpdateStreamMode(t *testing.T) {
	v := newModeEnv(t, nil)
	ctx := context.Background()
	if err := v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	ref := StreamRef{ARN: arnPrefix + "s"}
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, StreamRef{ARN: arnPrefix + "nope"}, ModeOnDemand, nil),
		registry.ErrResourceNotFound, "Stream nope under account 000000000000 not found.")
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, ref, ModeProvisioned, nil),
		registry.ErrInvalidArgument, "Stream s under account 000000000000 is already in PROVISIONED mode.")
	warm := 10
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, ref, ModeProvisioned, &warm),
		registry.ErrInvalidArgument, "WarmThroughputMiBps can only be set for a stream in ON_DEMAND mode.")
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, ref, ModeOnDemand, &warm), registry.ErrInvalidArgument, "")
	if m, n := v.mode("s"); m != ModeProvisioned || n != 2 {
		t.Fatalf("refused changes changed the stream: %s %d", m, n)
	}

	// PROVISIONED to ON_DEMAND keeps the shards, and back.
	if err := v.e.UpdateStreamMode(ctx, ref, ModeOnDemand, nil); err != nil {
		t.Fatal(err)
	}
	if m, n := v.mode("s"); m != ModeOnDemand || n != 2 {
		t.Fatalf("after the switch: %s %d", m, n)
	}
	if l := v.e.DescribeLimits(); l.OnDemandStreamCount != 1 {
		t.Fatalf("limits %+v", l)
	}
	v.clock.Add(time.Hour)
	zero := 0
	if err := v.e.UpdateStreamMode(ctx, ref, ModeProvisioned, &zero); err != nil {
		t.Fatal(err)
	}
	if m, n := v.mode("s"); m != ModeProvisioned || n != 2 {
		t.Fatalf("after switching back: %s %d", m, n)
	}

	// Twice in 24 hours, and the history survives a restart.
	v.reopen()
	v.clock.Add(22 * time.Hour)
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, ref, ModeOnDemand, nil), registry.ErrLimitExceeded,
		"Stream s under account 000000000000 has changed its capacity mode 2 times in the last 24 hours, the most allowed. It can change again at 2026-03-02T12:00:00Z.")
	if m, _ := v.mode("s"); m != ModeProvisioned {
		t.Fatalf("refused switch changed the mode to %s", m)
	}
	v.clock.Add(time.Hour)
	if err := v.e.UpdateStreamMode(ctx, ref, ModeOnDemand, nil); err != nil {
		t.Fatalf("24 h after the first switch: %v", err)
	}
	v.reopen()
	if m, n := v.mode("s"); m != ModeOnDemand || n != 2 {
		t.Fatalf("after a restart: %s %d", m, n)
	}
	if got := len(v.e.lookup("s").Def().ModeSwitches); got != 2 {
		t.Fatalf("%d switches kept, want the 2 of the last 24 h", got)
	}
}

func TestOnDemandStreamCountLimit(t *testing.T) {
	v := newModeEnv(t, func(c *Config) { c.OnDemandStreamCountLimit = 1 })
	ctx := context.Background()
	if err := v.e.CreateStream(CreateStreamInput{Name: "od"}); err != nil {
		t.Fatal(err)
	}
	if m, n := v.mode("od"); m != ModeOnDemand || n != DefaultOnDemandShards {
		t.Fatalf("a stream without shard count or mode: %s %d", m, n)
	}
	if err := v.e.CreateStream(CreateStreamInput{Name: "pv", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	const msg = "This request would exceed the on-demand stream limit for the account 000000000000 in us-east-1. Limit: 1."
	wantEngineErr(t, v.e.UpdateStreamMode(ctx, StreamRef{ARN: arnPrefix + "pv"}, ModeOnDemand, nil), registry.ErrLimitExceeded, msg)
	wantEngineErr(t, v.e.CreateStream(CreateStreamInput{Name: "od2", Mode: ModeOnDemand}), registry.ErrLimitExceeded, msg)
	// Freeing the slot lets the switch through.
	if err := v.e.UpdateStreamMode(ctx, StreamRef{ARN: arnPrefix + "od"}, ModeProvisioned, nil); err != nil {
		t.Fatal(err)
	}
	if err := v.e.UpdateStreamMode(ctx, StreamRef{ARN: arnPrefix + "pv"}, ModeOnDemand, nil); err != nil {
		t.Fatal(err)
	}
	if l := v.e.DescribeLimits(); l.OnDemandStreamCount != 1 || l.OnDemandStreamCountLimit != 1 || l.OpenShardCount != 5 {
		t.Fatalf("limits %+v", l)
	}
}

// recordingResharder notes the decisions of the scaling loop.
type recordingResharder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingResharder) split(_ context.Context, st *stream, id string, at hashKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "split "+st.Def().Name+" "+id+" "+at.String())
	return nil
}

func (r *recordingResharder) merge(_ context.Context, st *stream, a, b string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "merge "+st.Def().Name+" "+a+" "+b)
	return nil
}

func (r *recordingResharder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func TestOnDemandScalingDecisions(t *testing.T) {
	rs := &recordingResharder{}
	v := newModeEnv(t, func(c *Config) {
		c.resharder = rs
		c.OnDemand = autoscale.Config{MinShards: 3}
	})
	ctx := context.Background()
	v.e.CreateStream(CreateStreamInput{Name: "od", Mode: ModeOnDemand})
	v.e.CreateStream(CreateStreamInput{Name: "pv", ShardCount: 4})
	// 1000 records a second, all in shard 1's range (2^126 .. 2^127-1),
	// to both streams: only the ON_DEMAND one scales.
	batch := make([]PutEntry, 1000)
	for i := range batch {
		batch[i] = PutEntry{PartitionKey: "k", ExplicitHashKey: hashKey{hi: 1<<62 + uint64(i)<<52}.String(), Data: []byte("0123456789")}
	}
	for s := 0; s < 90 && len(rs.get()) == 0; s++ {
		for _, name := range []string{"od", "pv"} {
			if out, err := v.e.PutRecords(ctx, StreamRef{Name: name}, batch); err != nil || out.Failed != 0 {
				t.Fatalf("put: %v %d", err, out.Failed)
			}
		}
		v.clock.Add(time.Second)
		v.e.scaleTick(ctx)
	}
	calls := rs.get()
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "split od shardId-000000000001 ") {
		t.Fatalf("decisions %q", calls)
	}
	at, _ := parseHashKey(strings.Fields(calls[0])[3])
	if lo, hi := (hashKey{hi: 1<<62 + 400<<52}), (hashKey{hi: 1<<62 + 600<<52}); at.cmp(lo) < 0 || at.cmp(hi) > 0 {
		t.Fatalf("split at %s, not near the median of the keys written", at)
	}

	// Idle for the merge window: one merge (4 shards, at least 3).
	for s := 0; s < 20*60 && len(rs.get()) < 2; s++ {
		v.clock.Add(time.Second)
		v.e.scaleTick(ctx)
	}
	if calls := rs.get(); len(calls) != 2 || !strings.HasPrefix(calls[1], "merge od ") {
		t.Fatalf("decisions %q", calls)
	}
}
