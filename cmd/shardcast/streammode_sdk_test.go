package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// streamModes returns the StreamModeDetails of a stream as DescribeStream,
// DescribeStreamSummary and ListStreams show it, and its open shards.
func streamModes(t *testing.T, c *kinesis.Client, name string) (modes [3]types.StreamMode, open int) {
	t.Helper()
	d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	modes[0] = d.StreamDescription.StreamModeDetails.StreamMode
	modes[1] = s.StreamDescriptionSummary.StreamModeDetails.StreamMode
	for _, ss := range l.StreamSummaries {
		if *ss.StreamName == name {
			modes[2] = ss.StreamModeDetails.StreamMode
		}
	}
	if n := int(*s.StreamDescriptionSummary.OpenShardCount); n != len(d.StreamDescription.Shards) {
		t.Fatalf("%d open shards, %d described", n, len(d.StreamDescription.Shards))
	}
	return modes, int(*s.StreamDescriptionSummary.OpenShardCount)
}

func wantMode(t *testing.T, c *kinesis.Client, name string, mode types.StreamMode, shards int) {
	t.Helper()
	modes, open := streamModes(t, c, name)
	if modes != [3]types.StreamMode{mode, mode, mode} || open != shards {
		t.Fatalf("%s: modes %v (describe, summary, list), %d shards; want %s, %d", name, modes, open, mode, shards)
	}
}

func TestSDKStreamModes(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.OnDemandStreamCountLimit = 2
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/"

	// ON_DEMAND streams start with four shards, asked for or by default.
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("od"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, c, "od", types.StreamModeOnDemand, 4)
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, c, "plain", types.StreamModeOnDemand, 4)
	createStream(t, c, "pv", 3)
	wantMode(t, c, "pv", types.StreamModeProvisioned, 3)
	lim, err := c.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
	if err != nil || *lim.OnDemandStreamCount != 2 || *lim.OnDemandStreamCountLimit != 2 || *lim.OpenShardCount != 11 {
		t.Fatalf("limits %+v %v", lim, err)
	}

	// Resharding an ON_DEMAND stream is a ValidationException.
	onDemand := "Request is invalid. Stream od under account 000000000000 is in On-Demand mode."
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("od"), TargetShardCount: aws.Int32(5), ScalingType: types.ScalingTypeUniformScaling})
	wantErr(t, err, "ValidationException", onDemand)
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("od"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("5")})
	wantErr(t, err, "ValidationException", onDemand)
	_, err = c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("od"), ShardToMerge: aws.String("shardId-000000000000"), AdjacentShardToMerge: aws.String("shardId-000000000001")})
	wantErr(t, err, "ValidationException", onDemand)

	// Model validation, then the stream, then the service's checks.
	_, err = c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: "FAST"}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'FAST' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]")
	// What the SDK would refuse before sending, on the wire.
	for _, w := range []struct{ body, want string }{
		{`{"StreamARN":"pv","WarmThroughputMiBps":-1}`, `{"__type":"ValidationException","message":"3 validation errors detected: ` +
			`Value 'pv' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+; ` +
			`Value null at 'streamModeDetails' failed to satisfy constraint: Member must not be null; ` +
			`Value '-1' at 'warmThroughputMiBps' failed to satisfy constraint: Member must have value greater than or equal to 0"}`},
		{`{"StreamModeDetails":{}}`, `{"__type":"ValidationException","message":"2 validation errors detected: ` +
			`Value null at 'streamARN' failed to satisfy constraint: Member must not be null; ` +
			`Value null at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must not be null"}`},
	} {
		a := kinesisCall(t, srv.URL(), "UpdateStreamMode", "application/x-amz-json-1.1", w.body)
		if a.status != 400 || strings.TrimSpace(a.body) != w.want {
			t.Fatalf("%s: %d %s\nwant %s", w.body, a.status, a.body, w.want)
		}
	}
	_, err = c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "nope"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
	wantErr(t, err, "ResourceNotFoundException", "Stream nope under account 000000000000 not found.")
	_, err = c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned}})
	wantErr(t, err, "InvalidArgumentException", "Stream pv under account 000000000000 is already in PROVISIONED mode.")
	// A third ON_DEMAND stream is over the account's limit.
	_, err = c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
	wantErr(t, err, "LimitExceededException", "This request would exceed the on-demand stream limit for the account 000000000000 in us-east-1. Limit: 2.")
	wantMode(t, c, "pv", types.StreamModeProvisioned, 3)

	// Both ways: the shards stay.
	if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "od"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned}}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, c, "od", types.StreamModeProvisioned, 4)
	if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, c, "pv", types.StreamModeOnDemand, 3)
	if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned}}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, c, "pv", types.StreamModeProvisioned, 3)

	// Twice in 24 hours, across a restart.
	srv.Close()
	srv = startServer(t, cfg)
	c = client(srv.URL(), testCreds)
	wantMode(t, c, "pv", types.StreamModeProvisioned, 3)
	wantMode(t, c, "od", types.StreamModeProvisioned, 4)
	_, err = c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn + "pv"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
	wantErr(t, err, "LimitExceededException", "")
	// A PutRecords still goes through, and no operation answers "unsupported".
	if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("pv"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
}

// TestBoto3StreamModes: boto3 creates an ON_DEMAND stream, switches its
// mode both ways and reads StreamModeDetails back from every describe.
func TestBoto3StreamModes(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	srv := signedServer(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_streammode.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "modes")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("boto3: %s (%s)", res.Error, res.Code)
	}
	want := []string{"ON_DEMAND 4", "PROVISIONED 4", "ON_DEMAND 4", "LimitExceededException"}
	if len(res.Got) != len(want) {
		t.Fatalf("boto3 saw %q, want %q", res.Got, want)
	}
	for i := range want {
		if res.Got[i] != want[i] {
			t.Fatalf("boto3 saw %q, want %q", res.Got, want)
		}
	}
	t.Logf("boto3 %s", res.Boto3)
}
