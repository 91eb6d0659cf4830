package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

func s3Dest(bucket string, sizeMB, interval int32, compression types.CompressionFormat) *types.ExtendedS3DestinationConfiguration {
	return &types.ExtendedS3DestinationConfiguration{
		BucketARN: aws.String("arn:aws:s3:::" + bucket), RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"),
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(sizeMB), IntervalInSeconds: aws.Int32(interval)},
		CompressionFormat: compression,
	}
}

func putBatch(t testing.TB, c *firehose.Client, name string, recs [][]byte) *firehose.PutRecordBatchOutput {
	t.Helper()
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name)}
	for _, r := range recs {
		in.Records = append(in.Records, types.Record{Data: r})
	}
	out, err := c.PutRecordBatch(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedPutCount) != 0 || len(out.RequestResponses) != len(recs) {
		t.Fatalf("PutRecordBatch: %d failed, %d answers", aws.ToInt32(out.FailedPutCount), len(out.RequestResponses))
	}
	return out
}

// The API through the Go SDK: create, describe, list, tags, update with
// the version check, encryption, validation and errors.
func TestFirehoseSDKAPI(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	for _, n := range []string{"b", "a", "c"} {
		if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(n),
			ExtendedS3DestinationConfiguration: s3Dest("bkt", 5, 300, types.CompressionFormatUncompressed),
			Tags:                               []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("a"),
		ExtendedS3DestinationConfiguration: s3Dest("bkt", 5, 300, types.CompressionFormatUncompressed)})
	wantErr(t, err, "ResourceInUseException", "Firehose a under accountId 000000000000 already exists")
	list, err := c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{Limit: aws.Int32(2)})
	if err != nil || strings.Join(list.DeliveryStreamNames, ",") != "a,b" || !aws.ToBool(list.HasMoreDeliveryStreams) {
		t.Fatalf("list: %v %v", list, err)
	}
	list, _ = c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{ExclusiveStartDeliveryStreamName: aws.String("b")})
	if strings.Join(list.DeliveryStreamNames, ",") != "c" || aws.ToBool(list.HasMoreDeliveryStreams) {
		t.Fatalf("list after b: %v", list.DeliveryStreamNames)
	}
	list, _ = c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource})
	if len(list.DeliveryStreamNames) != 0 {
		t.Fatalf("list KinesisStreamAsSource: %v", list.DeliveryStreamNames)
	}
	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	desc := d.DeliveryStreamDescription
	if desc.DeliveryStreamStatus != types.DeliveryStreamStatusActive || aws.ToString(desc.VersionId) != "1" ||
		desc.DeliveryStreamType != types.DeliveryStreamTypeDirectPut || desc.DeliveryStreamEncryptionConfiguration.Status != types.DeliveryStreamEncryptionStatusDisabled ||
		len(desc.Destinations) != 1 || aws.ToString(desc.Destinations[0].DestinationId) != "destinationId-000000000001" {
		t.Fatalf("describe: %+v", desc)
	}
	x := desc.Destinations[0].ExtendedS3DestinationDescription
	if x == nil || aws.ToString(x.BucketARN) != "arn:aws:s3:::bkt" || aws.ToInt32(x.BufferingHints.IntervalInSeconds) != 300 ||
		x.S3BackupMode != types.S3BackupModeDisabled || desc.Destinations[0].S3DestinationDescription == nil {
		t.Fatalf("destination: %+v", desc.Destinations[0])
	}
	_, err = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("zz")})
	wantErr(t, err, "ResourceNotFoundException", "Firehose zz under account 000000000000 not found.")

	// UpdateDestination: a stale version, an unknown destination, a merge.
	_, err = c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{DeliveryStreamName: aws.String("a"), CurrentDeliveryStreamVersionId: aws.String("7"),
		DestinationId: aws.String("destinationId-000000000001"), ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{Prefix: aws.String("p/")}})
	wantErr(t, err, "ConcurrentModificationException", "")
	_, err = c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{DeliveryStreamName: aws.String("a"), CurrentDeliveryStreamVersionId: aws.String("1"),
		DestinationId: aws.String("destinationId-000000000009"), ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{Prefix: aws.String("p/")}})
	wantErr(t, err, "InvalidArgumentException", "")
	if _, err = c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{DeliveryStreamName: aws.String("a"), CurrentDeliveryStreamVersionId: aws.String("1"),
		DestinationId: aws.String("destinationId-000000000001"), ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{Prefix: aws.String("p/"),
			CompressionFormat: types.CompressionFormatGzip}}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("a")})
	x = d.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription
	if aws.ToString(d.DeliveryStreamDescription.VersionId) != "2" || aws.ToString(x.Prefix) != "p/" || x.CompressionFormat != types.CompressionFormatGzip ||
		aws.ToString(x.BucketARN) != "arn:aws:s3:::bkt" || d.DeliveryStreamDescription.LastUpdateTimestamp == nil {
		t.Fatalf("after update: version %s %+v", aws.ToString(d.DeliveryStreamDescription.VersionId), x)
	}

	// Tags.
	if _, err := c.TagDeliveryStream(ctx, &firehose.TagDeliveryStreamInput{DeliveryStreamName: aws.String("a"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("y")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagDeliveryStream(ctx, &firehose.TagDeliveryStreamInput{DeliveryStreamName: aws.String("a"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantErr(t, err, "InvalidArgumentException", "")
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i))})
	}
	_, err = c.TagDeliveryStream(ctx, &firehose.TagDeliveryStreamInput{DeliveryStreamName: aws.String("a"), Tags: many})
	wantErr(t, err, "LimitExceededException", "")
	c.UntagDeliveryStream(ctx, &firehose.UntagDeliveryStreamInput{DeliveryStreamName: aws.String("a"), TagKeys: []string{"env", "unknown"}})
	tags, err := c.ListTagsForDeliveryStream(ctx, &firehose.ListTagsForDeliveryStreamInput{DeliveryStreamName: aws.String("a")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "y" {
		t.Fatalf("tags: %+v %v", tags, err)
	}

	// Encryption: puts answer Encrypted while it is on.
	if _, err := c.StartDeliveryStreamEncryption(ctx, &firehose.StartDeliveryStreamEncryptionInput{DeliveryStreamName: aws.String("b"),
		DeliveryStreamEncryptionConfigurationInput: &types.DeliveryStreamEncryptionConfigurationInput{KeyType: types.KeyTypeAwsOwnedCmk}}); err != nil {
		t.Fatal(err)
	}
	p, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("b"), Record: &types.Record{Data: []byte("sealed")}})
	if err != nil || !aws.ToBool(p.Encrypted) || aws.ToString(p.RecordId) == "" {
		t.Fatalf("put while encrypted: %+v %v", p, err)
	}
	d, _ = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("b")})
	if e := d.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration; e.Status != types.DeliveryStreamEncryptionStatusEnabled || e.KeyType != types.KeyTypeAwsOwnedCmk {
		t.Fatalf("encryption: %+v", e)
	}
	_, err = c.StartDeliveryStreamEncryption(ctx, &firehose.StartDeliveryStreamEncryptionInput{DeliveryStreamName: aws.String("b"),
		DeliveryStreamEncryptionConfigurationInput: &types.DeliveryStreamEncryptionConfigurationInput{KeyType: types.KeyTypeCustomerManagedCmk, KeyARN: aws.String("arn:aws:kms:us-east-1:000000000000:key/nope")}})
	wantErr(t, err, "InvalidKMSResourceException", "")
	c.StopDeliveryStreamEncryption(ctx, &firehose.StopDeliveryStreamEncryptionInput{DeliveryStreamName: aws.String("b")})
	p, _ = c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("b"), Record: &types.Record{Data: []byte("plain")}})
	if aws.ToBool(p.Encrypted) {
		t.Fatal("put after stop: Encrypted")
	}

	// Validation.
	_, err = c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("a"), Record: &types.Record{Data: bytes.Repeat([]byte("x"), 1000*1024+1)}})
	wantErr(t, err, "ValidationException", "")
	big := make([][]byte, 501)
	for i := range big {
		big[i] = []byte("x")
	}
	_, err = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("a"), Records: recordsOf(big)})
	wantErr(t, err, "ValidationException", "")
	five := [][]byte{bytes.Repeat([]byte("x"), 1000*1024), bytes.Repeat([]byte("x"), 1000*1024), bytes.Repeat([]byte("x"), 1000*1024), bytes.Repeat([]byte("x"), 1000*1024), bytes.Repeat([]byte("x"), 1000*1024)}
	_, err = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("a"), Records: recordsOf(five)})
	wantErr(t, err, "InvalidArgumentException", "Records size exceeds 4 MB limit")
	_, err = c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("bad name!"),
		ExtendedS3DestinationConfiguration: s3Dest("bkt", 5, 300, types.CompressionFormatUncompressed)})
	wantErr(t, err, "ValidationException", "")
	// A Redshift cluster that no PostgreSQL database stands in for.
	_, err = c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("h"),
		RedshiftDestinationConfiguration: &types.RedshiftDestinationConfiguration{ClusterJDBCURL: aws.String("jdbc:redshift://nowhere.redshift.amazonaws.com:5439/dev"),
			CopyCommand: &types.CopyCommand{DataTableName: aws.String("t")}, Username: aws.String("u"), Password: aws.String("password"),
			RoleARN:         aws.String("arn:aws:iam::123456789012:role/r"),
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::123456789012:role/r")}}})
	wantErr(t, err, "InvalidArgumentException", "no PostgreSQL database stands in for the Redshift cluster jdbc:redshift://nowhere.redshift.amazonaws.com:5439/dev: map its ClusterJDBCURL to a connection string under firehose.redshift in shardcast's configuration")
	_, err = c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("z"),
		ExtendedS3DestinationConfiguration: s3Dest("bkt", 500, 300, types.CompressionFormatUncompressed)})
	wantErr(t, err, "ValidationException", "")
	_, err = c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("z")})
	wantErr(t, err, "InvalidArgumentException", "")

	if _, err := c.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("c")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func recordsOf(data [][]byte) []types.Record {
	out := make([]types.Record, len(data))
	for i, d := range data {
		out[i] = types.Record{Data: d}
	}
	return out
}

