// Package index is shardcast's catalog on bbolt: stream definitions, with
// their shards, tags, retention and wrapped data keys, and the time index of
// every shard log: for each sealed segment, its sparse (sequence, time,
// offset) index, which answers lookups by sequence number and by time
// without scanning the segment. LeaseStore keeps the DynamoDB lease
// tables of package datastreams/leases in two more buckets.
//
// # Basics
//
// Streams are stored one value per stream, JSON-encoded, in a bucket per
// stream kind ("data", "video"), keyed by name so that listing walks names in
// order. A Stream carries a Version that its owner bumps on every change.
//
// The catalog is a projection of what the stream directories hold: every
// stream also has a manifest next to its segments, and owners reconcile the
// catalog from the manifests at start (Sync); segment indexes missing from
// the time index are rebuilt by scanning the segments. Deleting the bbolt
// file loses nothing of the streams but the time it takes to rebuild; it
// does lose the lease tables (their only copy is here, as on DynamoDB).
//
// # Caveats
//
// Each Update costs two fsyncs, so writes are kept to control-plane changes,
// except lease-table writes, one Update each (a KCL worker renews each of
// its leases every few seconds: tens of writes a second for hundreds of
// shards). bbolt
// locks its file, so one process opens a catalog at a time (Open waits up to
// its timeout, then fails).
package index
