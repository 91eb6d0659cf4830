package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shardcast/shardcast/datastreams/consumer"
	"github.com/shardcast/shardcast/datastreams/producer"
)

// The harness of the consumer library tests (kcl_consumer_test.go): an
// in-process shardcast, workers that can be stopped or cut off, a
// processor that records what it is given, and a producer that writes
// continuously.

const kclFailover = 1500 * time.Millisecond

type kclHarness struct {
	t      *testing.T
	url    string
	stream string
	app    string
	efo    bool
	kc     *kinesis.Client
	col    *kclCollector
}

func newKCLHarness(t *testing.T, shards int32, efo bool) *kclHarness {
	cfg := testConfig(t)
	cfg.Kinesis.SubscriptionLifetime = 3 * time.Second // resubscriptions happen in every EFO test
	cfg.Kinesis.ConsumerDelay = 100 * time.Millisecond
	srv := startServer(t, cfg)
	h := &kclHarness{t: t, url: srv.URL(), stream: "kcl", app: "kclapp", efo: efo, col: newKCLCollector()}
	h.kc = h.kinesisClient()
	createStream(t, h.kc, h.stream, shards)
	waitActive(t, h.kc, h.stream)
	return h
}

func kclCreds() aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) { return testCreds, nil }
}

// kinesisClient retries as the SDK does by default: workers and the
// producer must ride out throttles and busy subscriptions.
func (h *kclHarness) kinesisClient() *kinesis.Client {
	return kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.url), Credentials: kclCreds(),
		HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient())})
}

func (h *kclHarness) dynamoClient() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.url), Credentials: kclCreds(),
		HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient())})
}

// kclWorker is one running worker. Its DynamoDB client can be cut off
// (crash): the worker then can neither checkpoint nor release, as if its
// process had died, and its leases must expire.
type kclWorker struct {
	id     string
	w      *consumer.Worker
	db     *cuttableDB
	cancel context.CancelFunc
	done   chan error
}

func (h *kclHarness) startWorker(id string, lag bool) *kclWorker {
	return h.startWorkerAt(id, lag, time.Time{})
}

