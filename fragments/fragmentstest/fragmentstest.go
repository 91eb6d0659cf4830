package fragmentstest

import (
	"path/filepath"
	"testing"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/index"
)

// Open opens a video store on files in a fresh temporary directory of t.
// It sets cfg's Catalog, Store, Index and Keyring (a static master key);
// the other settings are the caller's.
func Open(t testing.TB, cfg fragments.Config) *fragments.Store {
	t.Helper()
	dir := t.TempDir()
	kr, err := envelope.NewStatic(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := index.Open(filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	root := filepath.Join(dir, "video")
	if cfg.Catalog, err = streamdir.NewCatalog(streamdir.CatalogConfig{Root: filepath.Join(dir, "streams"), Mirror: cat}); err != nil {
		t.Fatal(err)
	}
	if cfg.Store, err = streamdir.NewStore(streamdir.StoreConfig{Root: root, Index: cat}); err != nil {
		t.Fatal(err)
	}
	cfg.Index, cfg.Keyring = cat, kr
	st, err := fragments.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
