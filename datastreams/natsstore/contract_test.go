package natsstore

// The exported contract suites of package shard (shardtest) run against
// JetStream here: an embedded nats-server, one prefix per test.

import (
	"fmt"
	"testing"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
)

func TestStoreContract(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	shardtest.Run(t, func(t *testing.T) shard.Store {
		// Each test of the suite gets a prefix; reopening in the same test
		// (open called again) sees the same storage.
		return connect(t, url, Config{Prefix: contractPrefix(t)}).Store()
	})
}

func TestCatalogContract(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	shardtest.RunCatalog(t, func(t *testing.T) registry.Catalog {
		return connect(t, url, Config{Prefix: contractPrefix(t)}).Catalog()
	})
}

// contractPrefix names a test's storage after the test, so that a second
// open in the same test reopens it.
func contractPrefix(t *testing.T) string {
	return fmt.Sprintf("c-%x", fnv(t.Name()))
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
