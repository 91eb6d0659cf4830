package leases_test

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/leasestest"
)

func TestMemStoreContract(t *testing.T) {
	leasestest.Run(t, func(t *testing.T) leases.Store { return leases.NewMemStore() })
}
