// Package kpl is the KPL record aggregation format: magic F3 89 9A C2, a
// protobuf AggregatedRecord (partition-key and explicit-hash-key tables,
// records pointing into them), and an MD5 trailer over the protobuf bytes.
// The producer writes it; the consumer and tests read it.
package kpl
