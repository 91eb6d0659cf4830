// Package natsstore keeps shard logs, stream definitions and keys in NATS
// JetStream, for servers that run on an existing NATS system
// (--storage nats). Conn serves a shard.Store and a registry.Catalog; the
// sealing decorator (shard.Seal) wraps its logs like any other, so records
// are encrypted before they reach NATS.
//
// # Mapping
//
// Every shard log is a JetStream stream of its own, named
// <prefix>_log_<stream id>_<shard id> and listening on the one subject
// <prefix>.log.<stream id>.<shard id> (ids escaped: letters, digits and '-'
// stay, any other byte becomes =XX). The stream has file storage, the
// configured replicas, limits retention with no limits and the discard-new
// policy, so the server never drops an acknowledged record on its own: only
// our trims remove records. Direct gets are enabled (reads), deletes of
// single messages are not.
//
// A record is one message. Its body is the entry framed as
// uvarint(len(meta)) | meta | data; headers carry our sequence number
// (Shardcast-Seq) and our server time (Shardcast-Time, unix nanoseconds,
// max(now, last) so it never decreases along the log; one time per batch).
//
// Sequence numbers: ours are JetStream's plus an offset. A log's numbering
// state, kept in the bucket under log.<stream id>.<shard id>, lists breaks:
// from JetStream sequence js on, our number is js+off. FirstSeq of a new
// log is a break at 1, written before the stream is created; SkipTo writes
// a break at the next JetStream sequence and returns only once the bucket
// acknowledged it. Offsets only grow, so numbers never repeat or go back.
// Open checks the state against the header of the last record and follows
// the record where they disagree; a trim that empties a log also writes
// the next number into the state (a floor), so even a server that lost its
// own numbering could not make ours go back.
//
// Appends are group-committed as in the file store: one writer per open
// log takes every Append queued while its previous round was in flight
// and publishes them all in one round (up to 4096 records or 8 MiB; a
// larger batch goes alone), asynchronously, on the connection with a reply
// subject of the round's own; it then waits for JetStream's
// acknowledgement of every message and answers each caller with its own
// first number (the records of a round share one time). Every message
// expects the JetStream sequence before it (Nats-Expected-Last-Sequence),
// so numbering stays a function of the JetStream sequence, a message
// published to the log's subject by anyone else makes ours fail rather
// than be misnumbered, and what a round stores is always a prefix of it.
// The acknowledgement names the stream, which is checked (no
// Nats-Expected-Stream header: the subject belongs to that stream alone).
// A failed round fails every caller whose records were not all stored, and
// the next round resynchronizes from the stream first. A caller whose
// context ends before its round goes out publishes nothing; one whose
// context ends while the round is in flight gets the context's error, and
// its records may still be stored. Close lets the round in flight finish
// (waiting at most 5 seconds for answers, after which its callers get
// shard.ErrClosed) and answers batches still queued with shard.ErrClosed.
// A round is not atomic (JetStream 2.9 has no atomic batch publish): a
// failed Append may leave a prefix of its batch stored, which readers see
// with its numbers like any record, as Kinesis may store a record whose
// PutRecords response was lost. The server acknowledges a message once it is written to
// its files (and to a quorum of replicas); it syncs them to disk every
// sync_interval (2 minutes by default), so a kill of shardcast or of
// nats-server loses nothing acknowledged, while a power loss on a single
// replica can: run 3 replicas, or sync_interval: always on servers that
// have it.
//
// Read maps its start to a JetStream sequence and fetches records with
// direct gets, up to 64 in flight, honouring max and maxBytes (at least one
// record). A start below the first retained record reads from the first
// one; records purged meanwhile are passed over. SeekTime binary-searches
// the time headers with direct gets (JetStream's own start time is the
// time the server stored the message, not ours, so it is not used);
// TrimBefore finds the first record at or after the cut the same way and
// purges below it (purge with sequence keeps that record): JetStream trims
// record by record, where the file store drops whole segments.
//
// Notify is closed by our own acknowledged appends and by an ordered,
// headers-only consumer on the stream, so a log opened by another process
// over the same NATS sees its appends, its bounds move and its tailing
// readers wake. When a record's header disagrees with the numbering a
// process holds (another process skipped), it reloads the state from the
// bucket. Bounds is what this process last saw.
//
// Damaged returns nothing: JetStream checksums its storage and repairs or
// reports it itself. The file store's node-local caches (the segment time
// index) have no counterpart.
//
// The bucket <prefix>_meta (file storage, history 1, the configured
// replicas) also holds the catalog: def.<kind>.<name> is the JSON of an
// index.Stream, created with a create-only write for version 1 and replaced
// with a compare-and-set on the revision read for later versions, so
// concurrent changes get registry.ErrConflict; secret.<name> holds secrets
// (create if absent, the first writer wins); keyring holds the master
// keyring (envelope.OpenStored over KeyringBlob, also compare-and-set).
// Deletes leave a purge marker in the bucket.
//
// Records, with their framing and headers (under 100 bytes), must fit the
// server's max_payload, 1 MiB by default: a Kinesis record of 1 MiB of data
// plus its partition key and the sealing overhead does not, nor do large
// video fragments. Connect warns when max_payload is below 2 MiB, and a
// record over it fails with shard.ErrTooLarge; both name the setting to
// raise in the server configuration (max_payload: 8MB).
//
// Everything used works on nats-server 2.9 (Debian's) and later.
package natsstore
