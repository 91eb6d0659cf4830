// Package dest holds the Firehose destinations that are not object
// stores: an HTTP endpoint (HTTPEndpoint), an OpenSearch or Elasticsearch
// cluster (OpenSearch), a Splunk HTTP Event Collector (Splunk) and a
// PostgreSQL database in Redshift's role. Each implements
// delivery.Destination and takes a plain config struct in its constructor.
//
// # Basics
//
// The engine buffers, times retries and writes the error output; a
// destination makes one attempt per Deliver call, bounded by its own
// per-attempt timeout, and classifies the outcome as a *delivery.Error:
// the Firehose error code that goes into the error record, whether a retry
// can help (Permanent), and, when only some records failed, which
// (Failed). Each also has RecordFields, the extra fields of a failed
// record's error-output JSON (esDocumentId/esIndexName/esTypeName, EventId,
// dataId/subsequenceNumber), and a *BulkError names each document's own
// status, the errorCode of its error record.
//
// HTTPEndpoint speaks the Firehose HTTP endpoint delivery protocol: a JSON
// body of base64 records under the batch's request id, the same on every
// attempt, optionally gzipped. Only a 200 whose JSON body echoes the
// request id with a numeric timestamp is a success; a 413 is permanent;
// everything else is retried. Redirects are never followed.
//
// OpenSearch sends one _bulk request per batch, each record an index
// action into the rotated index (RotatedIndex) with a document id derived
// from the record's stable id, so a retry overwrites rather than
// duplicates. Per-document failures come back as a *BulkError that names
// each document's status.
//
// Splunk posts the concatenated records to the raw or event collector
// endpoint on a request channel of its own, then asks for the indexer
// acknowledgement of the ackId until it is true or the acknowledgement
// timeout passes.
//
// # Caveats
//
// AWS accepts only https URLs for these destinations; shardcast accepts
// http too, for receivers on the same host or network.
//
// A batch too big for one HTTP endpoint request (10,000 records, 64 MiB)
// goes in parts, each under "<request id>-<first record's id>"; when only
// some parts fail, the retry of the failed records may fit one request and
// go under the plain request id, so a receiver that deduplicates by
// request id can see those records twice (delivery is at least once).
//
// An error is Permanent only when every failed part or document is: when
// a refused document (400) fails beside a throttled one (429), both are
// retried, and the refused one reaches the error output when the retry
// duration runs out.
package dest
