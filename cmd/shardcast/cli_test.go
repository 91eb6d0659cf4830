package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI runs the real AWS CLI v2 (the Debian package's /usr/bin/aws)
// against url and decodes its JSON output into out (when not nil).
type awsCLI struct {
	t   *testing.T
	url string
	env []string
}

func newCLI(t *testing.T, url string) *awsCLI {
	t.Helper()
	const bin = "/usr/bin/aws"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the AWS CLI is required (make test installs the awscli package): %v", err)
	}
	home := t.TempDir()
	return &awsCLI{t: t, url: url, env: []string{
		"HOME=" + home, "PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=" + testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + testCreds.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
	}}
}

// run returns stdout, stderr and the exit code.
func (a *awsCLI) run(args ...string) (string, string, int) {
	a.t.Helper()
	cmd := exec.Command("/usr/bin/aws", append([]string{"--endpoint-url", a.url, "--output", "json"}, args...)...)
	cmd.Env = a.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		a.t.Fatalf("aws %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs a command that must succeed and decodes its output.
func (a *awsCLI) ok(out any, args ...string) {
	a.t.Helper()
	stdout, stderr, code := a.run(args...)
	if code != 0 {
		a.t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			a.t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), stdout, err)
		}
	}
}

func TestAWSCLI(t *testing.T) {
	p := startBinary(t, "--data-dir", t.TempDir())
	aws := newCLI(t, p.url)

	aws.ok(nil, "kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "2")
	aws.ok(nil, "kinesis", "wait", "stream-exists", "--stream-name", "cli")
	var streams struct{ StreamNames []string }
	aws.ok(&streams, "kinesis", "list-streams")
	if strings.Join(streams.StreamNames, ",") != "cli" {
		t.Fatalf("list-streams: %v", streams.StreamNames)
	}
	var summary struct {
		StreamDescriptionSummary struct {
			StreamStatus   string
			OpenShardCount int
		}
	}
	aws.ok(&summary, "kinesis", "describe-stream-summary", "--stream-name", "cli")
	if summary.StreamDescriptionSummary.StreamStatus != "ACTIVE" || summary.StreamDescriptionSummary.OpenShardCount != 2 {
		t.Fatalf("describe-stream-summary: %+v", summary)
	}

	var put struct{ ShardId, SequenceNumber string }
	aws.ok(&put, "kinesis", "put-record", "--stream-name", "cli", "--partition-key", "user-1",
		"--data", "hello from the cli", "--cli-binary-format", "raw-in-base64-out")
	if len(put.SequenceNumber) != 56 || !strings.HasPrefix(put.ShardId, "shardId-") {
		t.Fatalf("put-record: %+v", put)
	}
	var puts struct {
		FailedRecordCount int
		Records           []struct{ ShardId, SequenceNumber string }
	}
	aws.ok(&puts, "kinesis", "put-records", "--stream-name", "cli", "--cli-binary-format", "raw-in-base64-out",
		"--records", "Data=one,PartitionKey=user-1", "Data=two,PartitionKey=user-1")
	if puts.FailedRecordCount != 0 || len(puts.Records) != 2 || puts.Records[0].ShardId != put.ShardId {
		t.Fatalf("put-records: %+v", puts)
	}

	var it struct{ ShardIterator string }
	aws.ok(&it, "kinesis", "get-shard-iterator", "--stream-name", "cli", "--shard-id", put.ShardId,
		"--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--starting-sequence-number", put.SequenceNumber)
	var got struct {
		Records []struct {
			SequenceNumber, PartitionKey, Data string
		}
		NextShardIterator  string
		MillisBehindLatest int64
	}
	aws.ok(&got, "kinesis", "get-records", "--shard-iterator", it.ShardIterator)
	var texts []string
	for _, r := range got.Records {
		b, err := base64.StdEncoding.DecodeString(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, r.PartitionKey+":"+string(b))
	}
	if strings.Join(texts, "|") != "user-1:hello from the cli|user-1:one|user-1:two" || got.Records[0].SequenceNumber != put.SequenceNumber || got.NextShardIterator == "" {
		t.Fatalf("get-records: %v %+v", texts, got)
	}

	var shards struct{ Shards []struct{ ShardId string } }
	aws.ok(&shards, "kinesis", "list-shards", "--stream-name", "cli")
	if len(shards.Shards) != 2 {
		t.Fatalf("list-shards: %+v", shards)
	}
	aws.ok(nil, "kinesis", "add-tags-to-stream", "--stream-name", "cli", "--tags", "team=data,env=test")
	var tags struct {
		Tags        []struct{ Key, Value string }
		HasMoreTags bool
	}
	aws.ok(&tags, "kinesis", "list-tags-for-stream", "--stream-name", "cli")
	if len(tags.Tags) != 2 || tags.Tags[0].Key != "env" || tags.Tags[1].Value != "data" {
		t.Fatalf("list-tags-for-stream: %+v", tags)
	}
	aws.ok(nil, "kinesis", "increase-stream-retention-period", "--stream-name", "cli", "--retention-period-hours", "48")
	aws.ok(nil, "kinesis", "start-stream-encryption", "--stream-name", "cli", "--encryption-type", "KMS", "--key-id", "alias/aws/kinesis")
	var desc struct {
		StreamDescription struct {
			EncryptionType, KeyId string
			RetentionPeriodHours  int
		}
	}
	aws.ok(&desc, "kinesis", "describe-stream", "--stream-name", "cli")
	if d := desc.StreamDescription; d.EncryptionType != "KMS" || d.KeyId != "alias/aws/kinesis" || d.RetentionPeriodHours != 48 {
		t.Fatalf("describe-stream: %+v", d)
	}
	var limits struct{ ShardLimit, OpenShardCount int }
	aws.ok(&limits, "kinesis", "describe-limits")
	if limits.OpenShardCount != 2 {
		t.Fatalf("describe-limits: %+v", limits)
	}

	// Errors reach the CLI with their AWS names and messages.
	_, stderr, code := aws.run("kinesis", "describe-stream", "--stream-name", "nope")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Stream nope under account 000000000000 not found.") {
		t.Fatalf("describe-stream of a missing stream: exit %d, %s", code, stderr)
	}
	_, stderr, code = aws.run("kinesis", "decrease-stream-retention-period", "--stream-name", "cli", "--retention-period-hours", "12")
	if code == 0 || !strings.Contains(stderr, "InvalidArgumentException") || !strings.Contains(stderr, "Minimum allowed retention period is 24 hours.") {
		t.Fatalf("retention below minimum: exit %d, %s", code, stderr)
	}
	aws.ok(nil, "kinesis", "merge-shards", "--stream-name", "cli", "--shard-to-merge", "shardId-000000000000", "--adjacent-shard-to-merge", "shardId-000000000001")
	_, stderr, code = aws.run("kinesis", "split-shard", "--stream-name", "cli", "--shard-to-split", "shardId-000000000000", "--new-starting-hash-key", "7")
	if code == 0 || !strings.Contains(stderr, "InvalidArgumentException") || !strings.Contains(stderr, "has already been merged or split, and thus is not eligible for merging or splitting.") {
		t.Fatalf("split-shard of a merged shard: exit %d, %s", code, stderr)
	}

	aws.ok(nil, "kinesis", "delete-stream", "--stream-name", "cli")
	aws.ok(&streams, "kinesis", "list-streams")
	if len(streams.StreamNames) != 0 {
		t.Fatalf("after delete: %v", streams.StreamNames)
	}
	p.stop(t)
}
