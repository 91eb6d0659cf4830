// Package delivery holds what the parts of a Firehose delivery stream hand
// each other: records, batches, the Destination interface every target
// implements, the ObjectStore that S3-shaped destinations write to, and the
// Error a failed attempt reports.
//
// # Basics
//
// The engine (package firehose) reads a delivery stream's shard log, runs
// the records through the processors (package transform), buffers them per
// destination and partition, and hands each full buffer to a Destination as
// one Batch. A Destination either delivers the whole batch or returns an
// error; an *Error says whether retrying can help, which records failed
// when only some did, and the code that goes into the error output.
//
// # Caveats
//
// Delivery is at least once: a batch that a destination took but did not
// acknowledge (a timeout, a crash) is delivered again, under the same
// RequestID, so a destination that can deduplicate (HTTP endpoints,
// OpenSearch document ids) may.
package delivery
