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

	"github.com/shardcast/shardcast/datastreams/autoscale"
	"github.com/shardcast/shardcast/index"
)

// The on-demand scaling loop end to end inside the engine: the real
// resharder, the real policy, the memory store, and a fake clock that the
// test moves one second per tick (the loop's own ticker is an hour, so
// only the test ticks).

// onDemandTestConfig makes a shard's capacity 20 records/s and the windows
// a few seconds, so that a handful of records a tick is a hot shard.
func onDemandTestConfig(c *Config) {
	c.OnDemand = autoscale.Config{Tick: time.Hour, Smoothing: 2 * time.Second, SplitAfter: 3 * time.Second,
		MergeAfter: 10 * time.Second, RecordsPerSec: 20}
}

// tapResharder notes the decisions the loop carries out and passes them on.
type tapResharder struct {
	next resharder
	mu   sync.Mutex
	log  []string
	errs []error
}

func (r *tapResharder) split(ctx context.Context, st *stream, id string, at hashKey) error {
	err := r.next.split(ctx, st, id, at)
	r.note("split "+id+" "+at.String(), err)
	return err
}

func (r *tapResharder) merge(ctx context.Context, st *stream, a, b string) error {
	err := r.next.merge(ctx, st, a, b)
	r.note("merge "+a+" "+b, err)
	return err
}

func (r *tapResharder) note(s string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", s, err))
	}
}

func (r *tapResharder) decisions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// engineLineage reads a stream as KCL does, through the engine: a shard to
// its end (no next iterator), then the children it names once all their
// parents are done. It checks each key's counters ("key/n") arrive once, in
// order.
type engineLineage struct {
	t        *testing.T
	e        *Engine
	stream   string
	seen     map[string]int
	finished map[string]bool
	waiting  map[string][]string // shards not started, with their parents
	iters    map[string]string
	errs     []string
}

func newEngineLineage(t *testing.T, e *Engine, stream string) *engineLineage {
	r := &engineLineage{t: t, e: e, stream: stream, seen: map[string]int{}, finished: map[string]bool{},
		waiting: map[string][]string{}, iters: map[string]string{}}
	d, err := e.DescribeStream(StreamRef{Name: stream}, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Shards {
		r.waiting[s.ID] = nil
	}
	return r
}

// step reads once from every shard that may be read.
func (r *engineLineage) step() {
	r.t.Helper()
	ctx := context.Background()
	for id, ps := range r.waiting {
		ready := true
		for _, p := range ps {
			ready = ready && r.finished[p]
		}
		if !ready {
			continue
		}
		it, err := r.e.GetShardIterator(ctx, StreamRef{Name: r.stream}, id, TrimHorizon, "", nil)
		if err != nil {
			r.t.Fatalf("iterator of %s: %v", id, err)
		}
		delete(r.waiting, id)
		r.iters[id] = it
	}
	for id, it := range r.iters {
		out, err := r.e.GetRecords(ctx, it, 0)
		if err != nil {
			r.t.Fatalf("get records of %s: %v", id, err)
		}
		for _, rec := range out.Records {
			pk, n, _ := strings.Cut(string(rec.Data), "/")
			if want := strconv.Itoa(r.seen[pk]); n != want || pk != rec.PartitionKey {
				r.errs = append(r.errs, fmt.Sprintf("shard %s: key %s record %s, want %s", id, pk, n, want))
			}
			r.seen[pk]++
		}
		if out.NextShardIterator != "" {
			r.iters[id] = out.NextShardIterator
			continue
		}
		if len(out.ChildShards) == 0 {
			r.errs = append(r.errs, "shard "+id+" ended without ChildShards")
		}
		delete(r.iters, id)
		r.finished[id] = true
		for _, c := range out.ChildShards {
			if _, reading := r.iters[c.ID]; !reading && !r.finished[c.ID] {
				r.waiting[c.ID] = c.Parents
			}
		}
	}
}

// hotKeys returns n partition keys whose hashes fall in [lo, hi].
func hotKeys(n int, lo, hi hashKey) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		pk := "key-" + strconv.Itoa(i)
		if h := partitionHash(pk); h.cmp(lo) >= 0 && h.cmp(hi) <= 0 {
			out = append(out, pk)
		}
	}
	return out
}

