package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// testCatalog is a catalog in memory that keeps to Put's version rule.
type testCatalog struct {
	mu   sync.Mutex
	defs map[string]*index.Stream // kind/name
}

func newTestCatalog() *testCatalog { return &testCatalog{defs: map[string]*index.Stream{}} }

func (c *testCatalog) Load(_ context.Context, kind string) ([]*index.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*index.Stream
	for _, d := range c.defs {
		if d.Kind == kind {
			out = append(out, d.Clone())
		}
	}
	return out, nil
}

func (c *testCatalog) Put(_ context.Context, s *index.Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.defs[s.Kind+"/"+s.Name]
	if s.Version == 1 && old != nil || s.Version > 1 && (old == nil || old.Version != s.Version-1) {
		return registry.ErrConflict
	}
	c.defs[s.Kind+"/"+s.Name] = s.Clone()
	return nil
}

func (c *testCatalog) Delete(_ context.Context, kind, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.defs, kind+"/"+name)
	return nil
}

func (c *testCatalog) Secret(context.Context, string, int) ([]byte, error) {
	return nil, errors.New("no secrets here")
}

func (c *testCatalog) get(kind, name string) *index.Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.defs[kind+"/"+name]; d != nil {
		return d.Clone()
	}
	return nil
}

// testStore keeps memory logs by id.
type testStore struct {
	mu   sync.Mutex
	logs map[shard.LogID]*shard.MemLog
}

func newTestStore() *testStore { return &testStore{logs: map[shard.LogID]*shard.MemLog{}} }

func (s *testStore) Open(_ context.Context, id shard.LogID, o shard.LogOptions) (shard.Log, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := shard.NewMem(time.Now, o.FirstSeq)
	s.logs[id] = l
	return l, nil
}

func (s *testStore) Logs(context.Context) ([]shard.LogID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []shard.LogID
	for id := range s.logs {
		out = append(out, id)
	}
	return out, nil
}

func (s *testStore) Remove(_ context.Context, id shard.LogID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.logs, id)
	return nil
}

func (s *testStore) Close() error { return nil }

func (s *testStore) has(id shard.LogID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs[id] != nil
}

// rt is the test kind's runtime: its open logs.
type rt struct {
	logs   []*shard.SealedLog
	closed atomic.Bool
}

type kind struct {
	cat       *testCatalog
	store     *testStore
	kr        *envelope.Keyring
	opened    atomic.Int32
	closed    atomic.Int32
	retention atomic.Int32
	failOpen  atomic.Bool
}

