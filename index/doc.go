// Package index is shardcast's catalog on bbolt: stream definitions, with
// their shards, tags, retention and wrapped data keys.
//
// # Basics
//
// Streams are stored one value per stream, JSON-encoded, in a bucket per
// stream kind ("data", "video"), keyed by name so that listing walks names in
// order. A Stream carries a Version that its owner bumps on every change.
//
// The catalog is a projection of what the stream directories hold: every
// stream also has a manifest next to its segments, and owners reconcile the
// catalog from the manifests at start (Sync), so deleting the bbolt file
// loses nothing.
//
// # Caveats
//
// Each Update costs two fsyncs, so writes are kept to control-plane changes. bbolt
// locks its file, so one process opens a catalog at a time (Open waits up to
// its timeout, then fails).
package index
