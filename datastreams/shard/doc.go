// Package shard is shardcast's storage core: one shard is an append-only,
// sequence-numbered log of records. Data-stream records and video fragments
// are both stored here; the package knows nothing of either.
//
// # Basics
//
// A Log accepts batches of entries (opaque meta + data) and gives each a
// sequence number, one more than the last, and a server time in unix
// nanoseconds that never goes backwards. Append returns only once the batch is
// durable. Read returns committed records from a sequence number on;
// SeekTime finds the first record at or after a time; Notify returns a channel
// that is closed on the next commit, for readers that tail the log.
//
// A Store holds logs by LogID (stream id, shard id); cmd chooses one. Every
// store passes the same contract, package shardtest. MemStore keeps logs in
// memory (MemLog), for tests and ephemeral servers; the file store
// (package streamdir) keeps each as a FileLog, the durable one:
//
//   - The log is a directory of segment files named %020d.seg after their first
//     sequence number. Each starts with a 64-byte header (magic, format
//     version 2, first sequence, creation time, CRC32C) followed by
//     records: length | seq | time | meta length | meta | data | CRC32C.
//     Meta and data are stored as given: sealing is SealedLog's, above.
//   - One writer goroutine owns the active segment. Appends queue to it; it
//     takes everything queued, writes it with one write, fsyncs once (group
//     commit), publishes the new committed end and answers every caller.
//   - Readers read committed bytes with ReadAt and never take the writer's
//     locks; a sparse in-memory index (one entry per 16 KiB) finds offsets by
//     sequence or time. A sealed segment's index is stored through the
//     SegmentIndex interface (the bbolt catalog in a server): a cache that is
//     rebuilt by scanning the segment when missing or stale.
//   - Retention (TrimBefore) drops whole segments whose records are all older
//     than a time, never single records.
//   - Opening recovers from a crash: the tail of the newest segment is
//     scanned and cut after its last whole record (only there can a crash
//     tear a write), and writing resumes in a fresh segment, so a sequence
//     number is never sealed twice under one segment key.
//   - Damage is skipped, never cut: a bad record anywhere else (a failing
//     disk) is passed over by resynchronising on the next record whose
//     length, sequence number and checksum are valid, whether it is found
//     when a segment is scanned or later by a reader. Damaged stretches are
//     logged, kept with the segment's stored index and listed by Damaged;
//     CheckLog finds them without changing anything.
//   - A position file keeps a sequence high-water mark, moved ahead before
//     numbers past it are handed out, so numbering never goes backwards even
//     when records at the tail were lost.
//   - SkipTo moves numbering forward (a Kinesis producer's
//     SequenceNumberForOrdering may name a number past the shard's end): the
//     mark moves past it and a new segment starts there, so the numbers
//     skipped lie between segments, as after a crash, and readers pass
//     over them.
//
// # Sealing
//
// SealedLog wraps any Log and seals records at rest with a stream's data key,
// so every store gets the same encryption. Each record it writes is tagged in
// the first byte of the inner meta: 0 is plaintext (the meta follows, the data
// is passed through uncopied); 1 is sealed (u32 key version and a 12-byte
// nonce follow, and the inner data is AES-256-GCM of u32 meta length | meta |
// data, keyed by the data key itself, with the log's id as additional data).
// Nonces are a random 8-byte prefix per SealedLog, drawn again every 2^32
// records, and a counter, so they are unique without knowing the sequence
// number the store will give. The additional data binds a record to its log:
// copied into another log, it does not open. Reordering records within a
// log, or dropping some, is not detected by the sealing: the inner log's
// sequence numbers and checksums guard the order. A record that does not
// open is passed over by readers, as damage is, and listed by Damaged; a key
// version that cannot be resolved fails the read (ErrNoKey).
//
// # Caveats
//
// A full disk fails an append with ErrDiskFull (naming the segment file)
// after cutting the segment back to its committed end; the log stays
// usable and appends succeed once space returns. A failed fsync, in
// contrast, fails the log until it is reopened.
//
// Records are never rewritten, so a change of data key (SealedLog.SetKey)
// applies to records appended after it. Segments of format version 1 (which
// sealed inside the segment) are refused with ErrFormat: there is no
// migration. Sequence numbers
// start at 1 and never go backwards, even when retention empties the log:
// the newest segment file is kept (possibly empty) to remember the position.
package shard
