// Package fsutil holds the two durable-write helpers every on-disk format
// of shardcast relies on.
//
// # Basics
//
// WriteFileAtomic replaces a small file (keyring, manifest, index sidecar) so
// that a crash leaves either the old or the new content, never a mix: write a
// temporary file, fsync it, rename it over the target, fsync the directory.
// SyncDir makes a created, renamed or removed directory entry durable.
//
// # Caveats
//
// The rename trick only holds within one file system; the temporary file is
// created next to the target for that reason.
package fsutil
