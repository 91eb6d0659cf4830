package shardtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// RunCatalog checks that the catalogs open makes keep the Catalog
// contract. Calls of open with the same test return catalogs over the same
// storage.
func RunCatalog(t *testing.T, open func(t *testing.T) registry.Catalog) {
	t.Run("PutLoad", func(t *testing.T) { testCatalogPutLoad(t, open) })
	t.Run("Versions", func(t *testing.T) { testCatalogVersions(t, open) })
	t.Run("Delete", func(t *testing.T) { testCatalogDelete(t, open) })
	t.Run("Copies", func(t *testing.T) { testCatalogCopies(t, open) })
	t.Run("Secret", func(t *testing.T) { testCatalogSecret(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testCatalogConcurrent(t, open) })
}

func definition(kind, name string) *index.Stream {
	created := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	return &index.Stream{
		Kind: kind, Name: name, ID: "id-" + kind + "-" + name, ARN: "arn:aws:kinesis:us-east-1:000000000000:stream/" + name,
		Created: created, Status: "ACTIVE", RetentionHours: 24,
		Shards:     []index.Shard{{ID: "shardId-000000000000", StartHash: "0", EndHash: "340282366920938463463374607431768211455", Created: created}},
		Tags:       map[string]string{"team": "a"},
		Encryption: index.Encryption{Type: "KMS", KeyID: "alias/aws/kinesis", KeyVersion: 1},
		DataKeys:   []index.DataKey{{Version: 1, KeyID: "k", Wrapped: []byte{1, 2, 3}, Created: created}},
		Version:    1,
		Extra:      json.RawMessage(`{"mediaType":"video/h264"}`),
	}
}

// sameDef compares definitions by their JSON form.
func sameDef(t *testing.T, got, want *index.Stream) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Fatalf("definition\n%s\nwant\n%s", g, w)
	}
}

func load(t *testing.T, c registry.Catalog, kind string) []*index.Stream {
	t.Helper()
	defs, err := c.Load(context.Background(), kind)
	if err != nil {
		t.Fatalf("load %s: %v", kind, err)
	}
	return defs
}

func names(defs []*index.Stream) string {
	var b bytes.Buffer
	for _, d := range defs {
		fmt.Fprintf(&b, "%s@%d ", d.Name, d.Version)
	}
	return b.String()
}

func put(t *testing.T, c registry.Catalog, s *index.Stream) {
	t.Helper()
	if err := c.Put(context.Background(), s); err != nil {
		t.Fatalf("put %s/%s@%d: %v", s.Kind, s.Name, s.Version, err)
	}
}

func testCatalogPutLoad(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	if defs := load(t, c, index.KindData); len(defs) != 0 {
		t.Fatalf("an empty catalog loads %s", names(defs))
	}
	a, b, v := definition(index.KindData, "b-stream"), definition(index.KindData, "a-stream"), definition(index.KindVideo, "a-stream")
	put(t, c, a)
	put(t, c, b)
	put(t, c, v) // the same name in another kind
	for _, c := range []registry.Catalog{c, open(t)} {
		data := load(t, c, index.KindData)
		if names(data) != "a-stream@1 b-stream@1 " {
			t.Fatalf("data streams %s", names(data))
		}
		sameDef(t, data[0], b)
		sameDef(t, data[1], a)
		video := load(t, c, index.KindVideo)
		if len(video) != 1 {
			t.Fatalf("video streams %s", names(video))
		}
		sameDef(t, video[0], v)
		if other := load(t, c, "lease"); len(other) != 0 {
			t.Fatalf("a kind never written loads %s", names(other))
		}
	}
}

func testCatalogVersions(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	ctx := context.Background()
	s := definition(index.KindData, "s")
	put(t, c, s)
	if err := c.Put(ctx, definition(index.KindData, "s")); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	s2 := definition(index.KindData, "s")
	s2.Version, s2.RetentionHours = 2, 48
	put(t, c, s2)
	stale := definition(index.KindData, "s")
	stale.Version, stale.RetentionHours = 2, 72 // made from version 1 too
	if err := c.Put(ctx, stale); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("change from a stale copy: %v, want ErrConflict", err)
	}
	ahead := definition(index.KindData, "s")
	ahead.Version = 5
	if err := c.Put(ctx, ahead); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("version 5 over version 2: %v, want ErrConflict", err)
	}
	other := definition(index.KindData, "s")
	other.ID, other.Version = "another-incarnation", 3
	if err := c.Put(ctx, other); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("a change of another incarnation: %v, want ErrConflict", err)
	}
	missing := definition(index.KindData, "missing")
	missing.Version = 2
	if err := c.Put(ctx, missing); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("a change of a stream that does not exist: %v, want ErrConflict", err)
	}
	s3 := definition(index.KindData, "s")
	s3.Version, s3.Status = 3, "UPDATING"
	put(t, c, s3)
	c = open(t)
	defs := load(t, c, index.KindData)
	if len(defs) != 1 {
		t.Fatalf("streams %s", names(defs))
	}
	sameDef(t, defs[0], s3)
	// The version rules hold across a reopen.
	s4 := definition(index.KindData, "s")
	s4.Version = 3
	if err := c.Put(ctx, s4); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("version 3 again after reopen: %v, want ErrConflict", err)
	}
	s4.Version = 4
	put(t, c, s4)
}