// Buffering by size: with a long interval, an object is written once the
// buffer reaches SizeInMBs, and not before.
func TestFirehoseBufferBySize(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("size"),
		ExtendedS3DestinationConfiguration: s3Dest("size", 1, 900, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	rec := bytes.Repeat([]byte("r"), 1000)
	batch := make([][]byte, 500)
	for i := range batch {
		batch[i] = rec
	}
	putBatch(t, c, "size", batch) // 500,000 bytes: under 1 MiB
	dir := filepath.Join(cfg.DataDir, "s3", "size")
	putBatch(t, c, "size", batch) // 1,000,000 bytes: still under
	srv.firehose.Sync(t.Context())
	if names := objects(t, dir); len(names) != 0 {
		t.Fatalf("objects before the buffer is full: %v", names)
	}
	putBatch(t, c, "size", batch[:100]) // over 1 MiB: flushed
	// The object holds what the buffer held when it reached 1 MiB: all
	// 1,100,000 bytes when delivery read the last batch at once, less
	// when it read it in parts (the JetStream store shows a batch's
	// records as they are stored); the rest waits for the interval.
	names := waitObjects(t, dir, 1<<20)
	if got := len(readObjects(t, dir, names)); len(names) != 1 || got > 1_100_000 {
		t.Fatalf("objects: %v, %d bytes", names, got)
	}
}

// Buffering by interval: with IntervalInSeconds 1 and a large size, what
// was put is delivered after the interval, in one object per interval.
func TestFirehoseBufferByInterval(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("iv"),
		ExtendedS3DestinationConfiguration: s3Dest("iv", 128, 1, types.CompressionFormatGzip)}); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range 10 {
		r := []byte(fmt.Sprintf("record %d\n", i))
		want = append(want, r...)
		putBatch(t, c, "iv", [][]byte{r})
	}
	dir := filepath.Join(cfg.DataDir, "s3", "iv")
	names := waitObjects(t, dir, len(want))
	if got := readObjects(t, dir, names); !bytes.Equal(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
}