func newKind(t *testing.T) *kind {
	t.Helper()
	kr, err := envelope.OpenFile(filepath.Join(t.TempDir(), "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &kind{cat: newTestCatalog(), store: newTestStore(), kr: kr}
}

func (k *kind) open(t *testing.T, check time.Duration) *registry.Registry[*rt] {
	t.Helper()
	r, err := registry.Open(context.Background(), registry.Config[*rt]{
		Kind: "test", Catalog: k.cat, Store: k.store, Keyring: k.kr, RetentionCheck: check,
		Hooks: registry.Hooks[*rt]{
			Open: func(ctx context.Context, s *registry.Stream[*rt]) (*rt, error) {
				if k.failOpen.Load() {
					return nil, errors.New("open failed")
				}
				x := &rt{}
				for _, sh := range s.Def().Shards {
					l, err := s.OpenLog(ctx, sh.ID, shard.LogOptions{}, false)
					if err != nil {
						return nil, err
					}
					x.logs = append(x.logs, l)
				}
				k.opened.Add(1)
				return x, nil
			},
			Close: func(s *registry.Stream[*rt]) {
				x := s.Runtime()
				if x.closed.Swap(true) {
					return
				}
				for _, l := range x.logs {
					l.Close()
				}
				k.closed.Add(1)
			},
			Retention: func(context.Context, *registry.Stream[*rt]) { k.retention.Add(1) },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func def(name string, shards ...string) *index.Stream {
	d := &index.Stream{Name: name, ARN: "arn:test:" + name}
	for _, s := range shards {
		d.Shards = append(d.Shards, index.Shard{ID: s})
	}
	return d
}

func TestLookupAndIncarnations(t *testing.T) {
	k := newKind(t)
	r := k.open(t, time.Hour)
	ctx := context.Background()
	a, err := r.Create(ctx, def("a", "s0", "s1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, def("b"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, def("a"), nil); !errors.Is(err, registry.ErrExists) {
		t.Fatalf("second create of a: %v, want ErrExists", err)
	}
	d := a.Def()
	if d.ID == "" || d.Version != 1 || d.Kind != "test" {
		t.Fatalf("created definition %+v", d)
	}
	if r.Get("a") != a || r.ByARN("arn:test:a") != a || r.ByID(d.ID) != a || r.Get("nope") != nil || r.ByARN("arn:test:nope") != nil {
		t.Fatal("lookup by name, ARN or id does not find the stream")
	}
	if all := r.All(); len(all) != 2 || all[0].Def().Name != "a" || all[1].Def().Name != "b" {
		t.Fatalf("All: %d streams, not a and b in name order", len(all))
	}
	// Delete removes the definition and the logs, and the name can be
	// created again as another incarnation.
	if err := r.Delete(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if k.cat.get("test", "a") != nil || k.store.has(shard.LogID{Stream: d.ID, Shard: "s0"}) || k.store.has(shard.LogID{Stream: d.ID, Shard: "s1"}) {
		t.Fatal("delete left the definition or a log")
	}
	if r.Get("a") != nil || r.ByID(d.ID) != nil || r.ByARN("arn:test:a") != nil {
		t.Fatal("a deleted stream is still found")
	}
	if _, err := a.Update(ctx, func(*index.Stream) error { return nil }); !errors.Is(err, registry.ErrGone) {
		t.Fatalf("update of a deleted stream: %v, want ErrGone", err)
	}
	if err := r.Delete(ctx, a, nil); !errors.Is(err, registry.ErrGone) {
		t.Fatalf("second delete: %v, want ErrGone", err)
	}
	a2, err := r.Create(ctx, def("a", "s0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a2.Def().ID == d.ID || r.ByID(d.ID) != nil || r.ByID(a2.Def().ID) != a2 {
		t.Fatal("a recreated name kept the old incarnation's id")
	}
	// The admission check may refuse; nothing is stored then.
	limit := errors.New("over the limit")
	if _, err := r.Create(ctx, def("c"), func() error { return limit }); !errors.Is(err, limit) || k.cat.get("test", "c") != nil {
		t.Fatalf("refused create: %v", err)
	}
	// A runtime that fails to open undoes the create.
	k.failOpen.Store(true)
	if _, err := r.Create(ctx, def("d", "s0"), nil); err == nil || k.cat.get("test", "d") != nil || r.Get("d") != nil {
		t.Fatalf("create with a failing open: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	k := newKind(t)
	r := k.open(t, time.Hour)
	ctx := context.Background()
	s, err := r.Create(ctx, def("u"), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Def()
	d, err := s.Update(ctx, func(d *index.Stream) error { d.RetentionHours = 48; return nil })
	if err != nil || d.Version != 2 || d.RetentionHours != 48 || s.Def() != d {
		t.Fatalf("update: %v %+v", err, d)
	}
	if before.RetentionHours != 0 || before.Version != 1 {
		t.Fatal("an update changed a published definition in place")
	}
	if got := k.cat.get("test", "u"); got.Version != 2 || got.RetentionHours != 48 {
		t.Fatalf("catalog holds %+v", got)
	}
	// Refused and unchanged updates store nothing.
	no := errors.New("no")
	if _, err := s.Update(ctx, func(d *index.Stream) error { d.RetentionHours = 1; return no }); !errors.Is(err, no) {
		t.Fatal(err)
	}
	if d, err := s.Update(ctx, func(*index.Stream) error { return registry.ErrUnchanged }); err != nil || d.Version != 2 {
		t.Fatalf("unchanged update: %v version %d", err, d.Version)
	}
	// A catalog changed behind the registry's back refuses the stale
	// version, and the published definition stays.
	stale := k.cat.get("test", "u")
	stale.Version = 3
	k.cat.mu.Lock()
	k.cat.defs["test/u"] = stale
	k.cat.mu.Unlock()
	if _, err := s.Update(ctx, func(d *index.Stream) error { d.RetentionHours = 72; return nil }); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("update over a newer catalog entry: %v, want ErrConflict", err)
	}
	if s.Def().RetentionHours != 48 {
		t.Fatal("a failed update was published")
	}
	k.cat.mu.Lock()
	stale.Version = 2
	k.cat.mu.Unlock()

	// Concurrent updates are serialized: none is lost.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.Update(ctx, func(d *index.Stream) error { d.NextShardIndex++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := s.Def(); d.NextShardIndex != 20 || d.Version != 22 {
		t.Fatalf("after 20 concurrent updates: NextShardIndex %d version %d", d.NextShardIndex, d.Version)
	}
}

func TestRetentionHook(t *testing.T) {
	k := newKind(t)
	r := k.open(t, 5*time.Millisecond)
	ctx := context.Background()
	for i := range 3 {
		if _, err := r.Create(ctx, def(fmt.Sprint("s", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	before := k.retention.Load()
	r.EnforceRetention(ctx)
	if got := k.retention.Load() - before; got < 3 {
		t.Fatalf("EnforceRetention ran the hook %d times for 3 streams", got)
	}
	// The ticker runs it on its own.
	start := k.retention.Load()
	deadline := time.Now().Add(30 * time.Second)
	for k.retention.Load() < start+6 {
		if time.Now().After(deadline) {
			t.Fatal("the retention ticker never ran the hook")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// After Close, it does not.
	r.Close()
	stopped := k.retention.Load()
	time.Sleep(50 * time.Millisecond)
	if k.retention.Load() != stopped {
		t.Fatal("the retention hook ran after Close")
	}
}

func TestDataKeysAndRewrap(t *testing.T) {
	k := newKind(t)
	r := k.open(t, time.Hour)
	ctx := context.Background()
	keyID, err := k.kr.Resolve("alias/aws/kinesis")
	if err != nil {
		t.Fatal(err)
	}
	d := def("enc", "s0")
	ver, err := r.NewDataKey(d, keyID)
	if err != nil || ver != 1 {
		t.Fatalf("NewDataKey: %d %v", ver, err)
	}
	d.Encryption = index.Encryption{Type: "KMS", KeyID: keyID, KeyVersion: ver}
	s, err := r.Create(ctx, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := s.Runtime().logs[0]
	if _, err := l.Append(ctx, []shard.Entry{{Data: []byte("secret")}}); err != nil {
		t.Fatal(err)
	}
	recs, err := l.Read(ctx, 0, 10, 1<<20)
	if err != nil || len(recs) != 1 || recs[0].KeyVer != 1 || !bytes.Equal(recs[0].Data, []byte("secret")) {
		t.Fatalf("read back a sealed record: %v %+v", err, recs)
	}
	oldWrapped := k.cat.get("test", "enc").DataKeys[0].Wrapped
	plain, _, err := k.kr.Decrypt(oldWrapped)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Rewrap(ctx, keyID); err != nil || n != 0 {
		t.Fatalf("rewrap before a rotation: %d %v", n, err)
	}
	if _, err := k.kr.Rotate(keyID); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Rewrap(ctx, keyID); err != nil || n != 1 {
		t.Fatalf("rewrap after a rotation: %d %v", n, err)
	}
	stored := k.cat.get("test", "enc")
	if bytes.Equal(stored.DataKeys[0].Wrapped, oldWrapped) || stored.Version != 2 {
		t.Fatal("rewrap did not store the rewrapped key")
	}
	again, _, err := k.kr.Decrypt(stored.DataKeys[0].Wrapped)
	if err != nil || !bytes.Equal(again, plain) {
		t.Fatal("the rewrapped data key is not the same key")
	}
}

func TestOrphanLogsRemovedAtOpen(t *testing.T) {
	k := newKind(t)
	ctx := context.Background()
	r := k.open(t, time.Hour)
	s, err := r.Create(ctx, def("kept", "s0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := s.Def().ID
	r.Close()
	// A crash left logs of a stream the catalog does not hold.
	ghost := shard.LogID{Stream: "ghost", Shard: "s0"}
	if _, err := k.store.Open(ctx, ghost, shard.LogOptions{}); err != nil {
		t.Fatal(err)
	}
	r = k.open(t, time.Hour)
	if k.store.has(ghost) {
		t.Fatal("the orphan log was not removed")
	}
	if !k.store.has(shard.LogID{Stream: id, Shard: "s0"}) || r.Get("kept") == nil || r.Get("kept").Def().ID != id {
		t.Fatal("a stream's own log or the stream was lost at open")
	}
}

func TestClose(t *testing.T) {
	k := newKind(t)
	r := k.open(t, time.Hour)
	ctx := context.Background()
	for i := range 3 {
		if _, err := r.Create(ctx, def(fmt.Sprint("c", i), "s0"), nil); err != nil {
			t.Fatal(err)
		}
	}
	s := r.Get("c0")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if k.closed.Load() != 3 {
		t.Fatalf("Close closed %d runtimes of 3", k.closed.Load())
	}
	if _, err := s.Runtime().logs[0].Append(ctx, []shard.Entry{{Data: []byte("x")}}); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("append after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Update(ctx, func(*index.Stream) error { return nil }); !errors.Is(err, registry.ErrGone) {
		t.Fatalf("update after Close: %v, want ErrGone", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if len(r.All()) != 0 {
		t.Fatal("streams are listed after Close")
	}
}
