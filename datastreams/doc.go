// Package datastreams is shardcast's Kinesis Data Streams engine: streams of
// shards on the shard core, with the semantics AWS clients rely on.
//
// # Basics
//
// A stream has shards that split the 128-bit hash-key space evenly at
// creation. A record goes to the open shard whose range holds MD5 of its
// partition key (or its explicit hash key). Each shard is a shard.Log; a
// record's Kinesis sequence number (package seqnum) carries the log's
// sequence number in its counter field, so numbers map back to positions
// exactly. PutRecords groups a request's records by shard and appends each
// group as one batch, in parallel, answering once every batch is durable.
// A PutRecord's SequenceNumberForOrdering (any layout AWS accepts) that
// names a counter at or past its shard's end moves the shard's log past it
// (shard.Log.SkipTo), so the answer is always the greater number for the
// same partition key.
//
// Shard iterators and list tokens are stateless: a position and an issue time
// signed with HMAC-SHA256 under a per-installation key, valid for five
// minutes. Retention is enforced twice: reads skip records older than the
// retention period, and a background loop drops whole expired segments.
//
// Encryption follows the KMS envelope model: StartStreamEncryption makes a
// data key under the named master key (package envelope), stores it wrapped
// in the stream's definition, and makes every shard seal new records with it.
// Records written before keep their old key (or none), as in AWS.
//
// Stream definitions live in a manifest (stream.json) inside the stream's
// directory, written atomically before the catalog (package index) is
// updated; on start the catalog is reconciled from the manifests, so losing
// the catalog loses nothing.
//
// # Capacity modes
//
// A stream is PROVISIONED or ON_DEMAND; UpdateStreamMode switches it (at
// most twice in 24 hours, the times kept in its definition) and keeps its
// shards. The shards of ON_DEMAND streams meter what writers offer them
// (package autoscale); a loop owned by the engine asks autoscale's policy
// at every tick which hot shard to split, or which adjacent cold pair to
// merge, and carries the decision out through the engine's resharder.
//
// # Caveats
//
// Control-plane changes take effect at once: a stream is ACTIVE as soon as
// CreateStream returns and gone when DeleteStream returns. Resharding and
// consumers (enhanced fan-out) are not implemented yet (so ON_DEMAND
// streams keep their shards);
// shards are never closed, so ChildShards never appear. Throughput limits per
// shard are off unless Config.EnforceLimits is set.
package datastreams
