// Package producer is the KPL role for Go: Put user records, and the
// producer batches them per predicted shard, aggregates them in the KPL
// format, sends PutRecords with retries, and reports every record it could
// not deliver. It talks to Kinesis (shardcast or AWS) through the AWS SDK
// for Go, or to a Firehose delivery stream with PutRecordBatch.
package producer
