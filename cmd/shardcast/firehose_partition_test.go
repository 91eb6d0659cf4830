package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// jqRecords are put records that each hold several JSON objects; {"n":6}
// has no customer.
var jqRecords = []string{
	`{"customer":"acme","n":1}{"customer":"zeta","n":2}`,
	`{"customer":"acme","n":3}  {"customer":"acme","n":4}`,
	`{"customer":"zeta","n":5}` + "\n" + `{"n":6}`,
	`{"customer":"acme","n":7}`,
}

// jqWant is what each customer's objects hold, and the error output.
var jqWant = map[string][]string{
	"acme": {`{"customer":"acme","n":1}`, `{"customer":"acme","n":3}`, `{"customer":"acme","n":4}`, `{"customer":"acme","n":7}`},
	"zeta": {`{"customer":"zeta","n":2}`, `{"customer":"zeta","n":5}`},
}

const jqFailed = `{"n":6}`

// jqConfig is the destination both clients create, as the API's JSON.
const jqConfig = `{
 "BucketARN": "arn:aws:s3:::BUCKET", "RoleARN": "arn:aws:iam::123456789012:role/firehose",
 "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
 "Prefix": "customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy}/",
 "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
 "DynamicPartitioningConfiguration": {"Enabled": true},
 "ProcessingConfiguration": {"Enabled": true, "Processors": [
  {"Type": "RecordDeAggregation", "Parameters": [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]},
  {"Type": "MetadataExtraction", "Parameters": [
   {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer:.customer}"},
   {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
  {"Type": "AppendDelimiterToRecord", "Parameters": []}]}
}`

// checkJQPartitions waits for the objects of bucket and checks that each
// customer's objects, under customer=<name>/<year>/, hold exactly that
// customer's sub-records in order, each ending with a newline, and that
// the sub-record without a customer is in the error output.
func checkJQPartitions(t *testing.T, dataDir, bucket string, from time.Time) {
	t.Helper()
	dir := filepath.Join(dataDir, "s3", bucket)
	total := 0
	for _, recs := range jqWant {
		for _, r := range recs {
			total += len(r) + 1
		}
	}
	waitFor(t, time.Minute, "the partitions and the error output", func() bool {
		n := 0
		for p, names := range fhObjectsByDir(t, dir) {
			if strings.HasPrefix(p, "customer=") {
				n += len(readObjects(t, dir, names))
			}
		}
		return n >= total && len(fhErrorRecordsUnder(t, dir, "errors/processing-failed/")) >= 1
	})
	to := time.Now().UTC()
	re := regexp.MustCompile(`^customer=([a-z]+)/(\d{4})$`)
	got := map[string][]string{}
	var errNames []string
	for p, names := range fhObjectsByDir(t, dir) {
		if strings.HasPrefix(p+"/", "errors/processing-failed/") {
			errNames = append(errNames, names...)
			continue
		}
		m := re.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("objects under %s: %v", p, names)
		}
		if y, _ := strconv.Atoi(m[2]); y < from.UTC().Year() || y > to.Year() {
			t.Fatalf("objects under %s: the year is not the arrival's", p)
		}
		got[m[1]] = append(got[m[1]], fhLines(t, dir, names)...)
	}
	if len(got) != len(jqWant) {
		t.Fatalf("partitions %q, want %q", got, jqWant)
	}
	for k, w := range jqWant {
		if !slices.Equal(got[k], w) {
			t.Fatalf("customer %s:\n got %q\nwant %q", k, got[k], w)
		}
	}
	errs := fhErrorRecords(t, dir, errNames)
	if len(errs) != 1 || fhRawData(t, errs[0]) != jqFailed || errs[0]["errorCode"] != "DynamicPartitioning.MetadataExtractionFailed" {
		t.Fatalf("error output %v", errs)
	}
}

// Dynamic partitioning by a JQ query, through the Go SDK: records of
// several JSON objects are split (RecordDeAggregation), partitioned by
// customer and newline-ended (AppendDelimiterToRecord).
func TestFirehoseJQPartitioning(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	var d types.ExtendedS3DestinationConfiguration
	d.BucketARN, d.RoleARN = aws.String("arn:aws:s3:::jq"), aws.String(fhRole)
	d.BufferingHints = &types.BufferingHints{SizeInMBs: aws.Int32(64), IntervalInSeconds: aws.Int32(0)}
	d.Prefix = aws.String("customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy}/")
	d.ErrorOutputPrefix = aws.String("errors/!{firehose:error-output-type}/")
	d.DynamicPartitioningConfiguration = &types.DynamicPartitioningConfiguration{Enabled: aws.Bool(true)}
	param := func(n types.ProcessorParameterName, v string) types.ProcessorParameter {
		return types.ProcessorParameter{ParameterName: n, ParameterValue: aws.String(v)}
	}
	d.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
		{Type: types.ProcessorTypeRecordDeAggregation, Parameters: []types.ProcessorParameter{param(types.ProcessorParameterNameSubRecordType, "JSON")}},
		{Type: types.ProcessorTypeMetadataExtraction, Parameters: []types.ProcessorParameter{
			param(types.ProcessorParameterNameMetadataExtractionQuery, "{customer:.customer}"),
			param(types.ProcessorParameterNameJsonParsingEngine, "JQ-1.6")}},
		{Type: types.ProcessorTypeAppendDelimiterToRecord},
	}}
	from := time.Now()
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("jq"),
		ExtendedS3DestinationConfiguration: &d}); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, r := range jqRecords {
		recs = append(recs, []byte(r))
	}
	putBatch(t, c, "jq", recs)
	checkJQPartitions(t, cfg.DataDir, "jq", from)
}

// The same delivery stream created and fed by boto3 (Debian's
// python3-boto3).
func TestFirehoseJQPartitioningBoto3(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_firehose_jq.py"))
	recs, _ := json.Marshal(jqRecords)
	cmd := exec.Command(python, script)
	cmd.Env = append(clientEnv(srv.URL(), "jqboto"), "CONFIG="+strings.Replace(jqConfig, "BUCKET", "jqboto", 1), "RECORDS="+string(recs))
	from := time.Now()
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("boto3: %s", res.Error)
	}
	if want := []string{"deliverystream/jqboto", "batch 0 4"}; !slices.Equal(res.Got, want) {
		t.Fatalf("boto3 %s:\n got %q\nwant %q", res.Boto3, res.Got, want)
	}
	checkJQPartitions(t, cfg.DataDir, "jqboto", from)
}
