package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
	"github.com/shardcast/shardcast/datastreams/producer"
)

// userRead is one user record read back from a stream.
type userRead struct {
	pk, data   string
	shard, seq string
	sub        int
	aggregated bool
}

// readUsers reads every shard of a stream (closed ones too) from the trim
// horizon, de-aggregates what it reads, and applies the KCL's rule: an
// aggregate holding a user record whose hash is outside the shard's range
// is dropped whole (dropped counts those aggregates). A plain record whose
// key is outside its shard's range fails the test: Kinesis routes those.
func readUsers(t *testing.T, c *kinesis.Client, stream string) (users []userRead, kinesisRecords, dropped int) {
	t.Helper()
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	for _, s := range shards {
		lo, _ := new(big.Int).SetString(*s.HashKeyRange.StartingHashKey, 10)
		hi, _ := new(big.Int).SetString(*s.HashKeyRange.EndingHashKey, 10)
		inside := func(pk string) bool {
			sum := md5.Sum([]byte(pk))
			h := new(big.Int).SetBytes(sum[:])
			return h.Cmp(lo) >= 0 && h.Cmp(hi) <= 0
		}
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			var pte *types.ProvisionedThroughputExceededException
			if errors.As(err, &pte) { // a stream with AWS's read limits
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range gr.Records {
				kinesisRecords++
				recs, ok, err := kpl.Deaggregate(r.Data, *r.PartitionKey, "")
				if err != nil {
					t.Fatalf("%s %s: %v", *s.ShardId, *r.SequenceNumber, err)
				}
				if !ok && !inside(*r.PartitionKey) {
					t.Fatalf("plain record %q on %s outside its range", *r.PartitionKey, *s.ShardId)
				}
				all := true
				for _, u := range recs {
					all = all && inside(u.PartitionKey)
				}
				if !all {
					dropped++
					continue
				}
				for i, u := range recs {
					users = append(users, userRead{pk: u.PartitionKey, data: string(u.Data), shard: *s.ShardId, seq: *r.SequenceNumber, sub: i, aggregated: ok})
				}
			}
			if len(gr.Records) == 0 && s.SequenceNumberRange.EndingSequenceNumber == nil {
				break
			}
			iter = gr.NextShardIterator
		}
	}
	return users, kinesisRecords, dropped
}

// deliveries collects what a producer reports, checking that reports come
// in Put order (tags are the Put index).
type deliveries struct {
	mu         sync.Mutex
	next       int
	delivered  map[int]producer.Delivered
	failed     map[int]producer.Failure
	outOfOrder int
}

func newDeliveries() *deliveries {
	return &deliveries{delivered: map[int]producer.Delivered{}, failed: map[int]producer.Failure{}}
}

func (d *deliveries) seen(tag int) {
	if tag != d.next {
		d.outOfOrder++
	}
	d.next = tag + 1
}

func (d *deliveries) onDelivered(e producer.Delivered) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen(e.Tag.(int))
	d.delivered[e.Tag.(int)] = e
}

func (d *deliveries) onFailure(f producer.Failure) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen(f.Tag.(int))
	d.failed[f.Tag.(int)] = f
}

// checkExactlyOnce checks that the stream holds each delivered record once
// where its report said, and no failed or unknown record.
func (d *deliveries) checkExactlyOnce(t *testing.T, users []userRead, total int) {
	t.Helper()
	if d.outOfOrder != 0 {
		t.Errorf("%d reports out of Put order", d.outOfOrder)
	}
	if len(d.delivered)+len(d.failed) != total {
		t.Fatalf("%d delivered + %d failed of %d put", len(d.delivered), len(d.failed), total)
	}
	seen := map[int]bool{}
	for _, u := range users {
		i, err := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(u.data, "record-"), " "))
		if err != nil {
			t.Fatalf("unexpected data %q", u.data)
		}
		if seen[i] {
			t.Fatalf("record %d read twice", i)
		}
		seen[i] = true
		e, ok := d.delivered[i]
		if !ok {
			t.Fatalf("record %d in the stream but not reported delivered (failed: %v)", i, d.failed[i].Err)
		}
		if e.ShardID != u.shard || e.SequenceNumber != u.seq || e.SubSequence != u.sub || e.PartitionKey != u.pk || string(e.Data) != u.data {
			t.Fatalf("record %d: reported %s %s/%d, read on %s %s/%d", i, e.ShardID, e.SequenceNumber, e.SubSequence, u.shard, u.seq, u.sub)
		}
	}
	if len(seen) != len(d.delivered) {
		t.Fatalf("%d delivered, %d read", len(d.delivered), len(seen))
	}
}

