package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Enhanced fan-out through the AWS SDK for Go: stream consumers and
// SubscribeToShard, read with the SDK's own event-stream reader.

// registerActive registers a consumer and waits until it is ACTIVE.
func registerActive(t testing.TB, c *kinesis.Client, streamARN, name string) string {
	t.Helper()
	out, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String(name)})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	arn := *out.Consumer.ConsumerARN
	waitConsumerActive(t, c, arn)
	return arn
}

// waitConsumerActive waits until the consumer arn is ACTIVE.
func waitConsumerActive(t testing.TB, c *kinesis.Client, arn string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s still %s", arn, d.ConsumerDescription.ConsumerStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func streamARNOf(t testing.TB, c *kinesis.Client, name string) string {
	t.Helper()
	d, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return *d.StreamDescriptionSummary.StreamARN
}

// follower reads a shard through SubscribeToShard, subscribing again from
// the last ContinuationSequenceNumber each time a subscription ends, until
// it has want records or ctx ends.
type follower struct {
	c            *kinesis.Client
	consumer     string
	shard        string
	got          []string
	subscribes   int
	lastContinue string
	sawEmpty     bool
}

// subscribe calls SubscribeToShard on a client of its own made from c's
// options: the SDK's event-stream decoder shares one buffer per client, so
// two subscriptions of one client (even one closing while the next starts)
// race on it.
func subscribe(ctx context.Context, c *kinesis.Client, in *kinesis.SubscribeToShardInput) (*kinesis.SubscribeToShardOutput, error) {
	return kinesis.New(c.Options()).SubscribeToShard(ctx, in)
}

func (f *follower) run(ctx context.Context, start types.StartingPosition, want int) error {
	for len(f.got) < want {
		if f.lastContinue != "" {
			start = types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: aws.String(f.lastContinue)}
		}
		out, err := subscribe(ctx, f.c, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(f.consumer), ShardId: aws.String(f.shard), StartingPosition: &start})
		if err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		f.subscribes++
		stream := out.GetStream()
		for ev := range stream.Events() {
			e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
			if !ok {
				stream.Close()
				return fmt.Errorf("unexpected event %T", ev)
			}
			if len(e.Value.Records) == 0 {
				f.sawEmpty = true
			}
			for _, r := range e.Value.Records {
				f.got = append(f.got, string(r.Data))
			}
			if e.Value.ContinuationSequenceNumber == nil {
				stream.Close()
				return fmt.Errorf("no ContinuationSequenceNumber in an open shard's event")
			}
			f.lastContinue = *e.Value.ContinuationSequenceNumber
			if len(f.got) >= want {
				break
			}
		}
		stream.Close()
		if err := stream.Err(); err != nil && len(f.got) < want {
			return fmt.Errorf("event stream: %w", err)
		}
	}
	return nil
}