// With --firehose-create-delay a new stream is CREATING first (puts are
// refused, delete too), then ACTIVE, as waiters expect; the
// admin endpoint reports its delivery.
func TestFirehoseCreatingThenActive(t *testing.T) {
	cfg := testConfig(t)
	// Long enough that the calls below all see CREATING however loaded
	// the machine is.
	cfg.Firehose.CreateDelay = 5 * time.Second
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("slow"),
		ExtendedS3DestinationConfiguration: s3Dest("slow", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("slow")})
	if d.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusCreating {
		t.Fatalf("status %s", d.DeliveryStreamDescription.DeliveryStreamStatus)
	}
	_, err := c.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("slow")})
	wantErr(t, err, "ResourceInUseException", "")
	waitFor(t, time.Minute, "ACTIVE", func() bool {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("slow")})
		return err == nil && d.DeliveryStreamDescription.DeliveryStreamStatus == types.DeliveryStreamStatusActive
	})
	putBatch(t, c, "slow", [][]byte{[]byte("a"), []byte("bc")})
	waitObjects(t, filepath.Join(cfg.DataDir, "s3", "slow"), 3)
	srv.firehose.Sync(ctx)
	st := firehoseStats(t, srv.URL())
	if len(st) != 1 || st[0].Name != "slow" || st[0].Destinations[0].DeliveredRecords != 2 || st[0].Destinations[0].DeliveredBytes != 3 {
		t.Fatalf("admin: %+v", st)
	}
}
