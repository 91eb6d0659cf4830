package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The embedded default: with no configuration, create-delivery-stream with
// an ExtendedS3 destination and put-record leave GZIP files under
// <data-dir>/s3/<bucket>/YYYY/MM/DD/HH/ that decompress to the records.
func TestFirehoseCLIEmbeddedDefault(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	aws := newCLI(t, srv.URL())
	// This CLI takes blobs in base64. botocore refuses IntervalInSeconds below 60 before sending; the
	// server takes 0 (deliver at once), as AWS does.
	for _, e := range aws.env {
		if f, ok := strings.CutPrefix(e, "AWS_CONFIG_FILE="); ok {
			os.WriteFile(f, []byte("[default]\nparameter_validation = false\n"), 0o600)
		}
	}
	var created struct{ DeliveryStreamARN string }
	aws.ok(&created, "firehose", "create-delivery-stream", "--delivery-stream-name", "logs",
		"--extended-s3-destination-configuration",
		"BucketARN=arn:aws:s3:::logs,RoleARN=arn:aws:iam::123456789012:role/firehose,CompressionFormat=GZIP,BufferingHints={SizeInMBs=1,IntervalInSeconds=0}")
	if created.DeliveryStreamARN != "arn:aws:firehose:us-east-1:000000000000:deliverystream/logs" && !strings.HasSuffix(created.DeliveryStreamARN, ":deliverystream/logs") {
		t.Fatalf("ARN %q", created.DeliveryStreamARN)
	}
	var desc struct {
		DeliveryStreamDescription struct {
			DeliveryStreamStatus string
			VersionId            string
			Destinations         []struct {
				DestinationId                    string
				ExtendedS3DestinationDescription struct{ CompressionFormat, BucketARN string }
			}
		}
	}
	aws.ok(&desc, "firehose", "describe-delivery-stream", "--delivery-stream-name", "logs")
	d := desc.DeliveryStreamDescription
	if d.DeliveryStreamStatus != "ACTIVE" || d.VersionId != "1" || len(d.Destinations) != 1 ||
		d.Destinations[0].DestinationId != "destinationId-000000000001" || d.Destinations[0].ExtendedS3DestinationDescription.CompressionFormat != "GZIP" {
		t.Fatalf("describe: %+v", d)
	}
	want := ""
	for _, rec := range []string{"one\n", "two\n", "three\n"} {
		var put struct{ RecordId string }
		aws.ok(&put, "firehose", "put-record", "--delivery-stream-name", "logs", "--record", "Data="+base64.StdEncoding.EncodeToString([]byte(rec)))
		if put.RecordId == "" {
			t.Fatal("no RecordId")
		}
		want += rec
	}
	dir := filepath.Join(cfg.DataDir, "s3", "logs")
	names := waitObjects(t, dir, len(want))
	if got := string(readObjects(t, dir, names)); got != want {
		t.Fatalf("objects hold %q, want %q", got, want)
	}
	key := regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\d{2}/logs-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$`)
	hour := time.Now().UTC().Format("2006/01/02/")
	for _, n := range names {
		if !key.MatchString(n) || !strings.HasPrefix(n, hour) {
			t.Fatalf("object key %q", n)
		}
	}
	var list struct{ DeliveryStreamNames []string }
	aws.ok(&list, "firehose", "list-delivery-streams")
	if strings.Join(list.DeliveryStreamNames, ",") != "logs" {
		t.Fatalf("list: %v", list.DeliveryStreamNames)
	}
	_, stderr, code := aws.run("firehose", "describe-delivery-stream", "--delivery-stream-name", "nope")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Firehose nope under account") {
		t.Fatalf("describe nope: %d %s", code, stderr)
	}
	aws.ok(nil, "firehose", "delete-delivery-stream", "--delivery-stream-name", "logs")
}
