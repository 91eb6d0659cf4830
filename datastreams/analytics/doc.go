// Package analytics is the application manager of Kinesis Data Analytics
// for SQL: the KinesisAnalytics_20150814 operations over applications
// kept in the catalog, and one runner goroutine per running application
// that reads its input stream, runs its SQL and writes its outputs with
// exactly-once results across restarts.
//
// # Basics
//
// An application is a definition of kind "analytics" on the registry (its
// configuration, version id, status and last checkpoint in the
// definition's Extra) with a log of its own for large checkpoints. Every
// configuration change (Update, Add*, Delete*) is made at the caller's
// CurrentApplicationVersionId, compiles the code against the new
// configuration (a parse or planning error is a CodeValidationException
// with its line and column) and takes the next version; a running
// application restarts on it from its checkpoint, showing UPDATING
// meanwhile. StartApplication shows STARTING until the runner has loaded
// the reference data and compiled the code, StopApplication STOPPING
// until it has checkpointed.
//
// The SQL runs in package sqlengine, written for this dialect in Go: the
// parser is ours as no Go library parses SELECT STREAM, WINDOWED BY or
// STEP, and ROWTIME, watermarks, windows that emit once and snapshots are
// streaming semantics an embedded relational engine (DuckDB was weighed)
// would not give; it would also cost the static, cgo-free build.
//
// Time: a row's ROWTIME is its source record's arrival time at shardcast
// in milliseconds. The readers of the input's shards (parents before
// children, following reshards) decode records by the InputSchema in
// parallel; the runner merges them in (arrival, shard, sequence) order
// and makes ROWTIME non-decreasing, so reading the same records again
// gives the same rows. It advances the engine's watermark to the earliest
// arrival a record still to come can have: from the records read, and
// from the clock when a shard is idle (its last read, less ArrivalSlack),
// so a window closes within tens of milliseconds of its end without new
// data. InputParallelism N spreads shards over <prefix>_001.._00N by
// shard number. Each input stream has the mapped columns and
// APPROXIMATE_ARRIVAL_TIME. A record that does not match the schema
// becomes an error_stream row (ERROR_NAME Schema_Mismatch, DATA_ROW the
// record in hex).
//
// Exactly once: every row has an id derived from where it came from (the
// source record's position; for results, the pump and the window or the
// input rows), and an output record's partition key is that id in hex.
// Every CheckpointInterval, after every row emitted so far is written,
// the runner stores its snapshot, the last sequence number consumed per
// shard and the watermark in one catalog write (a snapshot over
// InlineSnapshot bytes goes to the application's log first, and the
// catalog names it: NATS key-value entries hold 1 MB at most). A runner
// that resumes from a checkpoint reads each data-stream output back from
// the checkpoint's time and drops recomputed rows whose ids it finds.
//
// An input from a Firehose delivery stream (KinesisFirehoseInput) reads
// the records put into it from the delivery stream's own log, through
// DeliveryLogs: the log is one shard (shardId-000000000000) whose
// sequence numbers are the log's positions, so decoding, merge,
// watermark, checkpoints and row ids are those of a data-stream input,
// and ROWTIME is the time the delivery stream stored the record. NOW
// starts at the first record stored at or after StartApplication,
// LAST_STOPPED_POINT at the checkpoint (the log's oldest record when
// there is none); TRIM_HORIZON is an InvalidArgumentException, as on AWS.
// The delivery stream keeps what the application has not checkpointed,
// though its destinations delivered it: the runner stores a hold on the
// log, in the delivery stream's catalog entry, at its start position and
// after each checkpoint, so a restart of shardcast finds every record it
// resumes at. Deleting the application releases the hold; otherwise the
// delivery stream's 24-hour limit ends it. DiscoverInputSchema samples a
// delivery stream the same way, holding in memory while it reads.
//
// InputProcessingConfiguration sends records, before decoding, to the
// HTTP endpoint that Firehose's configuration maps the function's ARN to
// (the same map as Firehose's Lambda processors), with the service's
// event and reply: Ok records are decoded from the returned data,
// Dropped ones give no row, ProcessingFailed ones an error_stream row; a
// failed call is retried.
//
// A LambdaOutput calls the HTTP endpoint that the same map gives the
// function's ARN with the service's output event (recordId the row id in
// hex, lambdaDeliveryRecordMetadata.retryHint, data), up to 500 records a
// call; records answered DeliveryFailed, left out of the reply, or in a
// failed call are sent again with backoff and the next retryHint.
//
// Reference data is read from Firehose's object store (the local
// <data-dir>/s3 buckets or the configured S3-compatible server) when the
// runner starts: at StartApplication, at every configuration change
// (UpdateApplication re-reads it, as on AWS) and at restarts. An object
// that cannot be read gives an empty table, a log line and an
// error_stream row; the application keeps running.
//
// # Caveats
//
// One streaming input per application and at most one reference source
// and three outputs, as AWS allows. Inputs from delivery streams are
// served though AWS stopped them for new applications in 2023. An
// UpdateApplication that moves the input off a delivery stream leaves
// the old stream's hold to its 24-hour limit.
// Delivery-stream and Lambda outputs are at least once: their records
// cannot be read back (a function can drop repeats by record id). A
// record whose append was committed more than ArrivalSlack before a
// reader saw it gets the current ROWTIME rather than its arrival time (as the service's
// processing-time ROWTIME would). LAST_STOPPED_POINT resumes the
// positions and not the windows (the service rebuilds no state either);
// a restart of shardcast resumes both. The CreateTimestamp of
// DeleteApplication is compared to the second (the AWS CLI sends whole
// seconds).
package analytics
