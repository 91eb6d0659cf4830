// Package streamdir keeps the streams of one kind (data or video) on disk:
// a directory per stream holding its manifest and its shard logs, mirrored
// in the bbolt catalog. Both engines (datastreams and fragments) build on it,
// so that durability, encryption and recovery of stream definitions are
// written once.
//
// # Basics
//
// Create makes the stream's directory and writes its manifest (stream.json,
// atomically) before the catalog entry; Save rewrites both, manifest first;
// Delete renames the directory aside, drops the catalog entry and the
// stream's time index, then removes the files. Open finishes what a crash
// interrupted (half-deleted or half-created directories), loads every
// manifest and reconciles the catalog and the time index with them.
//
// OpenLog opens one of a stream's shard logs with the stream's data keys:
// versions are unwrapped by the keyring on first use and cached.
//
// # Caveats
//
// A Dir with an empty Root keeps nothing on disk: logs live in memory and
// the catalog is not used.
package streamdir
