// Package firehose serves the Firehose API (JSON 1.1, X-Amz-Target
// Firehose_20150804.<Operation>) over the delivery stream engine.
//
// # Basics
//
// Handler decodes each request, checks the members the API model
// constrains (answering ValidationException in AWS's wording), calls the
// engine and encodes its answer; engine errors map to wire names through
// the package's error table.
//
// # Caveats
//
// JSON only: the Firehose SDKs do not speak CBOR. Operations of the
// current API that shardcast does not implement answer an unsupported
// error naming the operation.
package firehose
