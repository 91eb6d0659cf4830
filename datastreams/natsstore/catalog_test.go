package natsstore

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

func testCatalog(t *testing.T, e *env) {
	cat := e.conn().Catalog()
	s := &index.Stream{Kind: "data", Name: "orders.v1/x", ID: "id-1", Version: 1, Shards: []index.Shard{{ID: "shardId-000000000000"}}}
	if err := cat.Put(bg, s); err != nil {
		t.Fatal(err)
	}
	if err := cat.Put(bg, s); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	v2 := s.Clone()
	v2.Version, v2.Status = 2, "ACTIVE"
	if err := cat.Put(bg, v2); err != nil {
		t.Fatal(err)
	}
	if err := cat.Put(bg, v2); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("stale replace: %v", err)
	}
	v9 := s.Clone()
	v9.Version = 9
	if err := cat.Put(bg, v9); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("replace skipping versions: %v", err)
	}
	absent := &index.Stream{Kind: "data", Name: "nope", Version: 2}
	if err := cat.Put(bg, absent); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("replace of an absent definition: %v", err)
	}
	if err := cat.Put(bg, &index.Stream{Kind: "video", Name: "cam", Version: 1}); err != nil {
		t.Fatal(err)
	}
	// Two writers from version 2: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			v3 := v2.Clone()
			v3.Version = 3
			errs[i] = e.conn().Catalog().Put(bg, v3)
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs[0], errs[1]), registry.ErrConflict) {
		t.Fatalf("concurrent replaces: %v / %v", errs[0], errs[1])
	}
	// Another connection loads what was stored.
	cat2 := e.conn().Catalog()
	got, err := cat2.Load(bg, "data")
	if err != nil || len(got) != 1 || got[0].Name != s.Name || got[0].Version != 3 || got[0].Status != "ACTIVE" || got[0].Shards[0].ID != "shardId-000000000000" {
		t.Fatalf("load data: %+v %v", got, err)
	}
	if got, _ := cat2.Load(bg, "video"); len(got) != 1 || got[0].Name != "cam" {
		t.Fatalf("load video: %+v", got)
	}
	if got, err := cat2.Load(bg, "lease"); err != nil || len(got) != 0 {
		t.Fatalf("load of an empty kind: %+v %v", got, err)
	}
	if err := cat.Delete(bg, "data", s.Name); err != nil {
		t.Fatal(err)
	}
	if err := cat.Delete(bg, "data", s.Name); err != nil {
		t.Fatalf("deleting an absent definition: %v", err)
	}
	if got, _ := cat2.Load(bg, "data"); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
	// The name can be created again.
	if err := cat.Put(bg, s); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
	// Secrets are made once.
	a, err := cat.Secret(bg, "iterator-key", 32)
	if err != nil || len(a) != 32 {
		t.Fatalf("secret: %d %v", len(a), err)
	}
	b, err := cat2.Secret(bg, "iterator-key", 32)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("secret seen by another connection differs: %v", err)
	}
}

func testKeyring(t *testing.T, e *env) {
	c := e.conn()
	k, err := envelope.OpenStored(c.KeyringBlob())
	if err != nil {
		t.Fatal(err)
	}
	dk, err := k.GenerateDataKey(envelope.DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.CreateKey("alias/extra")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Rotate("alias/extra"); err != nil {
		t.Fatal(err)
	}
	// Another server opens the same keyring.
	k2, err := envelope.OpenStored(e.conn().KeyringBlob())
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := k2.Decrypt(dk.Wrapped)
	if err != nil || !bytes.Equal(plain, dk.Plaintext) {
		t.Fatalf("second server cannot unwrap: %v", err)
	}
	if got, err := k2.Resolve("alias/extra"); err != nil || got != id {
		t.Fatalf("second server resolves alias/extra to %q %v", got, err)
	}
	// A change from a stale copy is refused rather than lost.
	if _, err := k2.CreateKey("alias/second"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateKey("alias/third"); err == nil {
		t.Fatal("a keyring saved from a stale copy overwrote a newer one")
	}
}
