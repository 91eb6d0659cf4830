package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

const fhRole = "arn:aws:iam::123456789012:role/firehose"

// fhHTTPDest is an HTTP endpoint destination to r's URL that delivers at
// once (IntervalInSeconds 0), with the given retry duration, whose error
// output goes to bucket.
func fhHTTPDest(r *fhReceiver, bucket string, retry int32) *types.HttpEndpointDestinationConfiguration {
	c := &types.HttpEndpointDestinationConfiguration{
		EndpointConfiguration: &types.HttpEndpointConfiguration{Url: aws.String(r.url()), Name: aws.String("receiver")},
		BufferingHints:        &types.HttpEndpointBufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		RetryOptions:          &types.HttpEndpointRetryOptions{DurationInSeconds: aws.Int32(retry)},
		RoleARN:               aws.String(fhRole),
		S3BackupMode:          types.HttpEndpointS3BackupModeFailedDataOnly,
		S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::" + bucket), RoleARN: aws.String(fhRole),
			CompressionFormat: types.CompressionFormatUncompressed},
		RequestConfiguration: &types.HttpEndpointRequestConfiguration{},
	}
	if r.accessKey != "" {
		c.EndpointConfiguration.AccessKey = aws.String(r.accessKey)
	}
	if r.gzip {
		c.RequestConfiguration.ContentEncoding = types.ContentEncodingGzip
	}
	for k, v := range r.attrs {
		c.RequestConfiguration.CommonAttributes = append(c.RequestConfiguration.CommonAttributes,
			types.HttpEndpointCommonAttribute{AttributeName: aws.String(k), AttributeValue: aws.String(v)})
	}
	return c
}

func fhCreateHTTPStream(t *testing.T, c *firehose.Client, name string, d *types.HttpEndpointDestinationConfiguration) string {
	t.Helper()
	out, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
		HttpEndpointDestinationConfiguration: d})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DeliveryStreamARN)
}

// Records put through the SDK reach a real HTTP endpoint receiver with
// every header of the protocol (access key, common attributes, gzip), the
// body's requestId equal to the header's, each record's data exactly as
// put (binary and empty records included), in order.
func TestFirehoseHTTPEndpointDelivery(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{accessKey: "key-123/=+", attrs: map[string]string{"env": "test", "team": "ingest"}, gzip: true}
	rcv.start(t)
	arn := fhCreateHTTPStream(t, c, "hook", fhHTTPDest(rcv, "hook-errors", 300))
	rcv.mu.Lock()
	rcv.sourceARN = arn
	rcv.mu.Unlock()

	var want [][]byte
	ctx := context.Background()
	for i := range 5 {
		rec := []byte(fmt.Sprintf(`{"n":%d,"text":"héllo"}`, i))
		if _, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("hook"), Record: &types.Record{Data: rec}}); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec)
	}
	var batch [][]byte
	for i := range 200 {
		batch = append(batch, []byte{0, byte(i), 0xff, '\n', byte(i >> 1)})
	}
	batch = append(batch, []byte{}, bytes.Repeat([]byte("z"), 100_000))
	putBatch(t, c, "hook", batch)
	want = append(want, batch...)

	reqs := rcv.waitRecords(t, len(want))
	var got [][]byte
	for _, q := range reqs {
		got = append(got, q.Records...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records delivered, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: got %q want %q", i, got[i], want[i])
		}
	}
	if names := objects(t, filepath.Join(cfg.DataDir, "s3", "hook-errors")); len(names) != 0 {
		t.Fatalf("error output of a working endpoint: %v", names)
	}
}

