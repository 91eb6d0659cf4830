// Package producer is the KPL role for Go: Put user records, and the
// producer batches them per predicted shard, aggregates them in the KPL
// format, sends PutRecords with retries, and reports every record it could
// not deliver. It talks to Kinesis (shardcast or AWS) through the AWS SDK
// for Go, or to a Firehose delivery stream with PutRecordBatch.
//
// # Basics
//
// New reads the stream's shards with ListShards (paging with NextToken)
// and keeps the open ones' hash-key ranges. Put hashes the partition key
// (MD5, as Kinesis does), finds the shard that range holds, and adds the
// record to that shard's aggregate (package kpl). An aggregate is sealed
// when the next record would take it past AggregationMaxSize (51200 bytes
// by default, as the KPL), when its oldest record has waited Linger, or on
// Flush. It is sent with the partition key of its first record and an
// ExplicitHashKey equal to that record's hash, so Kinesis stores it on the
// shard all its records hash to; a lone record is sent as itself.
//
// Sealed records queue for a sender that packs them into PutRecords calls
// (at most 500 records and 5 MiB) and keeps up to MaxInFlight calls going.
// Each shard has token buckets for bytes and records a second (1 MiB and
// 1000, a provisioned shard's write limits, by default); a record waits
// until its shard has allowance. Entries that fail
// (ProvisionedThroughputExceededException, InternalFailure) and calls that
// fail with anything but a permanent error (a missing stream, a validation
// or access error) are tried again after an exponential backoff with
// jitter, up to MaxRetries times; then their user records go to OnFailure.
//
// When a record lands on a shard other than the predicted one, the shard
// map is read again (a reshard happened) and buffered records of closed
// shards are routed again. An aggregate that landed on another shard is
// delivered when all its user records hash into that shard, and otherwise
// put again record by record: the KCL drops an aggregate that holds a
// record outside its shard's range, so keeping it would lose them.
//
// Every user record is either delivered or reported, once. OnDelivered
// (with the shard, sequence number and sub-sequence number, and the tag
// given to PutTagged) and OnFailure are called from one goroutine, one at
// a time, in Put order: a record's report waits for the reports of all
// records put before it. Flush returns once every record put before it is
// reported. Put blocks while MaxBufferedBytes are held.
//
// With Ordered (Kinesis), a shard has at most one Kinesis record out at a
// time: in flight, waiting to be tried again, or landed on another shard
// and waiting for the new map. A call packs one record for each of many
// shards, so aggregation keeps the throughput up. A record given up on
// holds its shard back: the shard's later records are reported with
// ErrHeldBack, not sent, until a Flush returns that saw the failure
// reported; the caller puts them again in order. After a reshard a child
// shard sends only once its parents (and their parents that still have a
// record out) have none out, a hold on a parent holds the child, and records
// taken apart for a new map are added again in Put order with the
// unsent records of the shards they go to.
//
// With RetryUnknownOutcome false, a call that got no verdict (no answer,
// an answer that cannot be read, a 5xx) is not sent again: its records
// are reported with ErrUnknownOutcome, and the caller finds out whether
// they were stored (the agent reads the stream). The AWS SDK's retries of
// the call are turned off then; entry errors in an answer
// (ProvisionedThroughputExceededException, InternalFailure) and error
// answers below 500 are still tried again, as nothing was stored.
//
// With a *kinesis.Client, PutRecords goes in CBOR
// (application/x-amz-cbor-1.1, as the Java SDKs and so the KPL send it):
// the producer encodes the call into a pooled buffer of the exact size,
// signs it with SigV4 with the client's credentials and region, and sends
// it to the endpoint the client's resolver gives PutRecords, over the
// client's HTTP client. Errors keep the SDK's shapes (the typed errors of
// kinesis/types inside an *smithy.OperationError). Config.Protocol "json",
// or any other KinesisAPI, calls the client's PutRecords instead.
//
// With Firehose, records go one for one in PutRecordBatch calls (500
// records and 4 MiB at most), with the same retries and reports; the
// SequenceNumber of a Delivered record is Firehose's RecordId.
//
// # Caveats
//
// Delivery is at least once by default: a call whose answer is lost (a
// timeout, a dropped connection) is sent again although the service may
// have stored it (RetryUnknownOutcome false reports it instead). Without
// Ordered, retries and reshards reorder records, even of one partition
// key, as with the KPL. A record put again after its aggregate landed
// across a new shard boundary is in the stream twice; a KCL-style consumer
// (one that drops out-of-range aggregates) sees it once, and with Ordered
// sees the records of one partition key in Put order. Ordered keeps the
// order of what the producer sends; a record the caller puts again after
// a failure is a new record, behind the ones put before it that were
// delivered. Ordered sends a shard's records one call at a time, so one
// shard's throughput is bounded by the call latency (one aggregate of up
// to AggregationMaxSize a round trip).
//
// The CBOR path uses the client's settings, not its middleware: APIOptions,
// interceptors and the SDK's retries do not run for PutRecords (the
// producer retries; ListShards still goes through the SDK). Set Protocol
// "json" where that middleware matters.
//
// The per-shard limit meters what the producer sends, not what the shard
// took from other writers; concurrent calls may still be throttled now
// and then, and are retried. Close with a context that ends first cancels
// the calls in flight and reports every record not yet delivered.
package producer
