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
// # Caveats
//
// Only layout version 2 is understood; older AWS layouts fail to parse.
package seqnum
