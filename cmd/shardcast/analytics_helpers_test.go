package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// exactConfig is testConfig for tests that compare windows with what
// the records' arrival times give: a generous arrival slack, so that no
// append that was slow to become readable (an fsync on a loaded machine)
// is given a later ROWTIME than its arrival.
func exactConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.Analytics.ArrivalSlack = 300 * time.Millisecond
	return cfg
}

// analyticsClient returns a Kinesis Data Analytics client of the AWS SDK
// pointed at url, without retries.
func analyticsClient(url string) *kinesisanalytics.Client {
	return kinesisanalytics.New(kinesisanalytics.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:   sdkHTTPClient(awshttp.NewBuildableClient()),
		Retryer:      aws.NopRetryer{},
	})
}

const analyticsRole = "arn:aws:iam::000000000000:role/kda"

func streamARN(name string) string { return "arn:aws:kinesis:us-east-1:000000000000:stream/" + name }

// tickerInput is the developer guide's demo stream as an application
// input: JSON records of TICKER_SYMBOL, SECTOR, CHANGE and PRICE.
func tickerInput(stream string) ka.Input {
	return ka.Input{
		NamePrefix:          aws.String("SOURCE_SQL_STREAM"),
		KinesisStreamsInput: &ka.KinesisStreamsInput{ResourceARN: aws.String(streamARN(stream)), RoleARN: aws.String(analyticsRole)},
		InputSchema: &ka.SourceSchema{
			RecordFormat: &ka.RecordFormat{RecordFormatType: ka.RecordFormatTypeJson,
				MappingParameters: &ka.MappingParameters{JSONMappingParameters: &ka.JSONMappingParameters{RecordRowPath: aws.String("$")}}},
			RecordEncoding: aws.String("UTF-8"),
			RecordColumns: []ka.RecordColumn{
				{Name: aws.String("TICKER_SYMBOL"), Mapping: aws.String("$.TICKER_SYMBOL"), SqlType: aws.String("VARCHAR(4)")},
				{Name: aws.String("SECTOR"), Mapping: aws.String("$.SECTOR"), SqlType: aws.String("VARCHAR(16)")},
				{Name: aws.String("CHANGE"), Mapping: aws.String("$.CHANGE"), SqlType: aws.String("REAL")},
				{Name: aws.String("PRICE"), Mapping: aws.String("$.PRICE"), SqlType: aws.String("REAL")},
			},
		},
	}
}

func streamOutput(name, stream, format string) ka.Output {
	return ka.Output{Name: aws.String(name),
		KinesisStreamsOutput: &ka.KinesisStreamsOutput{ResourceARN: aws.String(streamARN(stream)), RoleARN: aws.String(analyticsRole)},
		DestinationSchema:    &ka.DestinationSchema{RecordFormatType: ka.RecordFormatType(format)}}
}

// startApp starts an application from TRIM_HORIZON and waits for RUNNING.
func startApp(t testing.TB, c *kinesisanalytics.Client, name string) {
	t.Helper()
	if err := startAppAt(t, c, name, ka.InputStartingPositionTrimHorizon); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	waitStatus(t, c, name, ka.ApplicationStatusRunning)
}

// startAppAt starts an application's one input at pos.
func startAppAt(t testing.TB, c *kinesisanalytics.Client, name string, pos ka.InputStartingPosition) error {
	t.Helper()
	d, err := c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String(name),
		InputConfigurations: []ka.InputConfiguration{{Id: d.ApplicationDetail.InputDescriptions[0].InputId,
			InputStartingPositionConfiguration: &ka.InputStartingPositionConfiguration{InputStartingPosition: pos}}}})
	return err
}

func waitStatus(t testing.TB, c *kinesisanalytics.Client, name string, want ka.ApplicationStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if d.ApplicationDetail.ApplicationStatus == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("application %s is %s, want %s", name, d.ApplicationDetail.ApplicationStatus, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// putJSON puts records, one PutRecords call per 500, and returns them
// with the arrival times the stream gave them (read back).
func putJSON(t testing.TB, c *kinesis.Client, stream string, recs []map[string]any) {
	t.Helper()
	for i := 0; i < len(recs); i += 500 {
		var entries []ktypes.PutRecordsRequestEntry
		for j, r := range recs[i:min(i+500, len(recs))] {
			b, _ := json.Marshal(r)
			entries = append(entries, ktypes.PutRecordsRequestEntry{Data: b, PartitionKey: aws.String(fmt.Sprint(i + j))})
		}
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("put: %v %v", err, out)
		}
	}
}

// streamRecord is a record read back from a stream.
type streamRecord struct {
	Data    []byte
	Key     string
	Arrival time.Time
}

// readStream reads every record of a stream, shard by shard.
func readStream(t testing.TB, c *kinesis.Client, stream string) []streamRecord {
	t.Helper()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	var out []streamRecord
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			r, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range r.Records {
				out = append(out, streamRecord{Data: x.Data, Key: aws.ToString(x.PartitionKey), Arrival: aws.ToTime(x.ApproximateArrivalTimestamp)})
			}
			if len(r.Records) == 0 {
				break
			}
			iter = r.NextShardIterator
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Arrival.Before(out[j].Arrival) })
	return out
}

// waitRecords reads a stream until it holds at least n records.
func waitRecords(t testing.TB, c *kinesis.Client, stream string, n int) []streamRecord {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		recs := readStream(t, c, stream)
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s holds %d records, want %d", stream, len(recs), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsonRows decodes JSON records into maps.
func jsonRows(t testing.TB, recs []streamRecord) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range recs {
		var m map[string]any
		if err := json.Unmarshal(r.Data, &m); err != nil {
			t.Fatalf("output record %q: %v", r.Data, err)
		}
		out = append(out, m)
	}
	return out
}