// fhErrorRecords parses the JSON lines of the objects under dir.
func fhErrorRecords(t *testing.T, dir string, names []string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(string(readObjects(t, dir, names)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("error output line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// fhRawData decodes an error record's rawData.
func fhRawData(t *testing.T, m map[string]any) string {
	t.Helper()
	s, _ := m["rawData"].(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("rawData of %v: %v", m, err)
	}
	return string(b)
}

// An endpoint that keeps failing: once RetryOptions.DurationInSeconds is
// spent (0: the first failure ends it; 1: a second of retries) the
// records land in the S3Configuration bucket under http-endpoint-failed/,
// as AWS's error records carrying the endpoint's errorMessage; an
// endpoint answering 413 sends them there at once, however long the
// retry duration.
func TestFirehoseHTTPEndpointGivesUp(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	for _, tc := range []struct {
		name   string
		status int
		retry  int32
	}{{"down500", http.StatusInternalServerError, 0}, {"retry500", http.StatusInternalServerError, 1}, {"big413", http.StatusRequestEntityTooLarge, 300}} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &fhReceiver{attrs: map[string]string{}}
			rcv.answer(tc.status, "the receiver refuses: disk full")
			rcv.start(t)
			bucket := tc.name + "-errors"
			fhCreateHTTPStream(t, c, tc.name, fhHTTPDest(rcv, bucket, tc.retry))
			want := []string{"first record", "second\x00record", `{"third":3}`}
			var recs [][]byte
			for _, w := range want {
				recs = append(recs, []byte(w))
			}
			putBatch(t, c, tc.name, recs)

			dir := filepath.Join(cfg.DataDir, "s3", bucket)
			var errs []map[string]any
			waitFor(t, time.Minute, "the error output", func() bool {
				errs = fhErrorRecords(t, dir, objects(t, dir))
				return len(errs) >= len(want)
			})
			// One attempt, but for a second of retries.
			attemptsOK := func(v any) bool {
				n, _ := v.(float64)
				return n == 1 || (tc.retry == 1 && n > 1)
			}
			var raws []string
			for _, e := range errs {
				raws = append(raws, fhRawData(t, e))
				if e["errorCode"] != "HttpEndpoint.DestinationException" || !strings.Contains(fmt.Sprint(e["errorMessage"]), "the receiver refuses: disk full") ||
					!attemptsOK(e["attemptsMade"]) || e["arrivalTimestamp"] == nil || e["attemptEndingTimestamp"] == nil || e["dataId"] == nil || e["subsequenceNumber"] == nil {
					t.Fatalf("error record %v", e)
				}
			}
			if !slices.Equal(raws, want) {
				t.Fatalf("error records hold %q, want %q", raws, want)
			}
			for _, n := range objects(t, dir) {
				if !strings.HasPrefix(n, "http-endpoint-failed/") {
					t.Fatalf("error object %s not under http-endpoint-failed/", n)
				}
			}
			reqs := rcv.taken(t)
			if len(reqs) == 0 {
				t.Fatal("the endpoint was never called")
			}
			if tc.status == http.StatusRequestEntityTooLarge && len(reqs) != 1 {
				t.Fatalf("413 retried: %d requests", len(reqs))
			}
		})
	}
}

// A request the endpoint answers 503 is sent again with the same request
// id and the same records (the id lets a receiver drop a retry it took),
// then delivered once it is answered 200.
func TestFirehoseHTTPEndpointRetrySameRequest(t *testing.T) {
	cfg := testConfig(t)
	cfg.Firehose.MaxBackoff = time.Second
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{attrs: map[string]string{}, failFirst: true}
	rcv.start(t)
	fhCreateHTTPStream(t, c, "again", fhHTTPDest(rcv, "again-errors", 300))
	var want []string
	for b := range 3 {
		var recs [][]byte
		for i := range 10 {
			r := fmt.Sprintf("batch %d record %d", b, i)
			recs = append(recs, []byte(r))
			want = append(want, r)
		}
		putBatch(t, c, "again", recs)
	}
	// Each record comes twice: in the refused attempt and in the retry.
	reqs := rcv.waitRecords(t, 2*len(want))
	attempts := map[string][]string{}
	var ids, got []string
	for _, q := range reqs {
		var recs []string
		for _, r := range q.Records {
			recs = append(recs, string(r))
		}
		if prev, ok := attempts[q.ID]; ok {
			if !slices.Equal(prev, recs) {
				t.Fatalf("request %s sent again with other records:\n%q\n%q", q.ID, prev, recs)
			}
			got = append(got, recs...)
		} else {
			ids = append(ids, q.ID)
		}
		attempts[q.ID] = recs
	}
	for _, id := range ids {
		if n := len(slices.DeleteFunc(slices.Clone(reqs), func(q fhRequest) bool { return q.ID != id })); n != 2 {
			t.Fatalf("request %s sent %d times, want 2", id, n)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
	if names := objects(t, filepath.Join(cfg.DataDir, "s3", "again-errors")); len(names) != 0 {
		t.Fatalf("error output: %v", names)
	}
}

// A buffer of more than 10,000 records goes in several requests of at
// most 10,000 records each (the protocol's limit), each with its own
// request id, the records in order.
func TestFirehoseHTTPEndpointSplitsLargeBuffers(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{attrs: map[string]string{}, gzip: true}
	rcv.start(t)
	d := fhHTTPDest(rcv, "split-errors", 300)
	d.BufferingHints.IntervalInSeconds = aws.Int32(900) // flushed by size alone
	fhCreateHTTPStream(t, c, "split", d)
	var want []string
	for b := 0; len(want) < 10_600; b++ {
		var recs [][]byte
		for i := range 500 {
			r := fmt.Sprintf("%05d-%03d-%s", b, i, strings.Repeat("p", 90))
			recs = append(recs, []byte(r))
			want = append(want, r)
		}
		putBatch(t, c, "split", recs)
	}
	// 10,486 records of 100 bytes fill the 1 MiB buffer: what was read by
	// then is flushed, the rest waits.
	reqs := rcv.waitRecords(t, 10_001)
	var got []string
	ids := map[string]bool{}
	for _, q := range reqs {
		if len(q.Records) > 10_000 || ids[q.ID] {
			t.Fatalf("request %s: %d records, id seen before: %v", q.ID, len(q.Records), ids[q.ID])
		}
		ids[q.ID] = true
		for _, r := range q.Records {
			got = append(got, string(r))
		}
	}
	if len(reqs) < 2 || !slices.Equal(got, want[:len(got)]) {
		t.Fatalf("%d requests, %d records, in order: %v", len(reqs), len(got), slices.Equal(got, want[:len(got)]))
	}
	t.Logf("%d records in %d requests", len(got), len(ids))
}

// An HTTP endpoint destination behind a Lambda transform: the endpoint
// gets the transformed records (dropped ones left out), and the records
// the function fails go to the S3Configuration bucket under
// processing-failed/.
func TestFirehoseHTTPEndpointWithTransform(t *testing.T) {
	fn := &upperFunction{stream: "hooked"}
	ts := httptest.NewServer(fn)
	defer ts.Close()
	cfg := testConfig(t)
	cfg.Firehose.Lambdas = map[string]string{upperFnARN: ts.URL}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{attrs: map[string]string{}}
	rcv.start(t)
	d := fhHTTPDest(rcv, "hooked-errors", 300)
	d.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{{
		Type:       types.ProcessorTypeLambda,
		Parameters: []types.ProcessorParameter{{ParameterName: types.ProcessorParameterNameLambdaArn, ParameterValue: aws.String(upperFnARN)}},
	}}}
	fhCreateHTTPStream(t, c, "hooked", d)
	putBatch(t, c, "hooked", [][]byte{[]byte(`{"k":"x","op":"keep"}`), []byte(`{"k":"y","op":"drop"}`),
		[]byte(`{"k":"z","op":"fail"}`), []byte(`{"k":"w","op":"keep"}`)})
	var got []string
	for _, q := range rcv.waitRecords(t, 2) {
		for _, r := range q.Records {
			got = append(got, string(r))
		}
	}
	if want := []string{`{"K":"X","OP":"KEEP"}` + "\n", `{"K":"W","OP":"KEEP"}` + "\n"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
	fn.check(t)
	dir := filepath.Join(cfg.DataDir, "s3", "hooked-errors")
	var errs []map[string]any
	waitFor(t, time.Minute, "the error output", func() bool {
		errs = fhErrorRecords(t, dir, objects(t, dir))
		return len(errs) >= 1
	})
	if len(errs) != 1 || fhRawData(t, errs[0]) != `{"k":"z","op":"fail"}` || errs[0]["lambdaArn"] != upperFnARN {
		t.Fatalf("error output %v", errs)
	}
	for _, n := range objects(t, dir) {
		if !strings.HasPrefix(n, "processing-failed/") {
			t.Fatalf("error object %s", n)
		}
	}
}
