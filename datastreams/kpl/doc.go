// Package kpl is the KPL record aggregation format: many user records packed
// into one Kinesis record, as the Kinesis Producer Library writes them and the
// Kinesis Client Library reads them. The producer writes it; the consumer and
// tests read it.
//
// # Basics
//
// An aggregated record is the four magic bytes F3 89 9A C2, then a protobuf
// (proto2) AggregatedRecord, then the 16-byte MD5 of the protobuf bytes:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//	message Tag { required string key = 1; optional string value = 2; }
//
// An Aggregator builds one aggregated record incrementally. Keys go into the
// tables once each (a user record refers to them by index), and the three
// fields are kept in separate buffers so that Bytes writes them in field
// order, as a protobuf library serializes the message: the output is
// byte-for-byte what the KPL itself produces for the same records. Size is
// exact at every step, and SizeWith tells what the size would be after one
// more record, so a caller can stop before a limit (the KPL's default
// aggregate is at most 51200 bytes; a Kinesis record is at most 1 MiB
// counting its partition key). AppendUndigested copies a record out
// without its MD5 trailer, and FillDigest writes the trailer later, so the
// Aggregator can be reset at once while the digest is computed elsewhere
// (the producer does it in its sender goroutines, off the Put path).
//
// Deaggregate reads one back. A record's sub-sequence number is its index in
// the result. Data in the result aliases the input (no copy).
//
// # Caveats
//
// Deaggregate treats data as a plain record, as the KCL does, when the magic
// is missing, the data is too short or the MD5 trailer does not match. When
// the trailer matches but the protobuf is malformed (a truncated field, a
// missing required field, an index past its table), the record also comes
// back as itself, and err says why so the caller can log it. Tags are
// skipped when reading and never written (the KPL does not write them
// either).
//
// The hash of a user record (MD5 of the partition key, or the explicit hash
// key) is not checked against any shard here: that is the consumer's part.
package kpl
