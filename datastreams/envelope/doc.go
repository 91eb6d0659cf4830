// Package envelope is shardcast's KMS-style envelope encryption.
//
// # Basics
//
// A Keyring holds master keys. Each master key has an id (a UUID), any
// number of aliases ("alias/aws/kinesis" names the default key) and one or
// more versions of key material; the newest version wraps, every version
// unwraps. Data keys are random 256-bit AES keys made by GenerateDataKey:
// the caller keeps the wrapped blob (in the catalog and stream manifests) and
// uses the plaintext only in memory. Rotate adds a new version to a master key;
// Rewrap moves a wrapped data key onto the newest version without touching the
// data it protects.
//
// The default keyring is a JSON file (created 0600 on first use) written
// atomically: temporary file, fsync, rename, fsync of the directory. A master
// key can instead be supplied as raw material (NewStatic), in which case the
// keyring lives in memory only and cannot rotate.
//
// Records are sealed with a Cipher: AES-256-GCM keyed by the data key, with
// a 12-byte nonce stored beside each record. Nonces come from a Nonces: a
// random 8-byte prefix per writer (re-drawn every 2^32 records) and a 4-byte
// counter, so they are unique without knowing where the record will land
// (package shard's SealedLog seals above any store, before the store numbers
// the record). Many writers share one data key (every shard of a stream);
// a repeated nonce needs two of them to draw the same 64-bit prefix.
//
// # Caveats
//
// The keyring file holds master keys in plaintext, like a local KMS; protect
// the data directory (or pass the key by environment) accordingly. Wrapped
// blobs name their master key id and version, so a keyring that loses a
// version can no longer open the data keys wrapped by it.
package envelope
