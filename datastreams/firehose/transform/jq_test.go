package transform

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestMetadataExtraction(t *testing.T) {
	p := mustNew(t, Config{
		DynamicPartitioning: true,
		Processing: procs(proc(TypeMetadataExtraction,
			"MetadataExtractionQuery", `{customer_id:.customer_id, year:.ts|strftime("%Y"), big:.big, ok:.ok, f:.f}`,
			"JsonParsingEngine", "JQ-1.6")),
	})
	in := recs(
		`{"customer_id":"c1","ts":1700000000,"big":12345678901234567890,"ok":true,"f":1.5}`,
		`{"customer_id":42,"ts":0,"big":1,"ok":false,"f":2}`,
		`{"ts":0,"big":1,"ok":false,"f":2}`,
		`not json`,
		`{"customer_id":{"x":1},"ts":0,"big":1,"ok":true,"f":1}`,
		`{"a":1} {"b":2}`,
		`{"customer_id":12345678901234567890} {}`,
	)
	in[1].PartitionKeys = map[string]string{"fromLambda": "x"}
	out, failed := run(t, p, in)
	if len(out) != 2 {
		t.Fatalf("out = %+v, failed %+v", out, failed)
	}
	want0 := map[string]string{"customer_id": "c1", "year": "2023", "big": "12345678901234567890", "ok": "true", "f": "1.5"}
	for k, v := range want0 {
		if out[0].PartitionKeys[k] != v {
			t.Errorf("out[0] %s = %q, want %q", k, out[0].PartitionKeys[k], v)
		}
	}
	if out[1].PartitionKeys["customer_id"] != "42" || out[1].PartitionKeys["f"] != "2" || out[1].PartitionKeys["fromLambda"] != "x" {
		t.Errorf("out[1] keys = %v", out[1].PartitionKeys)
	}
	if len(failed) != 5 {
		t.Fatalf("failed = %+v", failed)
	}
	for i, want := range []string{"null", "not a JSON document", "an object", "after top-level value", "after top-level value"} {
		f := failed[i]
		if f.Code != CodeMetadataExtraction || f.OutputType != OutputProcessingFailed || !strings.Contains(f.Message, want) {
			t.Errorf("failed[%d] = %+v, want a message with %q", i, f, want)
		}
	}
}

func TestMetadataExtractionNotObject(t *testing.T) {
	for query, want := range map[string]string{".a": "a number, not an object", "empty": "returned nothing", "{}": "empty object", "error(\"x\")": "query failed"} {
		p := mustNew(t, Config{DynamicPartitioning: true, Processing: procs(proc(TypeMetadataExtraction, "MetadataExtractionQuery", query, "JsonParsingEngine", "JQ-1.6"))})
		_, failed := run(t, p, recs(`{"a":1}`))
		if len(failed) != 1 || !strings.Contains(failed[0].Message, want) {
			t.Errorf("%s: failed = %+v, want %q", query, failed, want)
		}
	}
}

// One Pipeline serves many delivery goroutines.
func TestPipelineConcurrentUse(t *testing.T) {
	p := mustNew(t, Config{DynamicPartitioning: true, Processing: procs(
		proc(TypeRecordDeAggregation, "SubRecordType", "JSON"),
		proc(TypeMetadataExtraction, "MetadataExtractionQuery", `{k:(.k|tostring)}`, "JsonParsingEngine", "JQ-1.6"),
	)})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				out, failed, err := p.Process(context.Background(), recs(fmt.Sprintf(`{"k":%d}{"k":"x"}`, g)))
				if err != nil || len(failed) != 0 || len(out) != 2 || out[0].PartitionKeys["k"] != fmt.Sprint(g) {
					t.Errorf("goroutine %d: %v %+v %+v", g, err, out, failed)
					return
				}
			}
		}()
	}
	wg.Wait()
}
