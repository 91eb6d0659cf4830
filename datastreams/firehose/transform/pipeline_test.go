package transform

import (
	"reflect"
	"testing"
)

// All processors at once, listed out of order: they run in Firehose's
// order, and records keep theirs.
func TestPipelineOrder(t *testing.T) {
	f := &function{}
	srvCfg := Config{DynamicPartitioning: true}
	p := lambdaPipeline(t, f, srvCfg)
	lambda := p.stages[0]
	p = mustNew(t, Config{
		DynamicPartitioning: true,
		Processing: procs(
			proc(TypeAppendDelimiterToRecord),
			proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{kind:.kind}", "JsonParsingEngine", "JQ-1.6"),
			proc(TypeRecordDeAggregation, "SubRecordType", "JSON"),
		),
	})
	// Put the Lambda stage where New would: after de-aggregation.
	p.stages = append(p.stages[:1], append([]stage{lambda}, p.stages[1:]...)...)

	in := recs(`{"kind":"a"}{"kind":"b"}`, `{"kind":"fail"}`, `[1]`, `{"kind":"c"}`)
	out, failed := run(t, p, in)
	// The function upper-cases: {"KIND":"A"} has no .kind, so the query fails.
	if len(out) != 0 || len(failed) != 5 {
		t.Fatalf("out %q, failed %+v", datas(out), failed)
	}
	if failed[0].Code != CodeDeAggInvalidJSON || failed[1].Code != CodeLambdaProcessingFailed || failed[2].Code != CodeMetadataExtraction {
		t.Errorf("codes %s %s %s", failed[0].Code, failed[1].Code, failed[2].Code)
	}
	// The error output keeps the raw sub-record, not what the function made.
	if string(failed[2].Record.Data) != `{"kind":"a"}` || failed[2].Record.ID != "r0:0" {
		t.Errorf("failed[2] = %+v", failed[2])
	}
}

func TestPipelineDeAggregateQueryAppend(t *testing.T) {
	p := mustNew(t, Config{
		DynamicPartitioning: true,
		Processing: procs(
			proc(TypeAppendDelimiterToRecord),
			proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{customer_id:.customer_id}", "JsonParsingEngine", "JQ-1.6"),
			proc(TypeRecordDeAggregation, "SubRecordType", "JSON"),
		),
	})
	out, failed := run(t, p, recs(`{"customer_id":"1","v":1}{"customer_id":"2","v":2}`, `{"customer_id":"3"}`))
	if len(failed) != 0 {
		t.Fatalf("failed %+v", failed)
	}
	want := []string{"{\"customer_id\":\"1\",\"v\":1}\n", "{\"customer_id\":\"2\",\"v\":2}\n", "{\"customer_id\":\"3\"}\n"}
	if got := datas(out); !reflect.DeepEqual(got, want) {
		t.Errorf("out = %q", got)
	}
	for i, id := range []string{"1", "2", "3"} {
		if out[i].PartitionKeys["customer_id"] != id {
			t.Errorf("out[%d] keys %v", i, out[i].PartitionKeys)
		}
	}
}
