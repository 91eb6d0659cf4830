// Package seqnum formats and parses Kinesis sequence numbers.
//
// # Basics
//
// A Kinesis sequence number is a 56-digit decimal whose hexadecimal form
// (47 digits) packs, from the most significant end: a marker nibble 2, the
// shard's creation time in seconds (9 hex digits), the shard index modulo 16,
// a 64-bit counter, a zero byte, the record's arrival time in seconds
// (9 hex digits), the full 32-bit shard index and a version nibble 2. Real AWS
// numbers decode cleanly with this layout. shardcast puts its shard-log
// sequence number in the counter, so a Kinesis sequence number maps back to
// the log position exactly, while ordering within a shard follows the counter.
//
// Format and Parse avoid math/big: the number is three 64-bit words, turned
// into decimal by division by 10^19, because PutRecords formats one number
// per record.
//
// Check reads what a client hands back (SequenceNumberForOrdering,
// StartingSequenceNumber) in any layout AWS accepts: the older layouts 0
// and 1 too, each with AWS's rules for what is malformed. CounterAbove
// says which counter a shard's numbers need to exceed a given number.
//
// # Caveats
//
// Parse and Format know only layout 2, the one shardcast hands out; Check
// uses math/big, which is fine for the one number a request carries.
package seqnum
