// Package kinesis serves the Kinesis Data Streams API
// (Kinesis_20131202.*, awsJson1.1) over the datastreams engine.
//
// # Basics
//
// Handler dispatches on X-Amz-Target. Each operation decodes its request
// into wire structs shaped like the AWS model, checks the model constraints
// in the order AWS checks them (ValidationException), calls the engine and
// encodes the result. Engine errors go through one table, errorTable, to
// their AWS names and statuses. The wire details follow AWS: a request whose
// Content-Type is not application/x-amz-json-1.1 is answered before
// authentication as AWS answers it (404 <UnknownOperationException/> when
// missing or unknown), an empty body is a SerializationException,
// operations without a result answer an empty body, and every answer
// carries x-amz-id-2 beside x-amzn-RequestId.
//
// # Caveats
//
// Operations shardcast does not implement yet answer
// UnsupportedOperationException (listed in the README's compatibility table);
// a target that is not a Kinesis operation answers UnknownOperationException.
// CBOR (the Java SDK's default) is refused with a SerializationException
// that says how to turn it off.
package kinesis
