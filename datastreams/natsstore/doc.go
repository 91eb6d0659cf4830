// Package natsstore keeps shard logs, stream definitions and keys in NATS
// JetStream, for servers that run on an existing NATS system
// (--storage nats). Conn serves a shard.Store and a registry.Catalog; the
// sealing decorator (shard.Seal) wraps its logs like any other, so records
// are encrypted before they reach NATS.
//
// # Mapping
//
// Every shard log is a JetStream stream of its own, named
// <prefix>_log_<stream id>_<shard id> and listening on the subject
// <prefix>.log.<stream id>.<shard id> and, for the messages of large
// records, that subject with .big appended (ids escaped: letters, digits
// and '-' stay, any other byte becomes =XX; a stream made before large
// records existed gets the second subject at Open). The stream has file storage, the
// configured replicas, limits retention with no limits and the discard-new
// policy, so the server never drops an acknowledged record on its own: only
// our trims remove records. Direct gets are enabled (reads), deletes of
// single messages are not.
//
// A record is one message in the log stream. Its body is the entry framed
// as uvarint(len(meta)) | meta | data; headers carry our sequence number
// (Shardcast-Seq) and our server time (Shardcast-Time, unix nanoseconds,
// max(now, last) so it never decreases along the log; one time per batch).
// A large record's body is elsewhere (see Large records).
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
// Damaged lists the large records that could not be read back (see Large
// records); otherwise JetStream checksums its storage and repairs or
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
// LeaseStore keeps the DynamoDB lease tables (package datastreams/leases)
// in the same bucket: ddbt.<table> is a table's definition after its
// 8-byte incarnation, ddbi.<table>.<incarnation>.<key> an item (the
// encoded primary key in hex, or its SHA-256 when long; the key itself
// travels in the value). Writes are Create, Update and Delete on the
// revision read, so servers sharing the bucket compare-and-set through
// JetStream; a table created again after a delete gets a new incarnation
// and never sees the old items. Every item operation reads the table
// entry first (one more round trip), and List reads the table's items
// with one watch and sorts them in memory: sized for lease tables.
//
// # Large records
//
// A NATS message must fit the server's max_payload (1 MiB by default, 64
// MiB at most, 8 MiB at most recommended), while a log holds entries up to
// shard.MaxStoredSize (64 MiB and the sealing overhead): Kinesis records
// of up to 1 MiB of data (10 MiB when raised) with their partition key,
// video fragments of up to 50 MB. Connect sets the chunk size to
// min(max_payload/2, 1 MiB) (512 KiB on a default server; it refuses a
// server whose max_payload is under 4 KiB). A record whose framed body is
// larger is stored in pieces, still as one message in the log stream, so
// numbering stays "JetStream sequence plus offset":
//
//   - its body's chunks go first to the log's companion stream,
//     <prefix>_big_<stream id>_<shard id> on <prefix>.big.<stream id>.<shard id>
//     (created at the log's first large record, with the log stream's
//     storage, replicas, limits and discard policy), published
//     asynchronously (up to 64 in flight) and all acknowledged;
//   - then the record's message goes to the log stream on the .big subject,
//     in the round's order with the small records (group commit is
//     unchanged; a round holding large records stores all their chunks
//     before any of its messages), with an empty body and a Shardcast-Big
//     header: the first chunk's sequence in the companion, the number of
//     chunks, the chunk size, the lengths of meta and data and the SHA-256
//     of the framed body. The chunks of one record must be stored one after
//     the other, or the append fails.
//
// Read chooses the records it returns by the sizes in their headers
// (maxBytes counts a large record's meta and data), then fetches the
// chunks of those alone with direct gets on the companion, 16 at once, and
// checks every chunk's length and the body's checksum. A chunk missing or
// not matching makes the record damaged: Damaged reports it (File is the
// companion stream, Offset..End its chunks' sequences, FromSeq = ToSeq the
// record) and reads pass over it, as the file store passes over damaged
// segments; a record whose chunks went because a trim removed the record
// meanwhile is passed over without a report. Damage is kept in memory
// (1024 records at most) and forgotten when a trim removes the record.
//
// Chunk sequences grow with record sequences, so TrimBefore, after
// purging the log stream below the first record it keeps, finds the first
// kept large record with one direct get (next message on the .big
// subject) and purges the companion below its first chunk, or purges it
// whole when no kept record has chunks. An append that fails after some of
// its chunks were stored (a crash of shardcast or of the server between
// the chunks' acknowledgements and the record's, a failed round) leaves
// chunks no record names: they cost disk space only, and the first trim
// that removes a record stored after them purges them. Remove deletes both
// streams; Logs lists log streams only.
//
// On a server on localhost (embedded, 2 shared cores), 4 MiB records
// append at about 300 MB/s one per Append and read back at about 310 MB/s
// one per Read, with chunks of 512 KiB or 1 MiB.
//
// Everything used works on nats-server 2.9 (Debian's) and later.
package natsstore
