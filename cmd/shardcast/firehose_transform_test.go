package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

const upperFnARN = "arn:aws:lambda:us-east-1:123456789012:function:upper"

// upperFunction is a Firehose transform function served over HTTP, as a
// Lambda function behind shardcast's firehose.lambdas would be: records
// whose "op" is "drop" are Dropped, "fail" ProcessingFailed, and the
// others come back upper-cased with a newline and the partition key "k"
// from their "k" field. It checks the event's shape and keeps what it
// finds wrong.
type upperFunction struct {
	stream   string // the delivery stream that calls it
	mu       sync.Mutex
	problems []string
	calls    int
}

func (f *upperFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		InvocationID      string `json:"invocationId"`
		DeliveryStreamARN string `json:"deliveryStreamArn"`
		Region            string `json:"region"`
		Records           []struct {
			RecordID string `json:"recordId"`
			Arrival  int64  `json:"approximateArrivalTimestamp"`
			Data     []byte `json:"data"`
		} `json:"records"`
	}
	err := json.NewDecoder(r.Body).Decode(&ev)
	f.mu.Lock()
	f.calls++
	if err != nil || ev.InvocationID == "" || !strings.HasSuffix(ev.DeliveryStreamARN, ":deliverystream/"+f.stream) || ev.Region != "us-east-1" || len(ev.Records) == 0 {
		f.problems = append(f.problems, fmt.Sprintf("event %+v: %v", ev, err))
	}
	f.mu.Unlock()
	type result struct {
		RecordID string `json:"recordId"`
		Result   string `json:"result"`
		Data     []byte `json:"data"`
		Metadata *struct {
			PartitionKeys map[string]string `json:"partitionKeys"`
		} `json:"metadata,omitempty"`
	}
	var out struct {
		Records []result `json:"records"`
	}
	seen := map[string]bool{}
	for _, rec := range ev.Records {
		if rec.RecordID == "" || seen[rec.RecordID] || rec.Arrival <= 0 {
			f.mu.Lock()
			f.problems = append(f.problems, fmt.Sprintf("record id %q arrival %d", rec.RecordID, rec.Arrival))
			f.mu.Unlock()
		}
		seen[rec.RecordID] = true
		var doc struct{ K, Op string }
		json.Unmarshal(rec.Data, &doc)
		res := result{RecordID: rec.RecordID, Result: "Ok", Data: rec.Data}
		switch doc.Op {
		case "drop":
			res.Result = "Dropped"
		case "fail":
			res.Result = "ProcessingFailed"
		default:
			res.Data = append(bytes.ToUpper(rec.Data), '\n')
			res.Metadata = &struct {
				PartitionKeys map[string]string `json:"partitionKeys"`
			}{map[string]string{"k": doc.K}}
		}
		out.Records = append(out.Records, res)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (f *upperFunction) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) > 0 {
		t.Fatalf("the function found %d problems, the first: %s", len(f.problems), f.problems[0])
	}
	if f.calls == 0 {
		t.Fatal("the function was never called")
	}
}

// fhObjectsByDir groups the objects under dir by their directory (the partition
// prefix), keeping the order they were written in.
func fhObjectsByDir(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, n := range objects(t, dir) {
		out[filepath.ToSlash(filepath.Dir(n))] = append(out[filepath.ToSlash(filepath.Dir(n))], n)
	}
	return out
}

// fhLines returns the newline-ended lines of the objects names under dir,
// failing on a last line without its newline.
func fhLines(t *testing.T, dir string, names []string) []string {
	t.Helper()
	all := string(readObjects(t, dir, names))
	if all != "" && !strings.HasSuffix(all, "\n") {
		t.Fatalf("objects %v do not end with a newline: %q", names, all)
	}
	return strings.Split(strings.TrimSuffix(all, "\n"), "\n")
}

