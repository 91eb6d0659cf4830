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
// The loop's reshards are not user changes: the stream does not go
// UPDATING for them (AWS documents no status change for its own on-demand
// scaling, and one would make users' changes fail with ResourceInUse at
// random), so they are ordered against user changes differently. A
// decision is made on a sample and carried out later; it commits only if,
// in the very definition update that persists the reshard, the stream is
// still ACTIVE and ON_DEMAND. So a user's UpdateStreamMode, encryption
// change or DeleteStream (DELETING) that got in first wins, and the
// decision is dropped (logged at debug level, not an error); one that
// comes after sees the reshard done. A decision for a shard that closed
// meanwhile meets the shard's "already merged or split" check under the
// stream's reshard lock and is dropped the same way; so is one for a
// stream deleted meanwhile. A tick skips a stream that is not ACTIVE but
// keeps its policy: the meters go on counting, and the next tick averages
// over the pause. Because no UPDATING separates them, a reshard publishes
// its new shard view while no definition update or delete can run, and
// gives the children the key version of the definition as it is then: an
// encryption change either precedes the publication and is applied to
// the children there, or follows it and finds them in the view; a delete
// either precedes it (the children's logs are closed, and were removed
// with the stream's) or follows it and closes them with the rest. Close
// stops the loop before anything else and waits for it: a reshard in
// progress is cancelled and either completes or changes nothing.
//
// # Resharding
//
// SplitShard, MergeShards and UpdateShardCount close parent shards and open
// children (the next shard indexes; a split's children hold [start, key-1]
// and [key, end], a merge's child has the first shard as parent and the
// second as adjacent parent). UpdateShardCount reaches evenRanges(target)
// by splitting every open shard at each target boundary inside it, then
// merging neighbours that share a target range. The on-demand autoscaler
// uses the same primitives, which check neither status nor mode, under a
// guard (splitShardIf, mergeShardsIf; see Capacity modes).
//
// A record must land in a parent below its EndSeq, or in a child, never
// after a parent's end. Each stream has a write gate (a read-write lock):
// PutRecords holds it shared from routing until its appends are durable. A
// reshard opens the children's logs first, then holds the gate alone: every
// admitted append to the parents has finished, none starts. It fixes each
// parent's EndSeq at its log's Bounds().Next, persists the definition
// (parents Closed with EndSeq, children added) with Stream.Update, publishes
// the new shard view and releases the gate; writers that waited route by
// the children. Writers pause only for one definition write. The
// definition is persisted before the reshard answers, so it survives a
// restart on every store. Children are created in a later second than
// their parents, so their sequence numbers sort after the parents'. A
// reader that reads a parent until GetRecords answers no NextShardIterator
// (with ChildShards), and a child only after all its parents, sees each
// partition key's records in order.
//
// A closed shard stays readable until its records pass retention; the
// retention pass then drops it from the definition and removes its log.
// Logs that a crash left outside the definition (children of a reshard that
// was not persisted, an expired shard not yet removed) are removed at Open.
//
// # Stream states
//
// Streams are CREATING, ACTIVE, UPDATING or DELETING as in AWS. Every
// stream-wide change (reshards, encryption, and the stream-mode change)
// goes through whileUpdating: ACTIVE is required (else ResourceInUse "not
// ACTIVE, instead in state X"), the stream is UPDATING while the change
// runs and for Config.UpdateDelay after, so changes never overlap.
// Config.CreateDelay keeps a new stream CREATING (reads and writes answer
// ResourceNotFound, as AWS does) and Config.DeleteDelay keeps a deleted one
// DELETING (reads and writes go on). The delayed transitions run in
// goroutines that Close stops; a stream that a stop left CREATING or
// UPDATING is ACTIVE at the next Open, one left DELETING is deleted.
//
// # Caveats
//
// The delays default to zero: CreateStream answers with the stream ACTIVE
// and DeleteStream with it gone, and a reshard is done (durably) when it
// answers, where AWS answers first and works in the background. GetRecords with an iterator of a
// closed shard that retention dropped meanwhile fails. Throughput limits
// per shard are off unless Config.EnforceLimits is set; children start with
// full allowances.//
// # Enhanced fan-out
//
// Consumers (consumers.go) live in their stream's definition
// (index.Stream.Consumers), so they persist wherever definitions do.
// RegisterConsumer adds one CREATING and DeregisterConsumer marks it
// DELETING; a loop owned by the engine (stopped by Close, started by Open,
// so transitions a restart interrupted complete after it) makes it ACTIVE,
// or removes it, once Config.ConsumerDelay has passed. AWS's limits apply:
// 20 consumers a stream, 5 CREATING at once. A stream with consumers is
// deleted only with EnforceConsumerDeletion.
//
// SubscribeToShard (subscribe.go) makes a Subscription of an ACTIVE
// consumer to a shard; its owner (the request) calls Next for events. Each
// subscription reads the shard log on its own, from its own position, in
// batches of at most MaxEventRecords and MaxEventBytes: there is no shared
// fan-out buffer, so a subscriber that stops reading holds its own position
// and one batch, and never slows writers or other subscribers. Between
// batches it waits on the log's Notify channel (records are pushed as they
// commit), on the timer of the idle heartbeat and the lifetime
// (Config.SubscriptionLifetime, 5 minutes), and on the engine's reshard
// signal, so that a subscriber at the end of a shard that a reshard closed
// gets the last event (no ContinuationSequenceNumber, ChildShards) at once.
// One subscription per consumer and shard is active: a second one within
// Config.SubscriptionTakeover (5s) of the first is refused with
// ResourceInUse; a later one takes over and the first ends with
// ResourceInUse, as AWS documents.

package datastreams