func testCatalogDelete(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	ctx := context.Background()
	put(t, c, definition(index.KindData, "a"))
	put(t, c, definition(index.KindData, "b"))
	put(t, c, definition(index.KindVideo, "a"))
	if err := c.Delete(ctx, index.KindData, "a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, index.KindData, "never-was"); err != nil {
		t.Fatalf("delete of a stream that does not exist: %v", err)
	}
	if err := c.Delete(ctx, "lease", "never-was"); err != nil {
		t.Fatalf("delete in a kind never written: %v", err)
	}
	for _, c := range []registry.Catalog{c, open(t)} {
		if got := names(load(t, c, index.KindData)); got != "b@1 " {
			t.Fatalf("after delete: %s", got)
		}
		if got := names(load(t, c, index.KindVideo)); got != "a@1 " {
			t.Fatalf("the other kind after delete: %s", got)
		}
	}
	// A name deleted is free for a new incarnation.
	again := definition(index.KindData, "a")
	again.ID = "second-incarnation"
	put(t, c, again)
	defs := load(t, open(t), index.KindData)
	if len(defs) != 2 || defs[0].ID != "second-incarnation" {
		t.Fatalf("after recreate: %s", names(defs))
	}
}

func testCatalogCopies(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	s := definition(index.KindData, "s")
	put(t, c, s)
	s.Tags["team"] = "changed after put"
	s.Shards[0].EndSeq = 99
	defs := load(t, c, index.KindData)
	if defs[0].Tags["team"] != "a" || defs[0].Shards[0].EndSeq != 0 {
		t.Fatal("a definition changed after Put changed the stored one")
	}
	defs[0].Tags["team"] = "changed after load"
	defs[0].DataKeys[0].Wrapped[0] = 9
	again := load(t, c, index.KindData)
	if again[0].Tags["team"] != "a" || again[0].DataKeys[0].Wrapped[0] != 1 {
		t.Fatal("a loaded definition changed the stored one")
	}
}

func testCatalogSecret(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	ctx := context.Background()
	a, err := c.Secret(ctx, "iterator", 32)
	if err != nil || len(a) != 32 {
		t.Fatalf("secret: %d bytes, %v", len(a), err)
	}
	b, err := c.Secret(ctx, "playback", 48)
	if err != nil || len(b) != 48 || bytes.Equal(a, b[:32]) {
		t.Fatalf("a second secret: %d bytes, %v (or equal to the first)", len(b), err)
	}
	if bytes.Equal(a, make([]byte, 32)) {
		t.Fatal("the secret is all zeros")
	}
	for _, c := range []registry.Catalog{c, open(t)} {
		again, err := c.Secret(ctx, "iterator", 32)
		if err != nil || !bytes.Equal(a, again) {
			t.Fatalf("the secret changed: %v", err)
		}
		again, err = c.Secret(ctx, "playback", 48)
		if err != nil || !bytes.Equal(b, again) {
			t.Fatalf("the second secret changed: %v", err)
		}
	}
}

// testCatalogConcurrent: of many changes made from one version, exactly
// one is stored; many first calls of a secret agree.
func testCatalogConcurrent(t *testing.T, open func(t *testing.T) registry.Catalog) {
	c := open(t)
	ctx := context.Background()
	put(t, c, definition(index.KindData, "s"))
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	secrets := make([][]byte, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := definition(index.KindData, "s")
			s.Version, s.RetentionHours = 2, 24+i
			err := c.Put(ctx, s)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, registry.ErrConflict):
				t.Errorf("concurrent put: %v", err)
			}
			secrets[i], err = c.Secret(ctx, "shared", 32)
			if err != nil {
				t.Errorf("secret: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of %d concurrent changes from version 1 were stored, want 1", won, n)
	}
	if defs := load(t, c, index.KindData); defs[0].Version != 2 {
		t.Fatalf("stored version %d", defs[0].Version)
	}
	for _, s := range secrets[1:] {
		if !bytes.Equal(s, secrets[0]) {
			t.Fatal("concurrent first calls made different secrets")
		}
	}
}
