package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

func putFirehoseJSON(t *testing.T, fc *firehose.Client, name string, recs ...string) {
	t.Helper()
	var entries []fhtypes.Record
	for _, r := range recs {
		entries = append(entries, fhtypes.Record{Data: []byte(r)})
	}
	out, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: entries})
	if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
		t.Fatalf("put: %v %+v", err, out)
	}
}

// An input from a DirectPut delivery stream: TRIM_HORIZON is refused as
// on AWS, NOW reads what is put after the start, and LAST_STOPPED_POINT
// resumes after a stop without loss or repeat.
func TestAnalyticsFirehoseInput(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	fc := firehoseClient(srv.URL())
	c := analyticsClient(srv.URL())
	createStream(t, kc, "out", 1)
	in := ticksDeliveryInput(t, fc)
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4), price REAL);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM ticker_symbol, price FROM "SOURCE_SQL_STREAM_001";`
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("fhin"), ApplicationCode: aws.String(code),
		Inputs: []ka.Input{in}, Outputs: []ka.Output{streamOutput("D", "out", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String("fhin")})
	if err != nil {
		t.Fatal(err)
	}
	if desc := d.ApplicationDetail.InputDescriptions[0].KinesisFirehoseInputDescription; desc == nil || !strings.HasSuffix(aws.ToString(desc.ResourceARN), "/ticks") {
		t.Fatalf("input description %+v", d.ApplicationDetail.InputDescriptions[0])
	}
	wantErrLike(t, startAppAt(t, c, "fhin", ka.InputStartingPositionTrimHorizon), "InvalidArgumentException", "TRIM_HORIZON")

	putFirehoseJSON(t, fc, "ticks", `{"TICKER_SYMBOL":"OLD","PRICE":1}`)
	time.Sleep(5 * time.Millisecond) // NOW is a millisecond after the record above
	if err := startAppAt(t, c, "fhin", ka.InputStartingPositionNow); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "fhin", ka.ApplicationStatusRunning)
	putFirehoseJSON(t, fc, "ticks", `{"TICKER_SYMBOL":"AMZN","PRICE":10.5}`, `{"TICKER_SYMBOL":"ABC","PRICE":2}`)
	rows := jsonRows(t, waitRecords(t, kc, "out", 2))
	if got := tickers(rows); got != "ABC,AMZN" {
		t.Fatalf("rows %v", rows)
	}

	if _, err := c.StopApplication(ctx, &kinesisanalytics.StopApplicationInput{ApplicationName: aws.String("fhin")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "fhin", ka.ApplicationStatusReady)
	putFirehoseJSON(t, fc, "ticks", `{"TICKER_SYMBOL":"QWE","PRICE":3}`)
	if err := startAppAt(t, c, "fhin", ka.InputStartingPositionLastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	rows = jsonRows(t, waitRecords(t, kc, "out", 3))
	if got := tickers(rows); got != "ABC,AMZN,QWE" {
		t.Fatalf("rows %v", rows)
	}
}

func tickers(rows []map[string]any) string {
	var got []string
	for _, r := range rows {
		got = append(got, str(r["TICKER"]))
	}
	sort.Strings(got)
	return strings.Join(got, ",")
}

// A LambdaOutput posts the service's output event to the endpoint the
// configuration maps the function's ARN to; here the application reads a
// delivery stream and writes to a function.
func TestAnalyticsLambdaOutput(t *testing.T) {
	const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:sink"
	var mu sync.Mutex
	var got []string
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ApplicationARN string `json:"applicationArn"`
			Records        []struct {
				RecordID string `json:"recordId"`
				Data     []byte `json:"data"`
			} `json:"records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || !strings.HasSuffix(ev.ApplicationARN, ":application/tofn") {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		type res struct {
			RecordID string `json:"recordId"`
			Result   string `json:"result"`
		}
		out := struct {
			Records []res `json:"records"`
		}{}
		mu.Lock()
		for _, x := range ev.Records {
			got = append(got, string(x.Data))
			out.Records = append(out.Records, res{x.RecordID, "Ok"})
		}
		mu.Unlock()
		json.NewEncoder(w).Encode(out)
	}))
	defer fn.Close()
	cfg := testConfig(t)
	cfg.Firehose.Lambdas = map[string]string{fnARN: fn.URL}
	srv := startServer(t, cfg)
	fc := firehoseClient(srv.URL())
	c := analyticsClient(srv.URL())
	in := ticksDeliveryInput(t, fc)
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4));
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001";`
	out := ka.Output{Name: aws.String("D"), DestinationSchema: &ka.DestinationSchema{RecordFormatType: ka.RecordFormatTypeCsv},
		LambdaOutput: &ka.LambdaOutput{ResourceARN: aws.String(fnARN), RoleARN: aws.String(analyticsRole)}}
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("tofn"), ApplicationCode: aws.String(code),
		Inputs: []ka.Input{in}, Outputs: []ka.Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := startAppAt(t, c, "tofn", ka.InputStartingPositionNow); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "tofn", ka.ApplicationStatusRunning)
	putFirehoseJSON(t, fc, "ticks", `{"TICKER_SYMBOL":"AMZN","PRICE":10.5}`, `{"TICKER_SYMBOL":"ABC","PRICE":2}`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		rows := append([]string(nil), got...)
		mu.Unlock()
		if n >= 2 {
			sort.Strings(rows)
			if strings.Join(rows, "|") != "ABC\n|AMZN\n" {
				t.Fatalf("the function got %q", rows)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function got %d records, want 2", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ticksDeliveryInput creates the delivery stream ticks (into a bucket)
// and returns an application input that reads its ticker records.
func ticksDeliveryInput(t *testing.T, fc *firehose.Client) ka.Input {
	t.Helper()
	if _, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("ticks"),
		ExtendedS3DestinationConfiguration: s3Dest("ticksbucket", 1, 0, fhtypes.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	in := tickerInput("unused")
	in.KinesisStreamsInput, in.KinesisFirehoseInput = nil, &ka.KinesisFirehoseInput{
		ResourceARN: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/ticks"), RoleARN: aws.String(analyticsRole)}
	return in
}
