package transform

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"testing"
)

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCloudWatchLogs(t *testing.T) {
	p := mustNew(t, Config{Processing: procs(
		proc(TypeCloudWatchLogProcessing, "DataMessageExtraction", "true"),
		proc(TypeDecompression, "CompressionFormat", "GZIP"),
		proc(TypeAppendDelimiterToRecord),
	)})
	data := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s",` +
		`"subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"first line"},{"id":"2","timestamp":2,"message":"{\"level\":\"info\"}"}]}`
	control := `{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`
	in := recs(gz(t, data), gz(t, control), "not gzip", gz(t, "not json"))
	out, failed := run(t, p, in)
	want := []string{"first line\n", "{\"level\":\"info\"}\n"}
	if got := datas(out); !reflect.DeepEqual(got, want) {
		t.Errorf("out = %q, want %q", got, want)
	}
	if len(failed) != 2 {
		t.Fatalf("failed = %+v", failed)
	}
	if f := failed[0]; f.OutputType != OutputDecompressionFailed || f.Code != CodeDecompression || string(f.Record.Data) != "not gzip" {
		t.Errorf("decompression failure = %+v", f)
	}
	if f := failed[1]; f.OutputType != OutputProcessingFailed || f.Code != CodeLogFormat || string(f.Record.Data) != string(in[3].Data) {
		t.Errorf("log format failure = %+v", f)
	}
}

func TestDecompressionOnly(t *testing.T) {
	p := mustNew(t, Config{Processing: procs(proc(TypeDecompression, "CompressionFormat", "GZIP"))})
	out, failed := run(t, p, recs(gz(t, "hello"), gz(t, "")))
	if got := datas(out); !reflect.DeepEqual(got, []string{"hello", ""}) || len(failed) != 0 {
		t.Errorf("out = %q, failed %+v", got, failed)
	}
}