func putUsers(t *testing.T, p *producer.Producer, from, to int, keys int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := p.PutTagged(ctx, "key-"+strconv.Itoa(i%keys), []byte("record-"+strconv.Itoa(i)), i); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKPLProducerRoutesAggregates puts user records through the producer
// into 4 shards and reads them back: all arrive once, each aggregate holds
// only records that hash to its shard, and the producer's reports match.
func TestKPLProducerRoutesAggregates(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "kpl", 4)
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "kpl", OnDelivered: d.onDelivered, OnFailure: d.onFailure,
		ShardBytesPerSec: -1, ShardRecordsPerSec: -1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	putUsers(t, p, 0, n, 5000)
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	users, krecs, dropped := readUsers(t, c, "kpl")
	if dropped != 0 || len(users) != n || len(d.failed) != 0 {
		t.Fatalf("read %d of %d, %d aggregates dropped, %d failed", len(users), n, dropped, len(d.failed))
	}
	d.checkExactlyOnce(t, users, n)
	perShard := map[string]int{}
	for _, u := range users {
		perShard[u.shard]++
	}
	if len(perShard) != 4 || m.UserRecords != n || m.KinesisRecords != int64(krecs) || krecs > n/100 || m.Retries != 0 {
		t.Fatalf("per shard %v; metrics %+v; %d Kinesis records", perShard, m, krecs)
	}
}

// TestKPLProducerFollowsReshard keeps putting while the stream goes from 2
// to 4 shards: the producer learns the new map from where its records land,
// and every record is delivered once, counting only what a KCL consumer
// would keep.
func TestKPLProducerFollowsReshard(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "resh", 2)
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "resh", OnDelivered: d.onDelivered, OnFailure: d.onFailure,
		Linger: 5 * time.Millisecond, ShardBytesPerSec: -1, ShardRecordsPerSec: -1, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40_000
	putUsers(t, p, 0, n/2, 1000)
	if _, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("resh"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, "resh")
	putUsers(t, p, n/2, n, 1000)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	users, _, dropped := readUsers(t, c, "resh")
	d.checkExactlyOnce(t, users, n)
	if len(d.failed) != 0 {
		t.Fatalf("%d failed, e.g. %v", len(d.failed), firstFailure(d))
	}
	children := 0
	for _, u := range users {
		if u.shard > "shardId-000000000001" {
			children++
		}
	}
	if children < n/4 {
		t.Fatalf("only %d records on the new shards (%d aggregates dropped)", children, dropped)
	}
	t.Logf("%d aggregates landed across the new boundaries and were sent again; metrics %+v", dropped, p.Metrics())
}

func firstFailure(d *deliveries) error {
	for _, f := range d.failed {
		return f.Err
	}
	return nil
}

