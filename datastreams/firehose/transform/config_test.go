package transform

import (
	"strings"
	"testing"
)

func TestNewRefuses(t *testing.T) {
	endpoints := map[string]string{"arn:aws:lambda:us-east-1:123456789012:function:f": "http://127.0.0.1:1/"}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"unknown type", Config{Processing: procs(proc("Nope"))}, `unknown processor type "Nope"`},
		{"twice", Config{Processing: procs(proc(TypeAppendDelimiterToRecord), proc(TypeAppendDelimiterToRecord))}, "given twice"},
		{"no sub record type", Config{Processing: procs(proc(TypeRecordDeAggregation))}, "needs SubRecordType"},
		{"bad sub record type", Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "XML"))}, `"XML" is not JSON or DELIMITED`},
		{"bad delimiter", Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "DELIMITED", "Delimiter", "@@"))}, "base64"},
		{"empty delimiter", Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "DELIMITED"))}, "base64"},
		{"unknown parameter", Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "JSON", "Foo", "1"))}, "does not take parameter Foo"},
		{"decompression format", Config{Processing: procs(proc(TypeDecompression, "CompressionFormat", "ZIP"))}, "not GZIP"},
		{"cloudwatch without decompression", Config{Processing: procs(proc(TypeCloudWatchLogProcessing, "DataMessageExtraction", "true"))}, "needs a Decompression"},
		{"lambda without arn", Config{Processing: procs(proc(TypeLambda))}, "needs LambdaArn"},
		{"lambda unmapped", Config{Processing: procs(proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:g"))}, "no endpoint is configured"},
		{"lambda retries", Config{LambdaEndpoints: endpoints, Processing: procs(proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f", "NumberOfRetries", "301"))}, "NumberOfRetries"},
		{"lambda buffer", Config{LambdaEndpoints: endpoints, Processing: procs(proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f", "BufferSizeInMBs", "4"))}, "BufferSizeInMBs"},
		{"lambda interval", Config{LambdaEndpoints: endpoints, Processing: procs(proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f", "BufferIntervalInSeconds", "30"))}, "BufferIntervalInSeconds"},
		{"bad endpoint", Config{LambdaEndpoints: map[string]string{"arn:aws:lambda:us-east-1:1:function:h": "ftp://x"}, Processing: procs(proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:1:function:h"))}, "not an http(s) URL"},
		{"jq without dynamic partitioning", Config{Processing: procs(proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{a:.a}", "JsonParsingEngine", "JQ-1.6"))}, "needs dynamic partitioning"},
		{"jq engine", Config{DynamicPartitioning: true, Processing: procs(proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{a:.a}", "JsonParsingEngine", "JQ-1.5"))}, "not JQ-1.6"},
		{"jq syntax", Config{DynamicPartitioning: true, Processing: procs(proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{a:.a", "JsonParsingEngine", "JQ-1.6"))}, "does not parse"},
		{"jq undefined function", Config{DynamicPartitioning: true, Processing: procs(proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{a:nosuch(.a)}", "JsonParsingEngine", "JQ-1.6"))}, "does not compile"},
		{"jq empty", Config{DynamicPartitioning: true, Processing: procs(proc(TypeMetadataExtraction, "JsonParsingEngine", "JQ-1.6"))}, "needs MetadataExtractionQuery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	endpoints := map[string]string{"arn:aws:lambda:us-east-1:123456789012:function:f": "http://127.0.0.1:1/"}
	p := mustNew(t, Config{
		DynamicPartitioning: true,
		LambdaEndpoints:     endpoints,
		Processing: procs(
			proc(TypeAppendDelimiterToRecord),
			proc(TypeLambda, "LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", "NumberOfRetries", "0", "BufferSizeInMBs", "0.2", "BufferIntervalInSeconds", "60", "RoleArn", "arn:aws:iam::1:role/r"),
			proc(TypeMetadataExtraction, "MetadataExtractionQuery", "{customer_id:.customer_id}", "JsonParsingEngine", "JQ-1.6"),
			proc(TypeRecordDeAggregation, "SubRecordType", "DELIMITED", "Delimiter", "IyMjIw=="),
			proc(TypeDecompression, "CompressionFormat", "GZIP"),
			proc(TypeCloudWatchLogProcessing, "DataMessageExtraction", "true"),
		),
	})
	if len(p.stages) != 6 {
		t.Errorf("%d stages, want 6", len(p.stages))
	}
	if !p.Has(TypeMetadataExtraction) || !p.Has(TypeLambda) {
		t.Error("Has misses a processor")
	}
	// Disabled processing runs nothing, even with processors listed.
	p = mustNew(t, Config{Processing: ProcessingConfiguration{Processors: []Processor{proc(TypeAppendDelimiterToRecord)}}})
	if !p.Empty() || p.Has(TypeAppendDelimiterToRecord) {
		t.Error("a disabled ProcessingConfiguration runs processors")
	}
}
