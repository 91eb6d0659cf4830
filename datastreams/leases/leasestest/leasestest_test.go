package leasestest_test

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/leasestest"
)

// The suite on the memory store, which is the leases package's own.
func TestMemStoreContract(t *testing.T) {
	leasestest.Run(t, func(t *testing.T) leases.Store { return leases.NewMemStore() })
}
