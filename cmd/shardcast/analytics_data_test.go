package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

func companyReference(key string) ka.ReferenceDataSource {
	return ka.ReferenceDataSource{TableName: aws.String("CompanyName"),
		S3ReferenceDataSource: &ka.S3ReferenceDataSource{BucketARN: aws.String("arn:aws:s3:::refdata"), FileKey: aws.String(key), ReferenceRoleARN: aws.String(analyticsRole)},
		ReferenceSchema: &ka.SourceSchema{
			RecordFormat: &ka.RecordFormat{RecordFormatType: ka.RecordFormatTypeCsv,
				MappingParameters: &ka.MappingParameters{CSVMappingParameters: &ka.CSVMappingParameters{RecordRowDelimiter: aws.String("\n"), RecordColumnDelimiter: aws.String(",")}}},
			RecordColumns: []ka.RecordColumn{{Name: aws.String("Ticker"), SqlType: aws.String("VARCHAR(4)")}, {Name: aws.String("Company"), SqlType: aws.String("VARCHAR(20)")}},
		}}
}

const referenceJoinCode = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";`

// The developer guide's reference-data example: a CSV object in the local
// bucket joined to the demo stream; then the object is replaced and an
// UpdateApplication re-reads it, as on AWS.
func TestAnalyticsReferenceJoin(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	createStream(t, kc, "ticks", 1)
	createStream(t, kc, "joined", 1)
	bucket := filepath.Join(cfg.DataDir, "s3", "refdata")
	os.MkdirAll(bucket, 0o755)
	if err := os.WriteFile(filepath.Join(bucket, "companies.csv"), []byte("AMZN,Amazon\nXYZ,Example Corp\nABC,Sample Inc\nQWE,Demo Ltd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("ref"),
		Inputs: []ka.Input{tickerInput("ticks")}, Outputs: []ka.Output{streamOutput("DESTINATION_SQL_STREAM", "joined", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddApplicationReferenceDataSource(ctx, &kinesisanalytics.AddApplicationReferenceDataSourceInput{ApplicationName: aws.String("ref"),
		CurrentApplicationVersionId: aws.Int64(1), ReferenceDataSource: ptr(companyReference("companies.csv"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("ref"), CurrentApplicationVersionId: aws.Int64(2),
		ApplicationUpdate: &ka.ApplicationUpdate{ApplicationCodeUpdate: aws.String(referenceJoinCode)}}); err != nil {
		t.Fatal(err)
	}
	startApp(t, c, "ref")
	putJSON(t, kc, "ticks", []map[string]any{
		{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": 1.5, "PRICE": 100.25},
		{"TICKER_SYMBOL": "INTC", "SECTOR": "TECHNOLOGY", "CHANGE": -0.5, "PRICE": 30},
	})
	rows := jsonRows(t, waitRecords(t, kc, "joined", 2))
	got := []string{}
	for _, r := range rows {
		got = append(got, r["TICKER_SYMBOL"].(string)+"="+str(r["Company"]))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "AMZN=Amazon,INTC=<nil>" {
		t.Fatalf("joined rows %v (%v)", got, rows)
	}
	if rows[0]["PRICE"] == nil || rows[0]["SECTOR"] == nil {
		t.Fatalf("row %v", rows[0])
	}

	// A new object, re-read by UpdateApplication while running.
	os.WriteFile(filepath.Join(bucket, "companies.csv"), []byte("AMZN,Amazon.com\nINTC,Intel\n"), 0o644)
	d := describeApp(t, c, "ref")
	if _, err := c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("ref"), CurrentApplicationVersionId: d.ApplicationVersionId,
		ApplicationUpdate: &ka.ApplicationUpdate{ReferenceDataSourceUpdates: []ka.ReferenceDataSourceUpdate{{ReferenceId: d.ReferenceDataSourceDescriptions[0].ReferenceId,
			S3ReferenceDataSourceUpdate: &ka.S3ReferenceDataSourceUpdate{FileKeyUpdate: aws.String("companies.csv")}}}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "ref", ka.ApplicationStatusRunning)
	putJSON(t, kc, "ticks", []map[string]any{{"TICKER_SYMBOL": "INTC", "SECTOR": "TECHNOLOGY", "CHANGE": 1, "PRICE": 31}})
	rows = jsonRows(t, waitRecords(t, kc, "joined", 3))
	if last := rows[2]; last["Company"] != "Intel" {
		t.Fatalf("after the update: %v", rows)
	}
}

func str(v any) string {
	if v == nil {
		return "<nil>"
	}
	return v.(string)
}

// Records that do not match the schema, and a reference object that is
// missing, become error_stream rows; the application keeps running.
func TestAnalyticsErrorStream(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	createStream(t, kc, "ticks", 1)
	createStream(t, kc, "joined", 1)
	createStream(t, kc, "errors", 1)
	in := tickerInput("ticks")
	in.InputSchema.RecordColumns[3].SqlType = aws.String("INTEGER") // PRICE: 12.5 does not fit
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("errs"), Inputs: []ka.Input{in}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.AddApplicationReferenceDataSource(ctx, &kinesisanalytics.AddApplicationReferenceDataSourceInput{ApplicationName: aws.String("errs"),
		CurrentApplicationVersionId: aws.Int64(1), ReferenceDataSource: ptr(companyReference("missing.csv"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("errs"), CurrentApplicationVersionId: aws.Int64(2),
		ApplicationUpdate: &ka.ApplicationUpdate{ApplicationCodeUpdate: aws.String(referenceJoinCode)}}); err != nil {
		t.Fatal(err)
	}
	for i, o := range []ka.Output{streamOutput("DESTINATION_SQL_STREAM", "joined", "JSON"), streamOutput("error_stream", "errors", "JSON")} {
		if _, err := c.AddApplicationOutput(ctx, &kinesisanalytics.AddApplicationOutputInput{ApplicationName: aws.String("errs"), CurrentApplicationVersionId: aws.Int64(int64(3 + i)), Output: &o}); err != nil {
			t.Fatal(err)
		}
	}
	startApp(t, c, "errs")
	bad, _ := json.Marshal(map[string]any{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": 1, "PRICE": 12.5}) // as putJSON writes it
	putJSON(t, kc, "ticks", []map[string]any{
		{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": 1, "PRICE": 12.5},
		{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": 1, "PRICE": 12},
	})
	joined := jsonRows(t, waitRecords(t, kc, "joined", 1))
	if joined[0]["Company"] != nil || joined[0]["PRICE"] != 12.0 {
		t.Fatalf("joined %v", joined)
	}
	errs := jsonRows(t, waitRecords(t, kc, "errors", 2))
	var sawRef, sawSchema bool
	for _, e := range errs {
		msg, _ := e["MESSAGE"].(string)
		switch {
		case strings.Contains(msg, "missing.csv"):
			sawRef = true
		case e["ERROR_NAME"] == "Schema_Mismatch":
			sawSchema = strings.Contains(msg, "PRICE") && e["DATA_ROW"] == hex.EncodeToString(bad)
		}
	}
	if !sawRef || !sawSchema {
		t.Fatalf("error rows %v", errs)
	}
	waitStatus(t, c, "errs", ka.ApplicationStatusRunning)
}

// DiscoverInputSchema infers the demo stream's schema from its records,
// renaming members that are not column names as the service does.
func TestAnalyticsDiscoverInputSchema(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	createStream(t, kc, "ticks", 2)
	putJSON(t, kc, "ticks", []map[string]any{
		{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": -1.25, "PRICE": 84.51, "USER": "a", "user@domain": "b"},
		{"TICKER_SYMBOL": "TGT", "SECTOR": "RETAIL", "CHANGE": 2, "PRICE": 12.5, "USER": "c", "user@domain": "d"},
	})
	out, err := c.DiscoverInputSchema(ctx, &kinesisanalytics.DiscoverInputSchemaInput{ResourceARN: aws.String(streamARN("ticks")), RoleARN: aws.String(analyticsRole),
		InputStartingPositionConfiguration: &ka.InputStartingPositionConfiguration{InputStartingPosition: ka.InputStartingPositionTrimHorizon}})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, col := range out.InputSchema.RecordColumns {
		cols = append(cols, aws.ToString(col.Name)+" "+aws.ToString(col.SqlType)+" "+aws.ToString(col.Mapping))
	}
	sort.Strings(cols)
	want := "CHANGE REAL $.CHANGE,COL_USER VARCHAR(1) $.USER,COL_userdomain VARCHAR(1) $['user@domain'],PRICE REAL $.PRICE,SECTOR VARCHAR(16) $.SECTOR,TICKER_SYMBOL VARCHAR(4) $.TICKER_SYMBOL"
	if strings.Join(cols, ",") != want {
		t.Fatalf("columns\n got %s\nwant %s", strings.Join(cols, ","), want)
	}
	if out.InputSchema.RecordFormat.RecordFormatType != ka.RecordFormatTypeJson || len(out.ParsedInputRecords) != 2 || len(out.RawInputRecords) != 2 {
		t.Fatalf("discovered %+v", out)
	}
	createStream(t, kc, "empty", 1)
	_, err = c.DiscoverInputSchema(ctx, &kinesisanalytics.DiscoverInputSchemaInput{ResourceARN: aws.String(streamARN("empty")), RoleARN: aws.String(analyticsRole)})
	wantErr(t, err, "UnableToDetectSchemaException", "No records were found to infer a schema from.")

	// From an object: CSV lines.
	os.MkdirAll(filepath.Join(cfg.DataDir, "s3", "samples"), 0o755)
	os.WriteFile(filepath.Join(cfg.DataDir, "s3", "samples", "t.csv"), []byte("AMZN,Amazon,12\nINTC,Intel,7\n"), 0o644)
	out, err = c.DiscoverInputSchema(ctx, &kinesisanalytics.DiscoverInputSchemaInput{S3Configuration: &ka.S3Configuration{
		BucketARN: aws.String("arn:aws:s3:::samples"), FileKey: aws.String("t.csv"), RoleARN: aws.String(analyticsRole)}})
	if err != nil {
		t.Fatal(err)
	}
	cols = nil
	for _, col := range out.InputSchema.RecordColumns {
		cols = append(cols, aws.ToString(col.Name)+" "+aws.ToString(col.SqlType))
	}
	if strings.Join(cols, ",") != "COL_1 VARCHAR(4),COL_2 VARCHAR(8),COL_3 INTEGER" || out.InputSchema.RecordFormat.RecordFormatType != ka.RecordFormatTypeCsv {
		t.Fatalf("from the object: %v %+v", cols, out.InputSchema.RecordFormat)
	}
	_, err = c.DiscoverInputSchema(ctx, &kinesisanalytics.DiscoverInputSchemaInput{S3Configuration: &ka.S3Configuration{
		BucketARN: aws.String("arn:aws:s3:::samples"), FileKey: aws.String("none.csv"), RoleARN: aws.String(analyticsRole)}})
	wantErrLike(t, err, "InvalidArgumentException", "none.csv")
}

// An output to a delivery stream: the rows reach its S3 destination.
func TestAnalyticsFirehoseOutput(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	fc := firehoseClient(srv.URL())
	c := analyticsClient(srv.URL())
	createStream(t, kc, "ticks", 1)
	if _, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("rows"),
		ExtendedS3DestinationConfiguration: s3Dest("rowsbucket", 1, 0, fhtypes.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4), price REAL);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM ticker_symbol, price FROM "SOURCE_SQL_STREAM_001";`
	out := ka.Output{Name: aws.String("D"), DestinationSchema: &ka.DestinationSchema{RecordFormatType: ka.RecordFormatTypeJson},
		KinesisFirehoseOutput: &ka.KinesisFirehoseOutput{ResourceARN: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/rows"), RoleARN: aws.String(analyticsRole)}}
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("tofh"), ApplicationCode: aws.String(code),
		Inputs: []ka.Input{tickerInput("ticks")}, Outputs: []ka.Output{out}}); err != nil {
		t.Fatal(err)
	}
	startApp(t, c, "tofh")
	putJSON(t, kc, "ticks", []map[string]any{{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": 1, "PRICE": 10.5}})
	dir := filepath.Join(cfg.DataDir, "s3", "rowsbucket")
	got := string(readObjects(t, dir, waitObjects(t, dir, 1)))
	if got != `{"TICKER":"AMZN","PRICE":10.5}` {
		t.Fatalf("delivered %q", got)
	}
}
