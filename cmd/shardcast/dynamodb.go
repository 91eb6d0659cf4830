package main

// The DynamoDB API's lease tables: the engine over the store of the
// configured storage.

import (
	"github.com/shardcast/shardcast/datastreams/leases"
)

// leaseStore returns where lease tables live: the catalog file on file
// storage, the JetStream key-value store on nats, memory otherwise.
func (s *server) leaseStore() leases.Store {
	switch s.cfg.Storage {
	case "file":
		return s.catalog.LeaseStore()
	case "nats":
		return s.nats.LeaseStore()
	}
	return leases.NewMemStore()
}

// openLeases builds the engine of the DynamoDB API.
func (s *server) openLeases() {
	s.leases = leases.New(s.leaseStore(), leases.Config{Region: s.cfg.Region, Account: s.cfg.AccountID, Logger: s.log})
}
