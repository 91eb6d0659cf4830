// Package consumer is the KCL role for Go: workers of one application
// share the shards of a Kinesis data stream through a lease table in
// DynamoDB (AWS's, or shardcast's DynamoDB API), and each worker runs one
// user Processor per shard it holds.
//
// # Basics
//
// New(Config) makes a Worker from a Kinesis client and a DynamoDB client
// (both satisfied by the AWS SDK for Go v2 clients), a stream, an
// application name (the lease table, created on first use with leaseKey as
// its hash key and on-demand billing) and a worker id. Run(ctx) then:
//
//   - creates a lease for every shard (ListShards, filtered by the initial
//     position while the table is empty), with parents and hash range;
//   - renews its leases every FailoverTime/3 by a conditional increment of
//     leaseCounter; a lease whose counter stays unchanged for longer than
//     FailoverTime on this worker's clock is expired and may be taken;
//   - takes unowned and expired leases up to its share, ceil(leases /
//     workers) over the workers that own live leases, and when nothing is
//     free steals at most MaxLeasesToStealAtOneTime from the most loaded
//     worker, so the leases end within one of even;
//   - processes a shard only once its parent shards' leases are gone or
//     checkpointed at SHARD_END, reading by GetRecords polling or, with
//     EnhancedFanOut, by SubscribeToShard through a stream consumer it
//     registers (or reuses) by name, subscribing again after each
//     subscription ends from its continuation sequence number;
//   - de-aggregates KPL aggregated records; each user record carries its
//     sequence number and sub-sequence number (its index in the aggregate);
//   - at a shard's end writes childShardIds on the lease, creates the child
//     leases, asks the processor to checkpoint SHARD_END and releases the
//     lease; a finished lease is deleted once all its children have
//     checkpointed progress and its own parents are gone.
//
// The processor checkpoints with Checkpointer.Checkpoint (everything
// handed to it so far) or CheckpointAt(sequence, sub-sequence). A shard
// resumed from a checkpoint is read AT_SEQUENCE_NUMBER and every user
// record at or before the checkpoint is dropped. When ctx ends, each
// processor gets Shutdown (it may checkpoint), then the worker releases
// its leases: it removes leaseOwner with a write conditioned on
// leaseCounter, so other workers take them at once. (The Java KCL only
// forgets its leases locally and lets them expire.)
//
// The lease items and the requests are the Java KCL 2.x ones (legacy
// Expected and AttributeUpdates; leaseKey, leaseOwner, leaseCounter,
// checkpoint, checkpointSubSequenceNumber, ownerSwitchesSinceCheckpoint,
// parentShardId, childShardIds, startingHashKey, endingHashKey), so a
// Java KCL 2.x worker and this package can share one table.
//
// # Caveats
//
// Delivery is at least once. Records after a shard's last checkpoint are
// delivered again when its lease moves (a crash, a steal, an expired
// lease) or when the processor fails; a processor must tolerate
// duplicates, for example by keying its output on (sequence number,
// sub-sequence number).
//
// A worker whose lease is stolen learns it at its next renewal, up to
// FailoverTime/3 later; until then both workers may process the shard.
// Checkpoints of the old owner fail with ErrLeaseLost.
//
// Expiry is seen by scans (every FailoverTime/2): the leases of a worker
// that died without releasing them move once FailoverTime has passed
// since the scan that first saw their last renewal, so within about
// FailoverTime plus two scans of the death. Leases released by a clean
// stop move at the next scan. Every scan reads the whole table
// (consistent reads), and every checkpoint is one conditional write.
//
// Leases held in a KCL 3.x graceful handoff (checkpointOwner set) are left
// alone, and a KCL 3.x leader's worker-metrics assignment is not taken
// part in: share tables with KCL 2.x workers or 3.x in 2.x-compatible
// mode. The KCL's priority for very old leases and its dropping of
// aggregated sub-records outside the shard's hash range are not done
// (the latter would lose records put with a stale shard map).
// Multi-stream leases are not supported.
package consumer
