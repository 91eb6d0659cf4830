// Package kinesis serves the Kinesis Data Streams API
// (Kinesis_20131202.*, awsJson1.1) over the datastreams engine.
//
// # Basics
//
// Handler dispatches on X-Amz-Target. Each operation decodes its request
// into wire structs shaped like the AWS model, checks the model constraints
// in the order AWS checks them (ValidationException), calls the engine and
// encodes the result. Engine errors go through one table, errorTable, to
// their AWS names and statuses. Requests come in JSON
// (application/x-amz-json-1.1) or CBOR (application/x-amz-cbor-1.1, the Java
// SDKs' default): awsapi.CodecOf picks the format from the Content-Type, and
// decode, the generic answer encoder and the errors follow it, so every
// operation speaks both without code of its own. The hot paths (PutRecords
// decoding, the PutRecords and GetRecords answers) are hand-written in both
// formats (fastdecode.go, fastcbor.go). The wire details follow AWS: a
// request whose Content-Type is neither is answered before
// authentication as AWS answers it (404 <UnknownOperationException/> when
// missing or unknown), an empty body is a SerializationException,
// operations without a result answer an empty body, and every answer
// carries x-amz-id-2 beside x-amzn-RequestId.
//
// SubscribeToShard (subscribe.go) answers an event stream
// (application/vnd.amazon.eventstream, framed by the AWS SDK for Go's
// encoder): initial-response first, then SubscribeToShardEvent events as
// the engine's Subscription yields them, flushed one by one; errors before
// the stream are ordinary errors, later ones exception events. Event
// payloads are JSON or CBOR as the request (eventBodiesFor).
//
// # Caveats
//
// Operations shardcast does not implement yet answer
// UnsupportedOperationException (listed in the README's compatibility table);
// a target that is not a Kinesis operation answers UnknownOperationException.
// An operation that answers rawJSON to a CBOR request (or rawCBOR to a JSON
// one) is a bug and answers InternalFailure; TestCBOREveryOperation in
// cmd/shardcast catches it.
package kinesis