func TestOnDemandScalesUnderLoadAndBack(t *testing.T) {
	m := newMemEnv(t, onDemandTestConfig)
	tap := &tapResharder{next: engineResharder{m.e}}
	m.e.cfg.resharder = tap
	ctx := context.Background()
	if err := m.e.CreateStream(CreateStreamInput{Name: "od", Mode: ModeOnDemand}); err != nil {
		t.Fatal(err)
	}
	reader := newEngineLineage(t, m.e, "od")
	st := m.e.lookup("od")
	// Every key hashes into shard 0's quarter of the key space.
	first := stateOf(st).open[0]
	keys := hotKeys(32, first.start, first.end)
	sent := map[string]int{}
	put := func(n int) {
		batch := make([]PutEntry, 0, n)
		for i := range n {
			pk := keys[i%len(keys)]
			batch = append(batch, PutEntry{PartitionKey: pk, Data: []byte(pk + "/" + strconv.Itoa(sent[pk]))})
			sent[pk]++
		}
		out, err := m.e.PutRecords(ctx, StreamRef{Name: "od"}, batch)
		if err != nil || out.Failed != 0 {
			t.Fatalf("put: %v %+v", err, out)
		}
	}
	tick := func() {
		m.clock.Add(time.Second)
		m.e.scaleTick(ctx)
		reader.step()
		for _, s := range stateOf(st).shards {
			if s.meter == nil {
				t.Fatalf("shard %s has no meter", s.info.ID)
			}
		}
	}
	closed := func(id string) bool {
		s, ok := m.shards("od")[id]
		return ok && s.EndSeq != ""
	}

	// Load: 80 records a second on shard 0, four times its capacity here,
	// until shard 0 and then one of its children have split.
	for s := 0; s < 120 && !(closed(shardID(0)) && (closed(shardID(4)) || closed(shardID(5)))); s++ {
		put(80)
		tick()
	}
	decisions := tap.decisions()
	if len(decisions) < 2 || !strings.HasPrefix(decisions[0], "split "+shardID(0)+" ") {
		t.Fatalf("decisions under load: %q (errors %v)", decisions, tap.errs)
	}
	shards := m.shards("od")
	parent := shards[shardID(0)]
	lower, upper := shards[shardID(4)], shards[shardID(5)]
	at := strings.Fields(decisions[0])[2]
	if parent.EndSeq == "" || lower.Parent != parent.ID || upper.Parent != parent.ID ||
		lower.StartHash != parent.StartHash || upper.EndHash != parent.EndHash || upper.StartHash != at {
		t.Fatalf("split of %+v at %s: children %+v %+v", parent, at, lower, upper)
	}
	if k, _ := parseHashKey(at); k.cmp(first.start) <= 0 || k.cmp(first.end) > 0 {
		t.Fatalf("split key %s outside shard 0", at)
	}
	var splits []string
	for _, d := range decisions {
		if strings.HasPrefix(d, "split ") {
			splits = append(splits, strings.Fields(d)[1])
		}
	}
	if len(splits) < 2 || (splits[1] != shardID(4) && splits[1] != shardID(5)) {
		t.Fatalf("no child of shard 0 split again: %q", decisions)
	}

	// Idle: cold neighbours merge, one a tick at most, down to 4 and no
	// further.
	for s := 0; s < 120; s++ {
		tick()
		if n := len(stateOf(st).open); n < DefaultOnDemandShards {
			t.Fatalf("%d open shards", n)
		}
	}
	splitCount, merges := 0, 0
	for _, d := range tap.decisions() {
		switch {
		case strings.HasPrefix(d, "split "):
			splitCount++
		case strings.HasPrefix(d, "merge "):
			merges++
		}
	}
	if n := len(stateOf(st).open); n != DefaultOnDemandShards || merges != splitCount {
		t.Fatalf("%d open shards when idle after %d splits and %d merges: %q", n, splitCount, merges, tap.decisions())
	}
	if len(tap.errs) > 0 {
		t.Fatalf("scaling errors: %v", tap.errs)
	}

	// The reader followed every reshard and read each record once, in order.
	for range 5 {
		reader.step()
	}
	if len(reader.errs) > 0 {
		t.Fatalf("%d reader errors, first: %s", len(reader.errs), reader.errs[0])
	}
	for pk, n := range sent {
		if reader.seen[pk] != n {
			t.Errorf("key %s: %d written, %d read", pk, n, reader.seen[pk])
		}
	}
	closedShards := 0
	for _, s := range m.shards("od") {
		if s.EndSeq != "" {
			closedShards++
		}
	}
	if len(reader.finished) != closedShards || closedShards != splitCount+2*merges {
		t.Errorf("the reader finished %d shards of %d closed: %v", len(reader.finished), closedShards, reader.finished)
	}
	t.Logf("decisions: %q", tap.decisions())
}