// startWorkerAt starts a worker whose initial position is AT_TIMESTAMP at
// (TRIM_HORIZON when at is zero).
func (h *kclHarness) startWorkerAt(id string, lag bool, at time.Time) *kclWorker {
	h.t.Helper()
	db := &cuttableDB{c: h.dynamoClient()}
	initial := consumer.TrimHorizon
	if !at.IsZero() {
		initial = consumer.AtTimestamp
	}
	w, err := consumer.New(consumer.Config{
		InitialPosition: initial, Timestamp: at,
		Kinesis: h.kinesisClient(), DynamoDB: db, StreamName: h.stream, ApplicationName: h.app, WorkerID: id,
		FailoverTime: kclFailover, ShardSyncInterval: time.Second, IdleTimeBetweenReads: 100 * time.Millisecond,
		EnhancedFanOut: h.efo,
		NewProcessor:   func() consumer.Processor { return &kclProc{col: h.col, worker: id, lag: lag} },
		Logger:         slog.New(slog.NewTextHandler(testWriter{h.t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	kw := &kclWorker{id: id, w: w, db: db, cancel: cancel, done: make(chan error, 1)}
	go func() { kw.done <- w.Run(runCtx) }()
	h.t.Cleanup(func() { cancel(); <-kw.done })
	return kw
}

func (kw *kclWorker) stop(t *testing.T) {
	t.Helper()
	kw.cancel()
	if err := <-kw.done; err != nil {
		t.Fatalf("worker %s: %v", kw.id, err)
	}
	kw.done <- nil
}

// crash cuts the worker off the lease table, then stops it: nothing it
// does afterwards reaches the table (no checkpoint, no release).
func (kw *kclWorker) crash() {
	kw.db.cut.Store(true)
	kw.cancel()
	<-kw.done
	kw.done <- nil
}

// kclProc records what it is given. It checkpoints after each batch (or,
// with lag, the batch before, leaving the last batch to be delivered again)
// and counts a record as committed once a checkpoint covering it is
// written.
type kclProc struct {
	col     *kclCollector
	worker  string
	lag     bool
	shard   string
	last    consumer.Position
	pending []consumer.Record
}

func (p *kclProc) Initialize(_ context.Context, shard string, start consumer.Position) error {
	p.shard, p.last = shard, start
	p.col.initialized(shard, start)
	return nil
}

func (p *kclProc) ProcessRecords(ctx context.Context, recs []consumer.Record, cp *consumer.Checkpointer) error {
	for _, r := range recs {
		if consumer.Compare(r.Position(), p.last) <= 0 {
			p.col.fail("shard %s: record %v delivered after %v", p.shard, r.Position(), p.last)
		}
		p.last = r.Position()
	}
	p.col.delivered(p.worker, p.shard, recs)
	if !p.lag {
		p.pending = append(p.pending, recs...)
		// A checkpoint that fails for a passing reason (a timeout, a
		// throttled or unavailable table) is tried again, as an
		// application would: at the stream's end no later batch would
		// cover these records until the shard's next owner.
		for try := 1; ; try++ {
			err := cp.Checkpoint(ctx)
			if err == nil {
				p.commit(cp.Last())
				break
			}
			p.col.checkpointFailed(p.worker, p.shard, err)
			if errors.Is(err, consumer.ErrLeaseLost) || ctx.Err() != nil || try == 5 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	}
	// Checkpoint the batch before this one.
	if n := len(p.pending); n > 0 {
		last := p.pending[n-1]
		if cp.CheckpointAt(ctx, last.SequenceNumber, last.SubSequenceNumber) == nil {
			p.commit(cp.Last())
		}
	}
	p.pending = append(p.pending, recs...)
	return nil
}

// commit counts as committed every record delivered to this processor up
// to the checkpoint at (a checkpoint whose answer was lost is covered by
// the next one).
func (p *kclProc) commit(at consumer.Position) {
	var done, rest []consumer.Record
	for _, r := range p.pending {
		if at.Sequence == consumer.SentinelShardEnd || consumer.Compare(r.Position(), at) <= 0 {
			done = append(done, r)
		} else {
			rest = append(rest, r)
		}
	}
	p.col.committed(p.shard, done, at)
	p.pending = rest
}

func (p *kclProc) LeaseLost(context.Context) {}

func (p *kclProc) ShardEnded(ctx context.Context, cp *consumer.Checkpointer) error {
	if err := cp.Checkpoint(ctx); err != nil {
		return err
	}
	p.commit(cp.Last())
	p.col.ended(p.shard)
	return nil
}

func (p *kclProc) Shutdown(ctx context.Context, cp *consumer.Checkpointer) error {
	if p.lag {
		return nil // the last batch stays un-checkpointed: a restart delivers it again
	}
	if err := cp.Checkpoint(ctx); err != nil {
		return err
	}
	p.commit(cp.Last())
	return nil
}

type kclCollector struct {
	mu         sync.Mutex
	deliveries map[string]int
	aggregated int // user records that came out of KPL aggregates
	who        map[string][]string
	commits    map[string]bool
	lastCommit map[string]consumer.Position // shard -> last checkpoint written
	starts     map[string][]consumer.Position
	events     []string // "rec:<shard>", "end:<shard>"
	errs       []string
	cpErrs     []string // checkpoints that failed: "<worker> <shard>: <error>"
	// out, when set, receives a line "D <data> <shard> <sequence> <sub>"
	// per delivered record and "C <data>" per committed one (a worker
	// process tells the test what it did).
	out io.Writer
	// elsewhere holds the records another process was given.
	elsewhere map[string]kclAt
}

type kclAt struct {
	shard string
	pos   consumer.Position
}

// checkpointFailed keeps a failed checkpoint for the log of a test that
// then finds records not committed.
func (c *kclCollector) checkpointFailed(worker, shard string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cpErrs) < 20 {
		c.cpErrs = append(c.cpErrs, worker+" "+shard+": "+err.Error())
	}
}

func newKCLCollector() *kclCollector {
	return &kclCollector{deliveries: map[string]int{}, who: map[string][]string{}, elsewhere: map[string]kclAt{}, commits: map[string]bool{}, lastCommit: map[string]consumer.Position{},
		starts: map[string][]consumer.Position{}}
}

func (c *kclCollector) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *kclCollector) initialized(shard string, start consumer.Position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starts[shard] = append(c.starts[shard], start)
	if _, ok := c.lastCommit[shard]; !ok {
		c.lastCommit[shard] = start
	}
}

func (c *kclCollector) delivered(worker, shard string, recs []consumer.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		if r.Aggregated {
			c.aggregated++
		}
		c.deliveries[string(r.Data)]++
		if c.out != nil {
			fmt.Fprintf(c.out, "D %s %s %s %d\n", r.Data, shard, r.SequenceNumber, r.SubSequenceNumber)
		}
		c.who[string(r.Data)] = append(c.who[string(r.Data)], fmt.Sprintf("%s/%s/%v/%d-of-batch-%d/%s", worker, shard, r.Position(), len(c.who[string(r.Data)]), len(recs), time.Now().Format("05.000")))
	}
	if len(recs) > 0 {
		c.events = append(c.events, "rec:"+shard)
	}
}

func (c *kclCollector) committed(shard string, recs []consumer.Record, at consumer.Position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		c.commits[string(r.Data)] = true
		if c.out != nil {
			fmt.Fprintf(c.out, "C %s\n", r.Data)
		}
	}
	c.lastCommit[shard] = at
}

func (c *kclCollector) ended(shard string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "end:"+shard)
}

func (c *kclCollector) missing(sent []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range sent {
		if !c.commits[s] && !c.coveredLocked(s) {
			out = append(out, s)
		}
	}
	return out
}

// coveredLocked reports whether a record given to a process that died
// before saying it committed it was in fact checkpointed: a later owner of
// its shard resumed after it.
func (c *kclCollector) coveredLocked(data string) bool {
	at, ok := c.elsewhere[data]
	if !ok {
		return false
	}
	for _, start := range c.starts[at.shard] {
		if consumer.Compare(start, at.pos) >= 0 {
			return true
		}
	}
	return false
}

func (c *kclCollector) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(c.errs), strings.Join(c.errs[:min(5, len(c.errs))], "; "))
	}
	if c.aggregated == 0 {
		t.Fatal("no record came out of a KPL aggregate")
	}
}

