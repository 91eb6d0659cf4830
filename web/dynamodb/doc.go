// Package dynamodb serves the part of Amazon DynamoDB's JSON 1.0 API that
// lease tables use (the Kinesis Client Library's, and this module's
// consumer's): POST / with X-Amz-Target DynamoDB_20120810.<Op>.
//
// # Basics
//
// New takes the engine (*leases.Engine is one), the server's one
// credential and policy check (*awsapi.Auth) and a logger. Every request
// goes through the check first, as dynamodb:<Op> on the ARN of the table
// its TableName names (ListTables and the account-wide operations on
// "*"); then its body is decoded into the engine's input types, whose
// members carry DynamoDB's wire names, and the engine's answer is written
// back as DynamoDB writes it: Content-Type application/x-amz-json-1.0,
// x-amz-crc32 set to the CRC32 of the body, errors as
// {"__type": "<namespace>#<Name>", "message": ...} (with Item on a
// ConditionalCheckFailedException when the request asked for
// ReturnValuesOnConditionCheckFailure ALL_OLD).
//
// Served: CreateTable, DescribeTable, UpdateTable, DeleteTable,
// ListTables, GetItem, PutItem, UpdateItem, DeleteItem, Scan, Query,
// UpdateContinuousBackups and DescribeContinuousBackups (the
// point-in-time-recovery flag), DescribeTimeToLive (always DISABLED),
// DescribeLimits and DescribeEndpoints. Every other operation of the API
// (Unsupported lists them) answers UnsupportedOperationException naming
// it; a target that is no DynamoDB operation answers
// UnknownOperationException.
//
// # Caveats
//
// The point-in-time-recovery flag is kept by the handler in memory: it
// is what UpdateContinuousBackups last set for the table since the server
// started, and shardcast keeps no backups whatever it says. Consumed
// capacity is never reported. A store that cannot take a write (a full
// disk, a lost JetStream connection) answers 503 ServiceUnavailable,
// which every AWS SDK retries.
package dynamodb
