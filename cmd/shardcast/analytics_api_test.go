package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// wantErrLike is wantErr with a message that must contain part.
func wantErrLike(t *testing.T, err error, code, part string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	c, m := apiErr(t, err)
	if c != code || !strings.Contains(m, part) {
		t.Fatalf("want %s containing %q\n got %s %q", code, part, c, m)
	}
}

func describeApp(t *testing.T, c *kinesisanalytics.Client, name string) *ka.ApplicationDetail {
	t.Helper()
	d, err := c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return d.ApplicationDetail
}

// The API's operations, their status machine and version ids, and the
// shape of each error, through the AWS SDK.
func TestAnalyticsAPI(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	createStream(t, kc, "in", 1)
	createStream(t, kc, "out", 1)

	created, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("app1"),
		ApplicationDescription: aws.String("first"), Tags: []ka.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	s := created.ApplicationSummary
	if aws.ToString(s.ApplicationARN) != "arn:aws:kinesisanalytics:us-east-1:000000000000:application/app1" || s.ApplicationStatus != ka.ApplicationStatusReady {
		t.Fatalf("summary %+v", s)
	}
	_, err = c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("app1")})
	wantErr(t, err, "ResourceInUseException", "Application app1 already exists.")
	_, err = c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("bad name!")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'bad name!' at 'applicationName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	_, err = c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Application nope is not found.")
	bad := tickerInput("in")
	bad.InputParallelism = &ka.InputParallelism{Count: aws.Int32(65)}
	bad.NamePrefix = aws.String(strings.Repeat("P", 33))
	_, err = c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("x"), Inputs: []ka.Input{bad}})
	wantErrLike(t, err, "ValidationException", "2 validation errors detected: Value '"+strings.Repeat("P", 33)+"' at 'inputs.1.member.namePrefix' failed to satisfy constraint: Member must have length less than or equal to 32; Value '65' at 'inputs.1.member.inputParallelism.count'")

	for _, n := range []string{"app2", "app3"} {
		if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{Limit: aws.Int32(2)})
	if err != nil || len(page.ApplicationSummaries) != 2 || !aws.ToBool(page.HasMoreApplications) || aws.ToString(page.ApplicationSummaries[1].ApplicationName) != "app2" {
		t.Fatalf("list: %v %+v", err, page)
	}
	page, err = c.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{Limit: aws.Int32(2), ExclusiveStartApplicationName: aws.String("app2")})
	if err != nil || len(page.ApplicationSummaries) != 1 || aws.ToBool(page.HasMoreApplications) || aws.ToString(page.ApplicationSummaries[0].ApplicationName) != "app3" {
		t.Fatalf("list page 2: %v %+v", err, page)
	}

	d := describeApp(t, c, "app1")
	if aws.ToInt64(d.ApplicationVersionId) != 1 || aws.ToString(d.ApplicationDescription) != "first" || d.CreateTimestamp == nil {
		t.Fatalf("detail %+v", d)
	}
	_, err = c.AddApplicationInput(ctx, &kinesisanalytics.AddApplicationInputInput{ApplicationName: aws.String("app1"),
		CurrentApplicationVersionId: aws.Int64(7), Input: ptr(tickerInput("in"))})
	wantErr(t, err, "ConcurrentModificationException", "Current application version 7 does not match the application's version 1.")
	_, err = c.AddApplicationInput(ctx, &kinesisanalytics.AddApplicationInputInput{ApplicationName: aws.String("app1"),
		CurrentApplicationVersionId: aws.Int64(1), Input: ptr(tickerInput("missing"))})
	wantErrLike(t, err, "InvalidArgumentException", "Kinesis stream arn:aws:kinesis:us-east-1:000000000000:stream/missing is not accessible")
	fh := tickerInput("in")
	fh.KinesisStreamsInput, fh.KinesisFirehoseInput = nil, &ka.KinesisFirehoseInput{ResourceARN: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/d"), RoleARN: aws.String(analyticsRole)}
	_, err = c.AddApplicationInput(ctx, &kinesisanalytics.AddApplicationInputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(1), Input: &fh})
	wantErrLike(t, err, "InvalidArgumentException", "Firehose delivery stream arn:aws:firehose:us-east-1:000000000000:deliverystream/d is not accessible")
	in2 := tickerInput("in")
	in2.InputParallelism = &ka.InputParallelism{Count: aws.Int32(2)}
	if _, err := c.AddApplicationInput(ctx, &kinesisanalytics.AddApplicationInputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(1), Input: &in2}); err != nil {
		t.Fatal(err)
	}
	d = describeApp(t, c, "app1")
	if aws.ToInt64(d.ApplicationVersionId) != 2 || len(d.InputDescriptions) != 1 || aws.ToString(d.InputDescriptions[0].InputId) != "1.1" ||
		strings.Join(d.InputDescriptions[0].InAppStreamNames, ",") != "SOURCE_SQL_STREAM_001,SOURCE_SQL_STREAM_002" {
		t.Fatalf("after AddApplicationInput: %+v", d)
	}
	_, err = c.AddApplicationInput(ctx, &kinesisanalytics.AddApplicationInputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(2), Input: ptr(tickerInput("in"))})
	wantErrLike(t, err, "InvalidArgumentException", "already has an input")

	// Code: a syntax error answers with its line and column.
	_, err = c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(2),
		ApplicationUpdate: &ka.ApplicationUpdate{ApplicationCodeUpdate: aws.String("CREATE OR REPLACE STREAM \"D\" (a INTEGER);\nCREATE PUMP \"P\" AS INSERT INTO \"D\" SELEKT STREAM 1 FROM \"SOURCE_SQL_STREAM_001\";")}})
	wantErrLike(t, err, "CodeValidationException", "line 2, column ")
	_, err = c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(2),
		ApplicationUpdate: &ka.ApplicationUpdate{ApplicationCodeUpdate: aws.String(`CREATE OR REPLACE STREAM "D" (t VARCHAR(4));
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM no_such_column FROM "SOURCE_SQL_STREAM_001";`)}})
	wantErrLike(t, err, "CodeValidationException", "line 2, column ")
	code := `CREATE OR REPLACE STREAM "D" (t VARCHAR(4));
CREATE OR REPLACE PUMP "P1" AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE PUMP "P2" AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_002";`
	if _, err := c.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(2),
		ApplicationUpdate: &ka.ApplicationUpdate{ApplicationCodeUpdate: aws.String(code)}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddApplicationOutput(ctx, &kinesisanalytics.AddApplicationOutputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(3),
		Output: ptr(streamOutput("NOT_THERE", "out", "JSON"))})
	wantErr(t, err, "InvalidArgumentException", "Output 1.1 names the in-application stream NOT_THERE, which the application code does not create.")
	lambda := ka.Output{Name: aws.String("D"), LambdaOutput: &ka.LambdaOutput{ResourceARN: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), RoleARN: aws.String(analyticsRole)},
		DestinationSchema: &ka.DestinationSchema{RecordFormatType: ka.RecordFormatTypeJson}}
	_, err = c.AddApplicationOutput(ctx, &kinesisanalytics.AddApplicationOutputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(3), Output: &lambda})
	wantErrLike(t, err, "InvalidArgumentException", "No endpoint is configured for function arn:aws:lambda:us-east-1:000000000000:function:f")
	for i, o := range []ka.Output{streamOutput("D", "out", "JSON"), streamOutput("error_stream", "out", "JSON")} {
		if _, err := c.AddApplicationOutput(ctx, &kinesisanalytics.AddApplicationOutputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(int64(3 + i)), Output: &o}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteApplicationOutput(ctx, &kinesisanalytics.DeleteApplicationOutputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(5), OutputId: aws.String("1.2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteApplicationOutput(ctx, &kinesisanalytics.DeleteApplicationOutputInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(6), OutputId: aws.String("1.2")})
	wantErr(t, err, "ResourceNotFoundException", "Output 1.2 is not found in application app1.")
	if _, err := c.AddApplicationCloudWatchLoggingOption(ctx, &kinesisanalytics.AddApplicationCloudWatchLoggingOptionInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(6),
		CloudWatchLoggingOption: &ka.CloudWatchLoggingOption{LogStreamARN: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:s"), RoleARN: aws.String(analyticsRole)}}); err != nil {
		t.Fatal(err)
	}
	d = describeApp(t, c, "app1")
	if aws.ToInt64(d.ApplicationVersionId) != 7 || len(d.OutputDescriptions) != 1 || aws.ToString(d.OutputDescriptions[0].OutputId) != "1.1" ||
		len(d.CloudWatchLoggingOptionDescriptions) != 1 || aws.ToString(d.CloudWatchLoggingOptionDescriptions[0].CloudWatchLoggingOptionId) != "1.1" || aws.ToString(d.ApplicationCode) != code {
		t.Fatalf("detail %+v", d)
	}
	if _, err := c.DeleteApplicationCloudWatchLoggingOption(ctx, &kinesisanalytics.DeleteApplicationCloudWatchLoggingOptionInput{ApplicationName: aws.String("app1"), CurrentApplicationVersionId: aws.Int64(7), CloudWatchLoggingOptionId: aws.String("1.1")}); err != nil {
		t.Fatal(err)
	}

	// Tags.
	arn := aws.ToString(d.ApplicationARN)
	if _, err := c.TagResource(ctx, &kinesisanalytics.TagResourceInput{ResourceARN: aws.String(arn), Tags: []ka.Tag{{Key: aws.String("team"), Value: aws.String("b")}, {Key: aws.String("env"), Value: aws.String("test")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagResource(ctx, &kinesisanalytics.TagResourceInput{ResourceARN: aws.String(arn), Tags: []ka.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}})
	wantErr(t, err, "InvalidArgumentException", "Tag key k is given more than once.")
	if _, err := c.UntagResource(ctx, &kinesisanalytics.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &kinesisanalytics.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "b" {
		t.Fatalf("tags: %v %+v", err, tags)
	}
	_, err = c.ListTagsForResource(ctx, &kinesisanalytics.ListTagsForResourceInput{ResourceARN: aws.String(arn + "x")})
	wantErrLike(t, err, "ResourceNotFoundException", "is not found")

	// Start, stop and the states they pass.
	_, err = c.StopApplication(ctx, &kinesisanalytics.StopApplicationInput{ApplicationName: aws.String("app1")})
	wantErrLike(t, err, "ResourceInUseException", "only a RUNNING application can be stopped")
	_, err = c.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String("app2"), InputConfigurations: []ka.InputConfiguration{}})
	wantErrLike(t, err, "InvalidApplicationConfigurationException", "has no input")
	startApp(t, c, "app1")
	_, err = c.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String("app1"), InputConfigurations: []ka.InputConfiguration{{Id: aws.String("1.1"),
		InputStartingPositionConfiguration: &ka.InputStartingPositionConfiguration{InputStartingPosition: ka.InputStartingPositionNow}}}})
	wantErrLike(t, err, "ResourceInUseException", "only a READY application can be started")
	if _, err := c.StopApplication(ctx, &kinesisanalytics.StopApplicationInput{ApplicationName: aws.String("app1")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "app1", ka.ApplicationStatusReady)
	if v := aws.ToInt64(describeApp(t, c, "app1").ApplicationVersionId); v != 8 {
		t.Fatalf("start and stop changed the version: %d", v)
	}

	// Delete needs the creation time.
	_, err = c.DeleteApplication(ctx, &kinesisanalytics.DeleteApplicationInput{ApplicationName: aws.String("app1"), CreateTimestamp: aws.Time(time.Unix(1, 0))})
	wantErrLike(t, err, "InvalidArgumentException", "CreateTimestamp 1970-01-01T00:00:01Z does not match")
	if _, err := c.DeleteApplication(ctx, &kinesisanalytics.DeleteApplicationInput{ApplicationName: aws.String("app1"), CreateTimestamp: d.CreateTimestamp}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String("app1")})
	wantErr(t, err, "ResourceNotFoundException", "Application app1 is not found.")
}

func ptr[T any](v T) *T { return &v }
