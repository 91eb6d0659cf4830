// Package agent ships log files into a Kinesis data stream or a Firehose
// delivery stream, as the Amazon Kinesis Agent does, through the producer
// package. cmd/shardcast runs it as `shardcast agent --config agent.yaml`.
//
// # Basics
//
// A Config holds flows; its yaml names are the Kinesis Agent's agent.json
// keys (filePattern, kinesisStream or deliveryStream, partitionKeyOption,
// initialPosition, multiLineStartPattern, skipHeaderLines,
// truncatedRecordTerminator, maxBufferAgeMillis, maxBufferSizeRecords,
// maxBufferSizeBytes, fileFooterPattern, dataProcessingOptions; top level
// checkpointFile, kinesis.endpoint, firehose.endpoint, awsAccessKeyId,
// awsSecretAccessKey, log.statusReportingPeriodSeconds).
//
// Each flow follows the files its glob names, oldest first by modification
// time. A file is known by device, inode and a hash of its first bytes (up
// to 1 KiB), so a rename keeps its place and a reused inode does not. A
// rotation by rename is followed: the old file is read to its end, and once
// a newer file exists and the old one has been unchanged for RotationGrace
// its last line, even without "\n", is sent and the next file begins. A
// file that gets shorter, or whose first bytes change (copytruncate), is
// read again from its start. A record is a line with its "\n", or with
// multiLineStartPattern a line matching it and the lines up to the next
// match; a last line without "\n" waits for the rest (as the Kinesis Agent
// does) unless the file was rotated away. A record over the service's limit
// (1 MiB with the partition key, 1000 KiB for Firehose) is cut, its last
// bytes the truncatedRecordTerminator.
//
// dataProcessingOptions convert as the Kinesis Agent does, in order:
// SINGLELINE (parseOptions NO_TRIM, ESCAPE_NEW_LINE), CSVTOJSON
// (customFieldNames, delimiter: a regular expression as Java's split takes
// it), LOGTOJSON (logFormat COMMONAPACHELOG, COMBINEDAPACHELOG,
// APACHEERRORLOG, SYSLOG, RFC3339SYSLOG; matchPattern with
// customFieldNames; a line that does not match is dropped), ADDMETADATA
// (metadata, timestamp) and ADDBRACKETS; jsonFormat COMPACT or PRETTYPRINT.
// JSON is written as the Kinesis Agent's printer writes it (keys in order,
// "-" as null in the Apache formats, a "\n" after each object).
//
// Records go out one batch at a time per flow (maxBufferSizeRecords,
// maxBufferSizeBytes, or maxBufferAgeMillis after its first record) with
// the producer's PutTagged and Flush; Put blocks while the producer's
// buffers are full, and reading stops with it (backpressure). The checkpoint
// file (JSON, replaced atomically with fsync) holds per flow and file the
// offset up to which every record is delivered; it only moves when the
// whole batch before it is delivered; a lock on checkpointFile+".lock"
// keeps a second agent off it. A status line (records parsed, sent,
// dropped, failed, bytes, bytes behind) is logged every
// log.statusReportingPeriodSeconds.
//
// # Guarantees
//
// Data streams: exactly once, in file order per shard, across kill -9 and
// restart. Before a batch is sent, the checkpoint records its intent: the
// file range, each record's end offset and a hash of its partition key and
// data. On a start that finds an intent, the agent reads every shard of the
// stream after the highest sequence number it had seen stored for that
// shard (or, for a shard it has none for, from the intent's time less
// ClockSkew), de-aggregates, marks the intent's records it finds, and sends
// only the others. The RANDOM partition key is a number in [0, 1000000)
// like the Kinesis Agent's, drawn from the record's flow, file and offset,
// so it names the record; DETERMINISTIC is the MD5 of the data, as the
// Kinesis Agent makes it.
//
// A stream that does not exist yet, or a service that does not answer, is
// waited for (retried with backoff, logged).
//
// The producer runs Ordered and without blind retries: per shard one
// Kinesis record is out at a time; a call whose answer is lost (a dropped
// connection, a timeout, a 5xx) is not sent again but reported
// (producer.ErrUnknownOutcome), and the shard's later records of the batch
// are held back unsent (producer.ErrHeldBack). Records reported as not
// delivered are looked for in the stream the same way as at recovery, and
// only those not found are sent again, in file order, so a lost answer
// neither stores a record twice nor puts one out of order.
//
// Firehose: at least once. A delivery stream cannot be read back, so a
// batch delivered just before a kill -9 is sent again.
//
// # Caveats
//
// With DETERMINISTIC keys, two identical lines are told apart only by
// count: a line equal to one of the batch's, stored by another writer
// during the recovery window, can be taken for the agent's and not sent
// again. Records of one partition key keep file order across a reshard
// (the producer sends a child shard nothing while a parent has a record
// out); a Kinesis Agent style RANDOM key spreads a file over all shards, so
// file order holds per shard, not across them. Only the newest of several files a pattern names
// is followed once it is superseded: appends to an older file after
// RotationGrace are not shipped. Data copied away by copytruncate before the
// agent read it, or a file deleted before it was read, is lost; a file
// truncated and written again past the agent's position with the same first
// 1 KiB is taken for the same file.
//
// matchPattern, multiLineStartPattern and CSV delimiters are Go regular
// expressions (RE2: no look-around or back-references). YAML decoding does
// not keep the key order of ADDMETADATA's metadata map: its keys are
// written sorted. CSVTOJSON keeps the spaces around a value ("v1, v2"
// gives " v2"), as the Kinesis Agent's code does although its documented
// example shows them trimmed. ADDEC2METADATA and USINGPLUGGIN are refused. Settings of
// the Kinesis Agent with no meaning here (CloudWatch, threads, STS roles)
// are accepted and ignored.
package agent