func TestSDKEnhancedFanOut(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.SubscriptionLifetime = 2 * time.Second
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "efo", 1)
	streamARN := streamARNOf(t, c, "efo")

	reg, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	cons := reg.Consumer
	if cons.ConsumerStatus != types.ConsumerStatusCreating || !strings.HasPrefix(*cons.ConsumerARN, streamARN+"/consumer/app:") ||
		*cons.ConsumerARN != fmt.Sprintf("%s/consumer/app:%d", streamARN, cons.ConsumerCreationTimestamp.Unix()) {
		t.Fatalf("registered %+v", cons)
	}
	_, err = c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("app")})
	wantErr(t, err, "ResourceInUseException", "")
	_, err = c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("bad name")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'bad name' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	_, err = c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("nobody")})
	wantErr(t, err, "ResourceNotFoundException", "")
	arn := *cons.ConsumerARN
	waitConsumerActive(t, c, arn)
	list, err := c.ListStreamConsumers(ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN)})
	if err != nil || len(list.Consumers) != 1 || *list.Consumers[0].ConsumerARN != arn {
		t.Fatalf("list: %+v %v", list, err)
	}
	sum, _ := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("efo")})
	if *sum.StreamDescriptionSummary.ConsumerCount != 1 {
		t.Fatalf("ConsumerCount %d", *sum.StreamDescriptionSummary.ConsumerCount)
	}
	if _, err := c.TagResource(ctx, &kinesis.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatalf("tag a consumer: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &kinesis.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("consumer tags: %+v %v", tags, err)
	}

	// Errors before the stream starts are plain JSON errors.
	_, err = subscribe(ctx, c, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(arn), ShardId: aws.String("shardId-000000000009"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	wantErr(t, err, "ResourceNotFoundException", "")

	// A subscriber at LATEST receives, in order, every record put while
	// it reads, across subscriptions that end after their lifetime.
	const n = 400
	f := &follower{c: c, consumer: arn, shard: "shardId-000000000000"}
	errc := make(chan error, 1)
	subCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	first, err := subscribe(subCtx, c, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(arn), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	if err != nil {
		t.Fatal(err)
	}
	// The first event tells where the subscription stands.
	ev := <-first.GetStream().Events()
	f.lastContinue = *ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent).Value.ContinuationSequenceNumber
	// One active subscription per consumer and shard.
	_, err = subscribe(ctx, c, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(arn), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	wantErr(t, err, "ResourceInUseException", "")
	// Let the first subscription end (its lifetime), then follow.
	for range first.GetStream().Events() {
	}
	first.GetStream().Close()
	go func() { errc <- f.run(subCtx, types.StartingPosition{}, n) }()
	var sent []string
	for b := range n / 20 {
		var entries []types.PutRecordsRequestEntry
		for i := range 20 {
			d := fmt.Sprintf("r%04d", b*20+i)
			sent = append(sent, d)
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(d), Data: []byte(d)})
		}
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("efo"), Records: entries})
		if err != nil || *out.FailedRecordCount != 0 {
			t.Fatalf("put: %v", err)
		}
		time.Sleep(150 * time.Millisecond) // the puts span more than a lifetime
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.got, sent) {
		t.Fatalf("received %d records, want %d in order; first %v", len(f.got), len(sent), f.got[:min(5, len(f.got))])
	}
	t.Logf("%d records over %d subscriptions", len(f.got), f.subscribes)
	if f.subscribes < 2 {
		t.Fatalf("every record came in one subscription of a 2s lifetime; resuming was not tested")
	}

	// A stream with consumers is deleted only with EnforceConsumerDeletion.
	_, err = c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("efo")})
	wantErr(t, err, "ResourceInUseException", "")
	if _, err := c.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	registerActive(t, c, streamARN, "other")
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("efo"), EnforceConsumerDeletion: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
}

// A subscriber that stops reading slows neither the writers nor another
// consumer of the same shard.
func TestSDKSlowSubscriberHoldsNobody(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "slow", 1)
	streamARN := streamARNOf(t, c, "slow")
	slowARN := registerActive(t, c, streamARN, "slow")
	fastARN := registerActive(t, c, streamARN, "fast")

	// The slow subscriber takes its first event, then reads no more: its
	// connection fills and the server's writes to it wait. It has a client
	// of its own: the SDK's event-stream decoder is shared by the streams
	// of one client, and two streams read at once race on its buffer
	// (smithy-go 1.28.8, internal/eventstream Codec.payloadBuf).
	slow, err := subscribe(ctx, client(srv.URL(), testCreds), &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(slowARN), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.GetStream().Close()
	<-slow.GetStream().Events()

	const batches, per, size = 32, 250, 1024
	want := batches * per
	f := &follower{c: c, consumer: fastARN, shard: "shardId-000000000000"}
	subCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var ferr error
	wg.Go(func() {
		ferr = f.run(subCtx, types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}, want)
	})
	pad := strings.Repeat("x", size-8)
	var sent []string
	for b := range batches {
		var entries []types.PutRecordsRequestEntry
		for i := range per {
			d := fmt.Sprintf("%08d", b*per+i)
			sent = append(sent, d)
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte(d + pad)})
		}
		out, err := c.PutRecords(subCtx, &kinesis.PutRecordsInput{StreamName: aws.String("slow"), Records: entries})
		if err != nil || *out.FailedRecordCount != 0 {
			t.Fatalf("put while a subscriber does not read: %v", err)
		}
	}
	wg.Wait()
	if ferr != nil {
		t.Fatal(ferr)
	}
	if len(f.got) != want {
		t.Fatalf("the reading consumer got %d of %d records", len(f.got), want)
	}
	for i, d := range f.got {
		if d[:8] != sent[i] {
			t.Fatalf("record %d is %s, want %s", i, d[:8], sent[i])
		}
	}
}

