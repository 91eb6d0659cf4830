// Package transform runs the record processors of a Firehose delivery
// stream's ProcessingConfiguration: de-aggregation, decompression,
// CloudWatch Logs message extraction, a Lambda function served over HTTP,
// partition-key extraction with jq, and newline delimiting.
//
// # Basics
//
// New validates a Config (the ProcessingConfiguration as plain structs,
// the dynamic partitioning flag, the source, and the map from Lambda ARNs
// to HTTP URLs) and returns a Pipeline. Its errors are meant for an
// InvalidArgumentException. Process takes records read from the stream's
// log and returns the records to deliver, each with its PartitionKeys, and
// the records that failed, each with its error output type
// ("processing-failed" or "decompression-failed"), error code and message,
// and its raw bytes for the error record's rawData.
//
// Processors run in Firehose's order whatever order they are listed in:
//
//  1. KPL de-aggregation, for a Kinesis data stream source (always on):
//     aggregated records (magic F3 89 9A C2, protobuf, MD5 trailer) become
//     their user records; anything else passes through unchanged.
//  2. Decompression (CompressionFormat GZIP).
//  3. CloudWatchLogProcessing (DataMessageExtraction true): a subscription
//     payload becomes one record per log event message; control messages
//     are dropped.
//  4. RecordDeAggregation: SubRecordType JSON (consecutive objects or JSON
//     lines; anything else fails the record) or DELIMITED (Delimiter in
//     base64); at most 500 sub-records a record.
//  5. Lambda: the records are POSTed as the Firehose transformation event
//     to the URL mapped from LambdaArn, in invocations of at most
//     BufferSizeInMBs of data and 6 MB of request; the response must name
//     every recordId once, with result Ok, Dropped or ProcessingFailed, data
//     in base64 and, with dynamic partitioning, metadata.partitionKeys. A
//     failed invocation (an HTTP error, a timeout, a response that breaks
//     the contract) is tried again NumberOfRetries times (3 by default),
//     then its records fail with the last Lambda.* error code.
//  6. MetadataExtraction: the jq query (compiled once, by gojq) must yield
//     an object of strings, numbers or booleans; its members become
//     partition keys. A record that is not JSON, a null member (a missing
//     field) or a non-object result fails the record with
//     DynamicPartitioning.MetadataExtractionFailed.
//  7. AppendDelimiterToRecord: a "\n" after each record.
//
// Records split out of one record get ids "<id>:<n>" and keep its arrival
// time; the order of records is kept.
//
// # Caveats
//
// BufferIntervalInSeconds of a Lambda processor is validated but does not
// delay anything: the engine's buffering decides when Process runs, and
// the Lambda buffer size only bounds one invocation. Up to
// Config.LambdaConcurrency invocations (5) run at once; their records come
// back in input order. The endpoint is called with a plain POST of the event; it answers
// with the function's JSON result (HTTP 200) — no Lambda API or IAM is
// involved, so RoleArn is accepted and ignored.
//
// KPL sub-records are not checked against the shard's hash key range. The
// error codes for de-aggregation, decompression and CloudWatch Logs
// failures, Lambda.InvokeFailed and Lambda.ResponseTooLarge are ours; the
// rest follow the names Firehose logs. A failed record's raw bytes are the
// record as it was when it became a record of its own: as put, or as split
// out of an aggregate, before decompression or a Lambda changed it.
package transform
