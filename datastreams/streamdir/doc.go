// Package streamdir is the file backend of the registry's two seams: Store
// (a shard.Store) and Catalog (a registry.Catalog), chosen by cmd for
// --storage file, and Check, the read-only fsck of both.
//
// # Basics
//
// Store keeps each shard log in Root/<stream id>/<shard id>/ as a
// shard.FileLog, with the bbolt catalog as the node-local cache of segment
// indexes (keyed by the LogID). Remove renames a log aside (the commit
// point), then removes its files and its cached indexes, so it works on a
// full disk, and NewStore finishes a removal a crash interrupted. A log is
// open at most once at a time.
//
// Catalog keeps one JSON definition per stream in Root/<kind>/<name>.json,
// replaced atomically (temporary file, fsync, rename, fsync of the
// directory), as the truth: a create that did not finish leaves nothing and
// a delete is committed by one unlink. The bbolt catalog mirrors the
// definitions, written after them and reconciled with them by NewCatalog.
// Secrets live in Root/secrets/<name>.key (0600).
//
// Prune drops segment-index entries of logs no stream holds any more.
//
// # Caveats
//
// A definition names its stream's logs only by the stream id; logs whose id
// no definition holds (a crash between a definition's removal and its logs')
// are removed by the registry at its next start.
package streamdir
