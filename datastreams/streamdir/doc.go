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
// Store and Catalog are the file backends of the registry's seams
// (shard.Store and registry.Catalog). Store keeps each shard log in
// Root/<stream id>/<shard id>/ as a shard.FileLog, with the bbolt catalog as
// the node-local cache of segment indexes; Remove renames a log aside (the
// commit point), then removes its files and its cached indexes, so it works
// on a full disk, and NewStore finishes a removal a crash interrupted.
// Catalog keeps one JSON definition per stream in Root/<kind>/<name>.json,
// replaced atomically, as the truth, and the bbolt catalog as a mirror
// reconciled with it at NewCatalog; secrets live in Root/secrets/.
//
// # Caveats
//
// A Dir with an empty Root keeps nothing on disk: logs live in memory and
// the catalog is not used.
package streamdir
