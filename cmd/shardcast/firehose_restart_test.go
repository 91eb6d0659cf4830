package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// countLines counts each line of the objects under dir.
func countLines(t testing.TB, dir string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, l := range strings.Split(string(readObjects(t, dir, objects(t, dir))), "\n") {
		if l != "" {
			n[l]++
		}
	}
	return n
}

// A clean restart keeps the delivered position: nothing is delivered
// twice, nothing is lost.
func TestFirehoseRestartKeepsPosition(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Storage == "memory" {
		cfg.Storage = "file"
	}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("r"),
		ExtendedS3DestinationConfiguration: s3Dest("r", 1, 0, types.CompressionFormatGzip)}); err != nil {
		t.Fatal(err)
	}
	var want []byte
	put := func(c *firehose.Client, from, to int) {
		var batch [][]byte
		for i := from; i < to; i++ {
			r := []byte(fmt.Sprintf("rec-%05d\n", i))
			batch = append(batch, r)
			want = append(want, r...)
		}
		putBatch(t, c, "r", batch)
	}
	put(c, 0, 100)
	dir := filepath.Join(cfg.DataDir, "s3", "r")
	waitObjects(t, dir, len(want))
	put(c, 100, 200) // may or may not be delivered before the stop
	srv.Close()

	srv = startServer(t, cfg)
	c = firehoseClient(srv.URL())
	put(c, 200, 300)
	waitObjects(t, dir, len(want))
	got := countLines(t, dir)
	for _, l := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if got[l] != 1 {
			t.Fatalf("record %s delivered %d times", l, got[l])
		}
	}
	if len(got) != 300 {
		t.Fatalf("%d distinct records delivered, want 300", len(got))
	}
}

// kill -9 of a real shardcast process while it delivers: after a restart,
// every acknowledged record is delivered at least once.
func TestFirehoseKill9(t *testing.T) {
	data := t.TempDir()
	p := startBinary(t, "--data-dir", data)
	c := firehoseClient(p.url)
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("k"),
		ExtendedS3DestinationConfiguration: s3Dest("k", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var recs []types.Record
				var lines []string
				for j := range 50 {
					l := fmt.Sprintf("w%d-%06d-%02d", w, i, j)
					lines = append(lines, l)
					recs = append(recs, types.Record{Data: []byte(l + "\n")})
				}
				if _, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("k"), Records: recs}); err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, lines...)
				mu.Unlock()
			}
		}()
	}
	dir := filepath.Join(data, "s3", "k")
	waitObjects(t, dir, 100_000) // delivery is under way
	p.kill()
	close(stop)
	wg.Wait()

	p = startBinary(t, "--data-dir", data)
	mu.Lock()
	want := append([]string(nil), acked...)
	mu.Unlock()
	// Wait for every acknowledged record, not for their size in bytes:
	// records delivered twice (at least once) reach that size early.
	deadline := time.Now().Add(time.Minute)
	for {
		got := countLines(t, dir)
		missing := ""
		for _, l := range want {
			if got[l] == 0 {
				missing = l
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged record %s was not delivered (%d acknowledged, %d distinct delivered)", missing, len(want), len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d acknowledged records, all delivered after kill -9", len(want))
	p.stop(t)
}

// A data stream as the source: records put to the data stream after the
// delivery stream's creation are delivered, and its position survives a
// restart (nothing twice, nothing lost).
func TestFirehoseKinesisSource(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Storage == "memory" {
		cfg.Storage = "file"
	}
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("src"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	putKinesis := func(kc *kinesis.Client, from, to int) []byte {
		var all []byte
		for i := from; i < to; i++ {
			d := []byte(fmt.Sprintf("k-%04d\n", i))
			all = append(all, d...)
			if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("src"), PartitionKey: aws.String(fmt.Sprint(i)), Data: d}); err != nil {
				t.Fatal(err)
			}
		}
		return all
	}
	putKinesis(kc, 0, 5) // before the delivery stream: never read
	c := firehoseClient(srv.URL())
	arn := "arn:aws:kinesis:us-east-1:000000000000:stream/src"
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("fromk"),
		DeliveryStreamType:                 types.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration:   &types.KinesisStreamSourceConfiguration{KinesisStreamARN: aws.String(arn), RoleARN: aws.String("arn:aws:iam::123456789012:role/r")},
		ExtendedS3DestinationConfiguration: s3Dest("fromk", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("fromk"), Record: &types.Record{Data: []byte("x")}})
	wantErr(t, err, "InvalidArgumentException", "This operation is not permitted on KinesisStreamAsSource delivery stream type.")
	d, _ := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("fromk")})
	if s := d.DeliveryStreamDescription.Source; s == nil || s.KinesisStreamSourceDescription == nil || aws.ToString(s.KinesisStreamSourceDescription.KinesisStreamARN) != arn {
		t.Fatalf("source: %+v", d.DeliveryStreamDescription.Source)
	}
	want := putKinesis(kc, 5, 25)
	dir := filepath.Join(cfg.DataDir, "s3", "fromk")
	waitObjects(t, dir, len(want))
	srv.Close()

	srv = startServer(t, cfg)
	kc = client(srv.URL(), testCreds)
	want = append(want, putKinesis(kc, 25, 40)...)
	waitObjects(t, dir, len(want))
	got := countLines(t, dir)
	for i := 0; i < 40; i++ {
		l := fmt.Sprintf("k-%04d", i)
		if n := got[l]; (i < 5 && n != 0) || (i >= 5 && n != 1) {
			t.Fatalf("record %s delivered %d times", l, n)
		}
	}
}

// A data stream as the source across a split: the parent is read to its
// end, then its children, and every record is delivered once.
func TestFirehoseKinesisSourceReshard(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc := client(srv.URL(), testCreds)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("rs"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	c := firehoseClient(srv.URL())
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("rs"),
		DeliveryStreamType:                 types.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration:   &types.KinesisStreamSourceConfiguration{KinesisStreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/rs"), RoleARN: aws.String("arn:aws:iam::123456789012:role/r")},
		ExtendedS3DestinationConfiguration: s3Dest("rs", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	total := 0
	put := func(from, to int) {
		for i := from; i < to; i++ {
			d := fmt.Sprintf("rs-%04d\n", i)
			total += len(d)
			if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("rs"), PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte(d)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(0, 30)
	if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("rs"), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the split", func() bool {
		d, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("rs")})
		return err == nil && d.StreamDescriptionSummary.StreamStatus == "ACTIVE"
	})
	put(30, 60)
	dir := filepath.Join(cfg.DataDir, "s3", "rs")
	waitObjects(t, dir, total)
	got := countLines(t, dir)
	for i := range 60 {
		if l := fmt.Sprintf("rs-%04d", i); got[l] != 1 {
			t.Fatalf("%s delivered %d times", l, got[l])
		}
	}
}
