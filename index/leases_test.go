package index

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/leasestest"
)

func TestLeaseStoreContract(t *testing.T) {
	leasestest.Run(t, func(t *testing.T) leases.Store {
		c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.LeaseStore()
	})
}

// TestLeaseStoreReopen: what a write acknowledged is there after the file
// is closed and opened again.
func TestLeaseStoreReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s := c.LeaseStore()
	if _, err := s.PutTable(ctx, "app", []byte("def"), 0); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Put(ctx, "app", []byte("k"), []byte("v"), 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := s.Put(ctx, "app", []byte("k2"), []byte("v"), 0); !errorsIsUnavailable(err) {
		t.Fatalf("write to a closed catalog: %v, want ErrUnavailable", err)
	}
	c, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, r, err := c.LeaseStore().Get(ctx, "app", []byte("k"))
	if err != nil || string(v) != "v" || r != rev {
		t.Fatalf("after reopen: %q rev %d (want %d) %v", v, r, rev, err)
	}
	if probs := c.Check(); len(probs) > 0 {
		t.Fatalf("check: %v", probs)
	}
}

func errorsIsUnavailable(err error) bool {
	return err != nil && errors.Is(err, leases.ErrUnavailable)
}
