package registry_test

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
)

// TestMemCatalogContract: the same MemCatalog is what a reopened catalog finds.
func TestMemCatalogContract(t *testing.T) {
	cats := shardtest.PerTest(func(t *testing.T) *registry.MemCatalog { return registry.NewMemCatalog() })
	shardtest.RunCatalog(t, func(t *testing.T) registry.Catalog { return cats(t) })
}