// TestJSSDKSubscribeToShard: the AWS SDK for JavaScript v3 under node,
// with its default client (HTTP/2 with prior knowledge to an http://
// endpoint), registers a consumer, subscribes and receives every record put
// meanwhile, in order.
func TestJSSDKSubscribeToShard(t *testing.T) {
	dir := jsClientDir(t)
	cfg := testConfig(t)
	cfg.Auth.AccessKeyID, cfg.Auth.SecretAccessKey = testCreds.AccessKeyID, testCreds.SecretAccessKey
	cfg.Kinesis.SubscriptionLifetime = 2 * time.Second
	srv := startServer(t, cfg)
	cmd := exec.Command("node", "node-subscribe.mjs")
	cmd.Dir, cmd.Env = dir, clientEnv(srv.URL(), "js-efo")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("client failed: %s (%s)", res.Error, res.Code)
	}
	if len(res.Sent) == 0 || !slices.Equal(res.Sent, res.Got) {
		t.Fatalf("put %d records, received %d: %q", len(res.Sent), len(res.Got), res.Got)
	}
	if res.Handler != "NodeHttp2Handler" {
		t.Errorf("the SDK's default request handler is %q, not the HTTP/2 one this test is about", res.Handler)
	}
	t.Logf("%d records over %d subscriptions", len(res.Got), res.Shards)
	if res.Shards < 2 {
		t.Fatalf("every record came in one subscription; resuming was not tested")
	}
}

// TestBoto3Consumers: boto3 (Debian's python3-boto3) registers, lists,
// describes and deregisters a consumer, and reads records in order with
// subscribe_to_shard through botocore's event-stream parser.
func TestBoto3Consumers(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	srv := signedServer(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_consumers.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "py-efo")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("client failed: %s", res.Error)
	}
	if len(res.Sent) != 30 || !slices.Equal(res.Sent, res.Got) {
		t.Fatalf("put %q, received %q", res.Sent, res.Got)
	}
}

// TestSDKSubscribeAcrossReshard: a subscriber follows a shard's lineage
// with SubscribeToShard: the parent's last event has no
// ContinuationSequenceNumber and names its children, whose records it then
// reads; every record arrives once, in order per partition key.
func TestSDKSubscribeAcrossReshard(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "lineage", 1)
	streamARN := streamARNOf(t, c, "lineage")
	arn := registerActive(t, c, streamARN, "app")
	put := func(from, n int) {
		var entries []types.PutRecordsRequestEntry
		for i := from; i < from+n; i++ {
			k := fmt.Sprintf("k%d", i%10)
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(k), Data: []byte(fmt.Sprintf("%s-%04d", k, i))})
		}
		if out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("lineage"), Records: entries}); err != nil || *out.FailedRecordCount != 0 {
			t.Fatalf("put: %v", err)
		}
	}
	put(0, 100)

	// The parent's subscriber waits at its end while the split closes it.
	sub, err := subscribe(ctx, c, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(arn), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var children []types.ChildShard
	stream := sub.GetStream()
	for ev := range stream.Events() {
		e := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent).Value
		for _, r := range e.Records {
			got = append(got, string(r.Data))
		}
		if len(got) == 100 && children == nil && len(e.ChildShards) == 0 {
			mid := new(big.Int).Lsh(big.NewInt(1), 127).String()
			if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("lineage"),
				ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String(mid)}); err != nil {
				t.Fatal(err)
			}
			waitActive(t, c, "lineage")
			put(100, 100)
		}
		if len(e.ChildShards) > 0 {
			if e.ContinuationSequenceNumber != nil {
				t.Fatalf("the parent's last event has ContinuationSequenceNumber %s", *e.ContinuationSequenceNumber)
			}
			children = e.ChildShards
		}
	}
	stream.Close()
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(children) != 2 || children[0].ParentShards[0] != "shardId-000000000000" {
		t.Fatalf("children %+v", children)
	}
	// The children, each read until its records are all in (the test
	// knows, by hashing, where each record went).
	for _, ch := range children {
		lo, _ := new(big.Int).SetString(*ch.HashKeyRange.StartingHashKey, 10)
		hi, _ := new(big.Int).SetString(*ch.HashKeyRange.EndingHashKey, 10)
		want := 0
		for i := 100; i < 200; i++ {
			sum := md5.Sum(fmt.Appendf(nil, "k%d", i%10))
			if h := new(big.Int).SetBytes(sum[:]); h.Cmp(lo) >= 0 && h.Cmp(hi) <= 0 {
				want++
			}
		}
		f := &follower{c: c, consumer: arn, shard: *ch.ShardId}
		if err := f.run(ctx, types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}, want); err != nil {
			t.Fatal(err)
		}
		got = append(got, f.got...)
	}
	if len(got) != 200 {
		t.Fatalf("read %d records, want 200", len(got))
	}
	last := map[string]string{}
	seen := map[string]bool{}
	for _, d := range got {
		k := d[:strings.IndexByte(d, '-')]
		if seen[d] || d <= last[k] {
			t.Fatalf("%s after %s (duplicate or out of order)", d, last[k])
		}
		seen[d], last[k] = true, d
	}
}
