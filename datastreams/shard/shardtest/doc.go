// Package shardtest is the contract of package shard's Store, run against
// any backend: Run(t, open) checks that a store's logs append with group
// commit, read by sequence and by time, notify tailing readers, trim by
// time, recover after close, keep numbering (FirstSeq, SkipTo), carry
// SealedLog's encryption, list and remove logs, refuse work once closed,
// and stay consistent under concurrent writers and readers (run it with
// -race). RunCatalog does the same for a registry.Catalog.
//
// A backend passes an open function. Every call with the same *testing.T
// must return a new Store (or Catalog) over the same backing storage, as a
// restarted server would find it; each test gets fresh, empty storage.
// PerTest keeps one storage per test for such a function.
//
// The suite uses the real clock: it never assumes a store's time can be
// set, only that times never decrease along a log.
package shardtest
