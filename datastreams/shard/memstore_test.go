package shard_test

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
)

// TestMemStoreContract runs the store contract on memory: the same
// MemStore is the storage a reopened store finds.
func TestMemStoreContract(t *testing.T) {
	stores := shardtest.PerTest(func(t *testing.T) *shard.MemStore { return shard.NewMemStore(nil) })
	shardtest.Run(t, func(t *testing.T) shard.Store { return stores(t) })
}
