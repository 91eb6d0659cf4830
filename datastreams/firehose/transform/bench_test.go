package transform

import (
	"context"
	"fmt"
	"testing"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// BenchmarkDynamicPartitioning de-aggregates, extracts a key with jq and
// appends newlines: records/s of a dynamic partitioning pipeline.
func BenchmarkDynamicPartitioning(b *testing.B) {
	p, err := New(Config{
		DynamicPartitioning: true,
		Processing: procs(
			proc(TypeRecordDeAggregation, "SubRecordType", "JSON"),
			proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{customer_id:.customer_id}", "JsonParsingEngine", "JQ-1.6"),
			proc(TypeAppendDelimiterToRecord),
		),
	})
	if err != nil {
		b.Fatal(err)
	}
	in := make([]delivery.Record, 500)
	for i := range in {
		in[i] = delivery.Record{ID: fmt.Sprint(i), Data: fmt.Appendf(nil, `{"customer_id":"c%d","event":"click","value":%d}`, i%10, i)}
	}
	b.ReportAllocs()
	for b.Loop() {
		out, failed, err := p.Process(context.Background(), in)
		if err != nil || len(out) != 500 || len(failed) != 0 {
			b.Fatal(err, len(out), len(failed))
		}
	}
	b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "records/s")
}
