package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/parquet-go/parquet-go"
)

// parquetConversion converts OpenX JSON to Parquet with the table
// analytics.events.
func parquetConversion() *types.DataFormatConversionConfiguration {
	return &types.DataFormatConversionConfiguration{
		Enabled:                  aws.Bool(true),
		InputFormatConfiguration: &types.InputFormatConfiguration{Deserializer: &types.Deserializer{OpenXJsonSerDe: &types.OpenXJsonSerDe{}}},
		OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{
			ParquetSerDe: &types.ParquetSerDe{Compression: types.ParquetCompressionSnappy}}},
		SchemaConfiguration: &types.SchemaConfiguration{DatabaseName: aws.String("analytics"), TableName: aws.String("events"),
			RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"), Region: aws.String("us-east-1")},
	}
}

// DataFormatConversion to Parquet through the server: the object reads
// back with parquet-go and DuckDB with the declared columns, and a
// malformed record lands in the format-conversion-failed error output.
func TestFirehoseParquetConversion(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Firehose.Tables = map[string]FirehoseTable{"analytics.events": {Columns: []FirehoseColumn{
		{Name: "id", Type: "bigint"}, {Name: "name", Type: "string"}, {Name: "ts", Type: "timestamp"}, {Name: "tags", Type: "array<string>"},
	}}}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	dst := s3Dest("lake", 64, 0, types.CompressionFormatUncompressed)
	dst.Prefix = aws.String("events/")
	dst.ErrorOutputPrefix = aws.String("failed/!{firehose:error-output-type}/")
	dst.DataFormatConversionConfiguration = parquetConversion()
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("events"),
		ExtendedS3DestinationConfiguration: dst}); err != nil {
		t.Fatal(err)
	}
	malformed := `{"id": "seven", "name": "bad"}`
	putBatch(t, c, "events", [][]byte{
		[]byte(`{"id":1,"name":"alpha","ts":"2026-07-13T14:05:09.123Z","tags":["a","b"]}`),
		[]byte(`{"ID":2,"Name":"beta","ts":"2026-07-13 14:05:10","tags":[]}`),
		[]byte(malformed),
		[]byte(`{"id":3,"name":null}`),
	})

	// The batch may be delivered in more than one object (its records can
	// be read from the log in more than one go): rows are gathered from all.
	dir := filepath.Join(cfg.DataDir, "s3", "lake")
	var pqs, errLines []string
	rows := 0
	waitFor(t, time.Minute, "3 Parquet rows and 1 error record under "+dir, func() bool {
		pqs, errLines, rows = nil, nil, 0
		for _, n := range objects(t, dir) {
			switch {
			case strings.HasPrefix(n, "events/"):
				pqs = append(pqs, n)
				rows += int(parquetFile(t, filepath.Join(dir, n)).NumRows())
			case strings.HasPrefix(n, "failed/format-conversion-failed/"):
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				errLines = append(errLines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
			default:
				t.Fatalf("object %s, want them under events/ and failed/format-conversion-failed/", n)
			}
		}
		return rows >= 3 && len(errLines) >= 1
	})
	if rows != 3 || len(errLines) != 1 {
		t.Fatalf("%d Parquet rows in %v and error records %q, want 3 and 1", rows, pqs, errLines)
	}
	var ids, rowNames []any
	var drows []map[string]any
	for _, pq := range pqs {
		// A prefix without expressions gets the default hour appended, as AWS does.
		if !objectKey("events", ".parquet").MatchString(strings.TrimPrefix(pq, "events/")) {
			t.Fatalf("Parquet object key %s", pq)
		}
		// parquet-go: the declared columns, in order, and the values.
		f := parquetFile(t, filepath.Join(dir, pq))
		var cols []string
		for _, fl := range f.Schema().Fields() {
			cols = append(cols, fl.Name())
		}
		if strings.Join(cols, ",") != "id,name,ts,tags" {
			t.Fatalf("parquet-go: columns %v", cols)
		}
		for _, rg := range f.RowGroups() {
			rs := rg.Rows()
			buf := make([]parquet.Row, 8)
			for {
				n, err := rs.ReadRows(buf)
				for _, row := range buf[:n] {
					m := map[string]any{}
					if err := f.Schema().Reconstruct(&m, row); err != nil {
						t.Fatal(err)
					}
					ids, rowNames = append(ids, m["id"]), append(rowNames, m["name"])
				}
				if err != nil {
					break
				}
			}
			rs.Close()
		}
		// DuckDB: types and values as it renders them.
		colTypes, dr := duckdbRead(t, filepath.Join(dir, pq))
		if want := "id BIGINT,name VARCHAR,ts TIMESTAMP,tags VARCHAR[]"; colTypes != want {
			t.Fatalf("DuckDB columns %s, want %s", colTypes, want)
		}
		drows = append(drows, dr...)
	}
	if !reflect.DeepEqual(ids, []any{int64(1), int64(2), int64(3)}) || !reflect.DeepEqual(rowNames, []any{"alpha", "beta", nil}) {
		t.Fatalf("parquet-go rows: ids %#v names %#v", ids, rowNames)
	}
	want := []map[string]any{
		{"id": "1", "name": "alpha", "ts": "2026-07-13 14:05:09.123", "tags": "[a, b]"},
		{"id": "2", "name": "beta", "ts": "2026-07-13 14:05:10", "tags": "[]"},
		{"id": "3", "name": nil, "ts": nil, "tags": nil},
	}
	if !reflect.DeepEqual(drows, want) {
		t.Fatalf("DuckDB rows:\n got %v\nwant %v", drows, want)
	}

	// The malformed record, as AWS's error record JSON.
	var er struct {
		AttemptsMade     int
		ArrivalTimestamp int64
		ErrorCode        string
		ErrorMessage     string
		RawData          string
	}
	if err := json.Unmarshal([]byte(errLines[0]), &er); err != nil {
		t.Fatalf("error record %q: %v", errLines[0], err)
	}
	raw, _ := base64.StdEncoding.DecodeString(er.RawData)
	if string(raw) != malformed || !strings.HasPrefix(er.ErrorCode, "DataFormatConversion.") || er.ArrivalTimestamp == 0 {
		t.Fatalf("error record %s", errLines[0])
	}
	t.Logf("error record: %s", errLines[0])
	// One record that does not convert leaves the stream healthy: the rest
	// was delivered, so Describe reports no failure.
	waitFor(t, time.Minute, "no FailureDescription", func() bool {
		d, err := c.DescribeDeliveryStream(context.Background(), &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("events")})
		if err != nil {
			t.Fatal(err)
		}
		if fd := d.DeliveryStreamDescription.FailureDescription; fd != nil {
			t.Logf("failure description: %s %s", fd.Type, aws.ToString(fd.Details))
			return false
		}
		return true
	})
}

// parquetFile opens a Parquet file with parquet-go.
func parquetFile(t *testing.T, path string) *parquet.File {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// duckdbRead reads a Parquet file with DuckDB (under node, installed by
// make deps beside the format package's tests) and returns its columns as
// "name TYPE,..." and its rows as DuckDB renders values in text.
func duckdbRead(t *testing.T, path string) (string, []map[string]any) {
	t.Helper()
	dir, err := filepath.Abs("../../datastreams/firehose/format/testdata/duckdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("DuckDB is needed: run make deps (npm ci in %s): %v", dir, err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "read.mjs"), path)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v: %s", err, stderr.String())
	}
	var res struct {
		Columns []struct{ Name, Type string }
		Rows    []map[string]any
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("duckdb output %q: %v", out, err)
	}
	var cols []string
	for _, c := range res.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	return strings.Join(cols, ","), res.Rows
}
