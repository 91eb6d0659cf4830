// Package firehose is the Firehose delivery stream engine: a kind of
// stream on the registry whose records are buffered, processed and
// delivered in batches to object stores, databases, search and HTTP.
//
// # Basics
//
// A delivery stream is an index.Stream of kind "firehose": its Firehose
// definition (type, destinations, version id, checkpoints) lives in Extra.
// DirectPut records are appended to the stream's one shard log and are
// durable before PutRecord answers; a KinesisStreamAsSource stream copies
// the records of a data stream into that log, with a checkpoint per source
// shard. Each destination has a delivery loop: it reads the log from the
// destination's checkpoint, runs the processors, buffers per evaluated
// prefix (dynamic partitioning), flushes on SizeInMBs or IntervalInSeconds,
// delivers with retries and backoff, writes what it gives up on to the
// error output, and then moves the checkpoint (stored in the catalog with
// the definition, so it survives restarts on every store).
//
// Other readers of the log (analytics applications whose input is the
// delivery stream) read it with ReadLog and SeekLog; retention keeps what
// such a reader has not read, and from the position its HoldLog stored
// in the definition (across restarts), until ReleaseLog or 24 hours.
//
// The parts that vary come in through Config: a ProcessorFactory, a
// FormatterFactory, a PrefixerFactory, a DestinationFactory for non-S3
// destinations, the ObjectStore of the S3 path and SourceStreams. The
// defaults serve AppendDelimiterToRecord, UNCOMPRESSED and GZIP, and the
// yyyy/MM/dd/HH/ time path.
//
// # Caveats
//
// Delivery is at least once: a batch delivered but not yet checkpointed
// when the server stops is delivered again. Records older than 24 hours
// are trimmed even when undelivered, as AWS drops them.
// DeleteDeliveryStream deletes at once (AWS passes through DELETING).
package firehose
