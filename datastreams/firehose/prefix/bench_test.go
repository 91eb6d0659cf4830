package prefix

import (
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

func BenchmarkPartitionOf(b *testing.B) {
	p, err := New(Config{
		Prefix:              "customer_id=!{partitionKeyFromQuery:customer_id}/dt=!{timestamp:yyyy-MM-dd}/!{firehose:random-string}/",
		ErrorOutputPrefix:   "errors/!{firehose:error-output-type}/",
		DynamicPartitioning: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	rec := delivery.Record{Arrival: time.Now(), PartitionKeys: map[string]string{"customer_id": "12345"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.PartitionOf(rec); err != nil {
			b.Fatal(err)
		}
	}
}