func TestOnDemandDecisionsYieldToTheStream(t *testing.T) {
	m := newMemEnv(t, onDemandTestConfig)
	ctx := context.Background()
	if err := m.e.CreateStream(CreateStreamInput{Name: "od", Mode: ModeOnDemand}); err != nil {
		t.Fatal(err)
	}
	ref := StreamRef{Name: "od"}
	st := m.e.lookup("od")
	r := engineResharder{m.e}
	mid := func(id string) hashKey {
		s := m.shards("od")[id]
		a, _ := parseHashKey(s.StartHash)
		return a.add(1 << 40)
	}
	unchanged := func(what string, err error) {
		t.Helper()
		if !staleDecision(err) {
			t.Fatalf("%s: %v is not a stale decision", what, err)
		}
		if n := len(m.shards("od")); n != 4 {
			t.Fatalf("%s: %d shards", what, n)
		}
	}

	// UPDATING (a user's change in progress): the decision is dropped.
	if err := m.e.setStatus(ctx, st, StatusUpdating, StatusActive); err != nil {
		t.Fatal(err)
	}
	unchanged("split while UPDATING", r.split(ctx, st, shardID(0), mid(shardID(0))))
	unchanged("merge while UPDATING", r.merge(ctx, st, shardID(0), shardID(1)))
	// A tick meanwhile keeps the stream's policy.
	m.e.scaleTick(ctx)
	if err := m.e.setStatus(ctx, st, StatusActive, StatusUpdating); err != nil {
		t.Fatal(err)
	}
	m.e.scaleTick(ctx)
	m.e.scale.mu.Lock()
	kept := m.e.scale.policies[st.Def().ID] != nil
	m.e.scale.mu.Unlock()
	if !kept {
		t.Fatal("the policy of an ON_DEMAND stream was dropped")
	}

	// Switched to PROVISIONED after the tick decided.
	if err := m.e.UpdateStreamMode(ctx, ref, ModeProvisioned, nil); err != nil {
		t.Fatal(err)
	}
	unchanged("split of a PROVISIONED stream", r.split(ctx, st, shardID(0), mid(shardID(0))))
	m.clock.Add(time.Hour)
	if err := m.e.UpdateStreamMode(ctx, ref, ModeOnDemand, nil); err != nil {
		t.Fatal(err)
	}

	// A decision for a shard that closed meanwhile.
	if err := r.split(ctx, st, shardID(0), mid(shardID(0))); err != nil {
		t.Fatal(err)
	}
	err := r.split(ctx, st, shardID(0), mid(shardID(0)))
	if !staleDecision(err) || len(m.shards("od")) != 6 {
		t.Fatalf("second split of shard 0: %v, %d shards", err, len(m.shards("od")))
	}
	if err := r.merge(ctx, st, shardID(0), shardID(1)); !staleDecision(err) {
		t.Fatalf("merge of a closed shard: %v", err)
	}

	// DELETING, then deleted.
	if err := m.e.setStatus(ctx, st, StatusDeleting, StatusActive); err != nil {
		t.Fatal(err)
	}
	unchanged2 := r.split(ctx, st, shardID(1), mid(shardID(1)))
	if !errors.Is(unchanged2, errNotScalable) {
		t.Fatalf("split while DELETING: %v", unchanged2)
	}
	if err := m.e.setStatus(ctx, st, StatusActive, StatusDeleting); err != nil {
		t.Fatal(err)
	}
	at1 := mid(shardID(1))
	if err := m.e.DeleteStream(ref, false); err != nil {
		t.Fatal(err)
	}
	if err := r.split(ctx, st, shardID(1), at1); !staleDecision(err) {
		t.Fatalf("split of a deleted stream: %v", err)
	}
	if logs, err := m.store.Logs(ctx); err != nil || len(logs) != 0 {
		t.Fatalf("logs left: %v %v", logs, err)
	}
}