// A Lambda ARN mapped in firehose.lambdas to a real HTTP transform
// function: ExtendedS3 with dynamic partitioning by the function's
// partition keys holds exactly the changed records of each partition, the
// dropped records nowhere, the failed ones under the error prefix as
// processing-failed with the function's ARN and their original data.
func TestFirehoseLambdaTransform(t *testing.T) {
	fn := &upperFunction{stream: "lam"}
	ts := httptest.NewServer(fn)
	defer ts.Close()
	cfg := testConfig(t)
	cfg.Firehose.Lambdas = map[string]string{upperFnARN: ts.URL + "/2015-03-31/functions/upper/invocations"}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	d := s3Dest("lam", 64, 0, types.CompressionFormatGzip)
	d.Prefix = aws.String("by=!{partitionKeyFromLambda:k}/")
	d.ErrorOutputPrefix = aws.String("errors/!{firehose:error-output-type}/")
	d.DynamicPartitioningConfiguration = &types.DynamicPartitioningConfiguration{Enabled: aws.Bool(true)}
	d.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{{
		Type:       types.ProcessorTypeLambda,
		Parameters: []types.ProcessorParameter{{ParameterName: types.ProcessorParameterNameLambdaArn, ParameterValue: aws.String(upperFnARN)}},
	}}}
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("lam"),
		ExtendedS3DestinationConfiguration: d}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // partition -> lines
	var failed, dropped []string
	var recs [][]byte
	total := 0
	for i := range 30 {
		k := []string{"a", "b", "c"}[i%3]
		op := "keep"
		switch i % 5 {
		case 1:
			op = "drop"
		case 3:
			op = "fail"
		}
		rec := fmt.Sprintf(`{"k":%q,"op":%q,"v":"rec-%02d"}`, k, op, i)
		recs = append(recs, []byte(rec))
		switch op {
		case "keep":
			want["by="+k] = append(want["by="+k], strings.ToUpper(rec))
			total += len(rec) + 1
		case "drop":
			dropped = append(dropped, fmt.Sprintf("rec-%02d", i))
		case "fail":
			failed = append(failed, rec)
		}
	}
	putBatch(t, c, "lam", recs[:15])
	putBatch(t, c, "lam", recs[15:])

	dir := filepath.Join(cfg.DataDir, "s3", "lam")
	waitFor(t, time.Minute, "the partitions and the error output", func() bool {
		n := 0
		for p, names := range fhObjectsByDir(t, dir) {
			if strings.HasPrefix(p, "by=") {
				n += len(readObjects(t, dir, names))
			}
		}
		return n >= total && len(fhErrorRecordsUnder(t, dir, "errors/processing-failed/")) >= len(failed)
	})
	fn.check(t)
	got := map[string][]string{}
	var errNames []string
	for p, names := range fhObjectsByDir(t, dir) {
		switch {
		case strings.HasPrefix(p, "by="):
			got[p] = fhLines(t, dir, names)
		case strings.HasPrefix(p+"/", "errors/processing-failed/"):
			errNames = append(errNames, names...)
		default:
			t.Fatalf("objects under %s: %v", p, names)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
	for p, w := range want {
		if !slices.Equal(got[p], w) {
			t.Fatalf("partition %s:\n got %q\nwant %q", p, got[p], w)
		}
	}
	var all []byte
	for _, names := range fhObjectsByDir(t, dir) {
		all = append(all, readObjects(t, dir, names)...)
	}
	for _, d := range dropped {
		if bytes.Contains(bytes.ToLower(all), []byte(d)) {
			t.Fatalf("dropped record %s delivered", d)
		}
	}
	var raws []string
	for _, e := range fhErrorRecords(t, dir, errNames) {
		raws = append(raws, fhRawData(t, e))
		if e["lambdaArn"] != upperFnARN || e["errorCode"] != "Lambda.ProcessingFailedStatus" || e["recordId"] == nil || e["arrivalTimestamp"] == nil {
			t.Fatalf("error record %v", e)
		}
	}
	slices.Sort(raws)
	slices.Sort(failed)
	if !slices.Equal(raws, failed) {
		t.Fatalf("processing-failed holds %q, want %q", raws, failed)
	}
}

// fhErrorRecordsUnder returns the error records of the objects whose names
// start with prefix.
func fhErrorRecordsUnder(t *testing.T, dir, prefix string) []map[string]any {
	t.Helper()
	var names []string
	for _, n := range objects(t, dir) {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	return fhErrorRecords(t, dir, names)
}

// startPythonFunction runs the Python transform function of the transform
// package's tests (plain Lambda handler code behind a small HTTP server)
// and returns its URL.
func startPythonFunction(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for this test (apt-get install python3)")
	}
	cmd := exec.Command(py, filepath.Join("..", "..", "datastreams", "firehose", "transform", "testdata", "transform_function.py"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the function did not start: %v", err)
	}
	return "http://127.0.0.1:" + strings.TrimSpace(port) + "/"
}

// The same through a transform function written in Python for AWS
// Lambda: its Ok records (with its "processed" field) are partitioned by
// the customer key it returns, the record it drops is nowhere, the one
// it fails is under processing-failed.
func TestFirehoseLambdaPythonFunction(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:py"
	cfg := testConfig(t)
	cfg.Firehose.Lambdas = map[string]string{arn: startPythonFunction(t)}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	d := s3Dest("py", 64, 0, types.CompressionFormatUncompressed)
	d.Prefix = aws.String("customer=!{partitionKeyFromLambda:customer}/")
	d.ErrorOutputPrefix = aws.String("errors/!{firehose:error-output-type}/")
	d.DynamicPartitioningConfiguration = &types.DynamicPartitioningConfiguration{Enabled: aws.Bool(true)}
	d.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{{
		Type:       types.ProcessorTypeLambda,
		Parameters: []types.ProcessorParameter{{ParameterName: types.ProcessorParameterNameLambdaArn, ParameterValue: aws.String(arn)}},
	}}}
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("py"),
		ExtendedS3DestinationConfiguration: d}); err != nil {
		t.Fatal(err)
	}
	putBatch(t, c, "py", [][]byte{[]byte(`{"customer":"c1","v":1}`), []byte(`{"customer":"c2","action":"drop"}`),
		[]byte(`not json`), []byte(`{"customer":"c1","v":2}`), []byte(`{"customer":7}`)})
	dir := filepath.Join(cfg.DataDir, "s3", "py")
	var parts map[string][]string
	waitFor(t, time.Minute, "the partitions and the error output", func() bool {
		parts = fhObjectsByDir(t, dir)
		return len(parts["customer=c1"]) > 0 && len(parts["customer=7"]) > 0 && len(parts["errors/processing-failed"]) > 0 &&
			strings.Count(string(readObjects(t, dir, parts["customer=c1"])), "\n") >= 2
	})
	if len(parts) != 3 {
		t.Fatalf("objects %v", parts)
	}
	for p, want := range map[string][]float64{"customer=c1": {1, 2}, "customer=7": {0}} {
		lines := fhLines(t, dir, parts[p])
		if len(lines) != len(want) {
			t.Fatalf("%s holds %q", p, lines)
		}
		for i, l := range lines {
			var doc map[string]any
			if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["processed"] != true || doc["arrival_ms"] == nil {
				t.Fatalf("%s: %q (%v)", p, l, err)
			}
			if v, _ := doc["v"].(float64); v != want[i] {
				t.Fatalf("%s line %d: %q", p, i, l)
			}
		}
	}
	errs := fhErrorRecords(t, dir, parts["errors/processing-failed"])
	if len(errs) != 1 || fhRawData(t, errs[0]) != "not json" || errs[0]["lambdaArn"] != arn || errs[0]["errorCode"] != "Lambda.ProcessingFailedStatus" {
		t.Fatalf("error output %v", errs)
	}
}