// TestKPLProducerThrottled writes faster than a shard takes (the server
// enforces AWS's per-shard limits and the producer's own limit is off), so
// PutRecords fails entries with ProvisionedThroughputExceededException;
// with a fault-injecting transport some whole calls fail too. Every record
// is delivered once, in the end, and reported in Put order.
func TestKPLProducerThrottled(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.EnforceLimits = true
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "hot", 1)
	faulty := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:  &dropEvery{n: 4, next: sdkHTTPClient(awshttp.NewBuildableClient())}})
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Kinesis: faulty, StreamName: "hot", OnDelivered: d.onDelivered, OnFailure: d.onFailure,
		Linger: 5 * time.Millisecond, AggregationMaxSize: 20 << 10, ShardBytesPerSec: -1, ShardRecordsPerSec: -1,
		BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, MaxRetries: 100})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000 // 100 bytes each: about 2 MiB, twice what the shard takes at once
	for i := range n {
		data := fmt.Appendf(nil, "record-%d", i)
		data = append(data, bytes.Repeat([]byte{' '}, 100-len(data))...)
		if err := p.PutTagged(ctx, "key-"+strconv.Itoa(i%300), data, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()
	users, _, dropped := readUsers(t, c, "hot")
	d.checkExactlyOnce(t, users, n)
	if len(d.failed) != 0 || dropped != 0 || m.Retries == 0 {
		t.Fatalf("%d failed (%v), %d dropped, metrics %+v", len(d.failed), firstFailure(d), dropped, m)
	}
	t.Logf("metrics %+v", m)
}

// TestKPLProducerReportsGivenUp gives records one try against a throttled
// shard: those refused are reported, those stored are delivered, and the
// stream holds exactly the delivered ones.
func TestKPLProducerReportsGivenUp(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.EnforceLimits = true
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "giveup", 1)
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "giveup", OnDelivered: d.onDelivered, OnFailure: d.onFailure,
		DisableAggregation: true, ShardBytesPerSec: -1, ShardRecordsPerSec: -1, MaxRetries: 1, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // three times the records a shard takes in a second
	putUsers(t, p, 0, n, 100)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	users, _, _ := readUsers(t, c, "giveup")
	d.checkExactlyOnce(t, users, n)
	var pte *producer.EntryError
	if len(d.failed) == 0 || !errors.As(firstFailure(d), &pte) || pte.Code != "ProvisionedThroughputExceededException" {
		t.Fatalf("%d failed: %v", len(d.failed), firstFailure(d))
	}
	if m := p.Metrics(); m.Failed != int64(len(d.failed)) || m.UserRecords != int64(len(d.delivered)) {
		t.Fatalf("metrics %+v", m)
	}
}

// dropEvery fails every n-th call before it reaches the server, as a lost
// connection would.
type dropEvery struct {
	n     int64
	calls atomic.Int64
	next  aws.HTTPClient
}

func (d *dropEvery) Do(r *http.Request) (*http.Response, error) {
	if d.calls.Add(1)%d.n == 0 {
		return nil, errors.New("injected: connection reset")
	}
	return d.next.Do(r)
}

// TestKPLProducerFirehose sends through PutRecordBatch to a delivery
// stream: every record is delivered and lands in the destination once.
func TestKPLProducerFirehose(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	fc := firehoseClient(srv.URL())
	if _, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("logs"),
		ExtendedS3DestinationConfiguration: s3Dest("logs", 64, 1, fhtypes.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Firehose: fc, DeliveryStreamName: "logs", OnDelivered: d.onDelivered, OnFailure: d.onFailure})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	want := 0
	for i := range n {
		line := fmt.Sprintf("record-%d\n", i)
		want += len(line)
		if err := p.PutTagged(ctx, "", []byte(line), i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(d.delivered) != n || d.outOfOrder != 0 {
		t.Fatalf("%d delivered of %d, %d out of order", len(d.delivered), n, d.outOfOrder)
	}
	dir := filepath.Join(cfg.DataDir, "s3", "logs")
	got := string(readObjects(t, dir, waitObjects(t, dir, want)))
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if seen[l] {
			t.Fatalf("%q twice", l)
		}
		seen[l] = true
	}
	if len(seen) != n || len(got) != want {
		t.Fatalf("%d distinct lines, %d bytes; want %d, %d", len(seen), len(got), n, want)
	}
	if m := p.Metrics(); m.UserRecords != n || m.Requests < n/500 {
		t.Fatalf("metrics %+v", m)
	}
}

// TestKPLProducerShardRateLimit writes 1.5 MB to one shard of a server that
// enforces AWS's limits: the producer's own per-shard limit (the default,
// 1 MiB/s as a shard takes) keeps it from being throttled at all.
func TestKPLProducerShardRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.EnforceLimits = true
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "paced", 1)
	d := newDeliveries()
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "paced", OnDelivered: d.onDelivered, OnFailure: d.onFailure,
		Linger: 5 * time.Millisecond, AggregationMaxSize: 20 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 15_000
	pad := bytes.Repeat([]byte{' '}, 90)
	for i := range n {
		if err := p.PutTagged(ctx, "key-"+strconv.Itoa(i%300), append([]byte("record-"+strconv.Itoa(i)), pad...), i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	users, _, _ := readUsers(t, c, "paced")
	d.checkExactlyOnce(t, users, n)
	// The limit does not make throttling impossible (concurrent calls may
	// reach the server in another order), only rare.
	if m := p.Metrics(); len(d.failed) != 0 || m.Retries*10 > m.KinesisRecords {
		t.Fatalf("%d failed, metrics %+v", len(d.failed), m)
	}
}
