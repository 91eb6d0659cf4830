// Package kinesis serves the Kinesis Data Streams API
// (Kinesis_20131202.*, awsJson1.1) over the datastreams engine.
//
// # Basics
//
// Handler dispatches on X-Amz-Target. Each operation decodes its request
// into wire structs shaped like the AWS model, checks the model constraints
// in the order AWS checks them (ValidationException), calls the engine and
// encodes the result. Engine errors go through one table, errorTable, to
// their AWS names and statuses.
//
// # Caveats
//
// Operations shardcast does not implement yet answer
// UnsupportedOperationException (listed in the README's compatibility table);
// a target that is not a Kinesis operation answers UnknownOperationException.
package kinesis