// cuttableDB passes calls to the real client until cut.
type cuttableDB struct {
	c   *dynamodb.Client
	cut atomic.Bool
}

var errCut = errors.New("test: worker cut off (crashed)")

func (d *cuttableDB) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, o ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.DescribeTable(ctx, in, o...)
}

func (d *cuttableDB) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, o ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.CreateTable(ctx, in, o...)
}

func (d *cuttableDB) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.Scan(ctx, in, o...)
}

func (d *cuttableDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.GetItem(ctx, in, o...)
}

func (d *cuttableDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.PutItem(ctx, in, o...)
}

func (d *cuttableDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.UpdateItem(ctx, in, o...)
}

func (d *cuttableDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if d.cut.Load() {
		return nil, errCut
	}
	return d.c.DeleteItem(ctx, in, o...)
}

// kclPutter puts user records continuously through the producer package,
// which aggregates them per shard (KPL format, an explicit hash key per
// aggregate); a record counts as sent once the producer reports it
// delivered.
type kclPutter struct {
	h      *kclHarness
	prod   *producer.Producer
	mu     sync.Mutex
	sent   []string
	failed []string
	cancel context.CancelFunc
	done   chan struct{}
}

func (h *kclHarness) startPutter() *kclPutter {
	pctx, cancel := context.WithCancel(context.Background())
	p := &kclPutter{h: h, cancel: cancel, done: make(chan struct{})}
	prod, err := producer.New(context.Background(), producer.Config{
		Kinesis: h.kinesisClient(), StreamName: h.stream, Linger: 20 * time.Millisecond,
		OnDelivered: func(d producer.Delivered) {
			p.mu.Lock()
			p.sent = append(p.sent, string(d.Data))
			p.mu.Unlock()
		},
		OnFailure: func(f producer.Failure) {
			p.mu.Lock()
			p.failed = append(p.failed, fmt.Sprintf("%s: %v", f.Data, f.Err))
			p.mu.Unlock()
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	p.prod = prod
	go p.run(pctx)
	h.t.Cleanup(p.stop)
	return p
}

// stop ends the puts and waits until the producer has delivered or
// reported every record.
func (p *kclPutter) stop() {
	p.cancel()
	<-p.done
}

func (p *kclPutter) run(ctx context.Context) {
	defer close(p.done)
	defer func() {
		if err := p.prod.Close(context.Background()); err != nil {
			p.h.t.Errorf("producer close: %v", err)
		}
	}()
	for n := 1; ctx.Err() == nil; n++ {
		if err := p.prod.Put(ctx, fmt.Sprintf("pk-%d", n), fmt.Appendf(nil, "r%07d", n)); err != nil {
			return
		}
		if n%20 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (p *kclPutter) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failed) > 0 {
		p.h.t.Errorf("%d records not delivered by the producer, first %s", len(p.failed), p.failed[0])
	}
	return slices.Clone(p.sent)
}

// kclWait polls cond until it holds or a generous deadline passes.
func kclWait(t *testing.T, what string, d time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start)
}

func leaseCounts(ws ...*kclWorker) []int {
	var out []int
	for _, w := range ws {
		out = append(out, len(w.w.Leases()))
	}
	return out
}

func evenWithin1(c []int, total int) bool {
	sum := 0
	for _, n := range c {
		sum += n
	}
	return sum == total && slices.Max(c)-slices.Min(c) <= 1
}

func (h *kclHarness) waitAllCommitted(p *kclPutter) {
	h.t.Helper()
	sent := p.all()
	var missing []string
	defer func() {
		if len(missing) > 0 {
			h.col.mu.Lock()
			defer h.col.mu.Unlock()
			h.t.Logf("%d of %d missing, first %v delivered %d times; failed checkpoints: %q", len(missing), len(sent), missing[0], h.col.deliveries[missing[0]], h.col.cpErrs)
		}
	}()
	kclWait(h.t, "every record committed", time.Minute, func() bool {
		missing = h.col.missing(sent)
		return len(missing) == 0
	})
	h.t.Logf("%d user records, all committed", len(sent))
}