// TestOnDemandReshardRacesUserChanges runs scaling decisions against a
// user's encryption change, mode switches and DeleteStream at the same
// time (go test -race): whatever the order, the stream stays sound, new
// children seal with the stream's current key, and a deleted stream
// leaves no log behind.
func TestOnDemandReshardRacesUserChanges(t *testing.T) {
	m := newMemEnv(t, onDemandTestConfig)
	ctx := context.Background()
	r := engineResharder{m.e}
	for round := range 6 {
		name := "race" + strconv.Itoa(round)
		if err := m.e.CreateStream(CreateStreamInput{Name: name, Mode: ModeOnDemand}); err != nil {
			t.Fatal(err)
		}
		ref := StreamRef{Name: name}
		st := m.e.lookup(name)
		var wg sync.WaitGroup
		var scaleErrs []error
		wg.Go(func() {
			// Split every open shard once, at its middle.
			for _, s := range stateOf(st).open {
				at := s.start.add(1 << 62)
				if err := r.split(ctx, st, s.info.ID, at); err != nil && !staleDecision(err) {
					scaleErrs = append(scaleErrs, err)
				}
			}
		})
		switch round % 3 {
		case 0:
			wg.Go(func() {
				if err := m.e.StartEncryption(ref, EncryptionKMS, "alias/aws/kinesis"); err != nil {
					t.Error(err)
				}
			})
		case 1:
			wg.Go(func() {
				if err := m.e.UpdateStreamMode(ctx, ref, ModeProvisioned, nil); err != nil {
					t.Error(err)
				}
			})
		case 2:
			wg.Go(func() {
				if err := m.e.DeleteStream(ref, false); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(scaleErrs) > 0 {
			t.Fatalf("round %d: %v", round, scaleErrs)
		}
		switch round % 3 {
		case 0:
			// Every open shard, children included, seals new records.
			var batch []PutEntry
			for _, s := range stateOf(st).open {
				batch = append(batch, PutEntry{PartitionKey: "k", ExplicitHashKey: s.start.String(), Data: []byte("x")})
			}
			if out, err := m.e.PutRecords(ctx, ref, batch); err != nil || out.Failed != 0 {
				t.Fatalf("put: %v", err)
			}
			for _, s := range stateOf(st).open {
				recs, _ := m.readAll(name, s.info.ID)
				if len(recs) != 1 || !recs[0].Encrypted {
					t.Fatalf("round %d: shard %s holds %+v", round, s.info.ID, recs)
				}
			}
		case 2:
			logs, err := m.store.Logs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range logs {
				if id.Stream == st.Def().ID {
					t.Fatalf("round %d: log %s of a deleted stream left", round, id)
				}
			}
		}
		// The definition and the view agree.
		if round%3 != 2 {
			def := st.Def()
			view := stateOf(st).shards
			if len(def.Shards) != len(view) {
				t.Fatalf("round %d: definition has %d shards, view %d", round, len(def.Shards), len(view))
			}
			assertDefMatchesView(t, def, view)
		}
		m.clock.Add(25 * time.Hour) // past the daily mode switches
	}
}

func assertDefMatchesView(t *testing.T, def *index.Stream, view []*shardRT) {
	t.Helper()
	for i, s := range def.Shards {
		if view[i].info.ID != s.ID || view[i].info.Closed.IsZero() != s.Closed.IsZero() {
			t.Fatalf("shard %d: definition %+v, view %+v", i, s, view[i].info)
		}
	}
}
