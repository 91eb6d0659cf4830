// Package leasestest is the contract every leases.Store passes: revision
// rules (create, compare-and-set, conflicts), key order and resumption of
// List, table isolation and deletion, copies of returned bytes, keys of
// every byte value and length, atomic compare-and-set under concurrent
// writers, and, through two Engines on one store, conditional lease
// renewals of which exactly one wins each counter value.
//
// # Basics
//
// A store's own package runs Run with a constructor that returns a fresh,
// empty store for each subtest:
//
//	func TestLeaseStoreContract(t *testing.T) {
//		leasestest.Run(t, func(t *testing.T) leases.Store { return open(t) })
//	}
//
// # Caveats
//
// The suite checks behaviour through the interface only; durability
// across a restart is the store's own test (reopen the file or bucket).
package leasestest
