package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/consumer"
	"github.com/shardcast/shardcast/datastreams/producer"
)

// The consumer library (datastreams/consumer) against one in-process
// shardcast serving both Kinesis and the DynamoDB API that holds the lease
// table: balance, failover with no record lost, resharding followed
// parents first, and restart from checkpoints, by polling and by enhanced
// fan-out.

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
		if cp.Checkpoint(ctx) == nil {
			p.commit(cp.Last())
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

// waitFor polls cond until it holds or a generous deadline passes.
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
			h.t.Logf("%d of %d missing, first %v delivered %d times", len(missing), len(sent), missing[0], h.col.deliveries[missing[0]])
		}
	}()
	kclWait(h.t, "every record committed", time.Minute, func() bool {
		missing = h.col.missing(sent)
		return len(missing) == 0
	})
	h.t.Logf("%d user records, all committed", len(sent))
}

func TestKCLBalanceFailoverPolling(t *testing.T) { t.Parallel(); kclBalanceFailover(t, false) }
func TestKCLBalanceFailoverEFO(t *testing.T)     { t.Parallel(); kclBalanceFailover(t, true) }

// kclBalanceFailover: 3 workers share 8 shards within one of even; one
// crashes (no release) and its leases move to the others once they expire;
// one stops cleanly and its leases move at once; no record is lost.
func kclBalanceFailover(t *testing.T, efo bool) {
	h := newKCLHarness(t, 8, efo)
	p := h.startPutter()
	w1, w2, w3 := h.startWorker("w1", false), h.startWorker("w2", false), h.startWorker("w3", false)
	took := kclWait(t, "3 workers within one of even over 8 shards", time.Minute, func() bool {
		return evenWithin1(leaseCounts(w1, w2, w3), 8)
	})
	t.Logf("balanced %v after %v", leaseCounts(w1, w2, w3), took)
	// Several taker rounds later it is still (or, on a loaded machine
	// where a renewal came late and a lease moved, again) balanced.
	time.Sleep(2 * kclFailover)
	kclWait(t, "the balance to hold", time.Minute, func() bool { return evenWithin1(leaseCounts(w1, w2, w3), 8) })

	w3.crash()
	took = kclWait(t, "the crashed worker's leases to move", time.Minute, func() bool {
		return evenWithin1(leaseCounts(w1, w2), 8)
	})
	t.Logf("after a crash: %v in %v (failover time %v)", leaseCounts(w1, w2), took, kclFailover)

	w2.stop(t)
	took = kclWait(t, "the stopped worker's leases to move", time.Minute, func() bool {
		return len(w1.w.Leases()) == 8
	})
	t.Logf("after a clean stop: w1 holds 8 in %v", took)

	p.stop()
	h.waitAllCommitted(p)
	w1.stop(t)
	h.col.check(t)
}

func TestKCLReshardRestartPolling(t *testing.T) { t.Parallel(); kclReshardRestart(t, false) }
func TestKCLReshardRestartEFO(t *testing.T)     { t.Parallel(); kclReshardRestart(t, true) }

// kclReshardRestart: a split and a merge while two workers read are
// followed parents first; the workers stop with their last batch not
// checkpointed, and new workers resume exactly from the checkpoints.
func kclReshardRestart(t *testing.T, efo bool) {
	h := newKCLHarness(t, 2, efo)
	p := h.startPutter()
	w1, w2 := h.startWorker("w1", true), h.startWorker("w2", true)
	kclWait(t, "both shards read", time.Minute, func() bool { return h.col.hasEvents("rec:shardId-000000000000", "rec:shardId-000000000001") })

	// Split shard 0 at the middle of its range, then merge its upper child
	// with shard 1.
	half := new(big.Int).Lsh(big.NewInt(1), 126)
	if _, err := h.kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(h.stream), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String(half.String())}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, h.kc, h.stream)
	kclWait(t, "the split's children read", time.Minute, func() bool {
		return h.col.hasEvents("rec:shardId-000000000002", "rec:shardId-000000000003")
	})
	if _, err := h.kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(h.stream),
		ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, h.kc, h.stream)
	kclWait(t, "the merged shard read", time.Minute, func() bool { return h.col.hasEvents("rec:shardId-000000000004") })

	w1.stop(t)
	w2.stop(t)
	before := h.checkpoints()
	h.col.mu.Lock()
	for k, v := range h.col.lastCommit {
		if b, ok := before[k]; ok && consumer.Compare(v, b) > 0 { // a finished lease may be cleaned up
			t.Errorf("shard %s: checkpoint %v written, table has %v", k, v, before[k])
		}
	}
	delivered1 := make(map[string]int, len(h.col.deliveries))
	for k, n := range h.col.deliveries {
		delivered1[k] = n
	}
	committed1 := make(map[string]bool, len(h.col.commits))
	for k := range h.col.commits {
		committed1[k] = true
	}
	h.col.starts = map[string][]consumer.Position{}
	h.col.mu.Unlock()

	// Restart: new workers resume every open shard at its checkpoint.
	w3, w4 := h.startWorker("w3", false), h.startWorker("w4", false)
	kclWait(t, "the open shards resumed", time.Minute, func() bool {
		h.col.mu.Lock()
		defer h.col.mu.Unlock()
		return len(h.col.starts["shardId-000000000002"]) > 0 && len(h.col.starts["shardId-000000000004"]) > 0
	})
	p.stop()
	sent := p.all()
	kclWait(t, "every record committed", time.Minute, func() bool { return len(h.col.missing(sent)) == 0 })
	w3.stop(t)
	w4.stop(t)
	h.col.check(t)

	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	for shard, starts := range h.col.starts {
		if want, ok := before[shard]; ok && consumer.Compare(starts[0], want) != 0 {
			t.Errorf("shard %s resumed at %v, its checkpoint was %v", shard, starts[0], want)
		}
	}
	// No record committed before the restart came again after it; the
	// un-checkpointed ones did. (Before the restart, a steal may deliver a
	// record twice: the old owner reads on until its next renewal.)
	again := 0
	for d, n := range h.col.deliveries {
		if delivered1[d] > 0 && n > delivered1[d] {
			if committed1[d] {
				t.Errorf("record %s delivered again after its checkpoint: %v", d, h.col.who[d])
			}
			again++
		}
	}
	t.Logf("%d user records; %d delivered again after the restart (the last batch of each shard)", len(sent), again)

	// Parents before children: no child record before the last record of
	// each of its parents.
	lineage := map[string][]string{
		"shardId-000000000002": {"shardId-000000000000"},
		"shardId-000000000003": {"shardId-000000000000"},
		"shardId-000000000004": {"shardId-000000000001", "shardId-000000000003"},
	}
	for child, parents := range lineage {
		first := slices.Index(h.col.events, "rec:"+child)
		for _, parent := range parents {
			end := slices.Index(h.col.events, "end:"+parent)
			last := lastIndex(h.col.events, "rec:"+parent)
			if end < 0 || first < last {
				t.Errorf("child %s first read at event %d; parent %s last read at %d, ended at %d", child, first, parent, last, end)
			}
		}
	}
}

// checkpoints reads every lease's checkpoint from the table.
func (h *kclHarness) checkpoints() map[string]consumer.Position {
	h.t.Helper()
	out, err := h.dynamoClient().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(h.app)})
	if err != nil {
		h.t.Fatal(err)
	}
	m := map[string]consumer.Position{}
	for _, it := range out.Items {
		key := it["leaseKey"].(*ddbtypes.AttributeValueMemberS).Value
		seq := it["checkpoint"].(*ddbtypes.AttributeValueMemberS).Value
		sub, err := strconv.ParseInt(it["checkpointSubSequenceNumber"].(*ddbtypes.AttributeValueMemberN).Value, 10, 64)
		if err != nil {
			h.t.Fatal(err)
		}
		if m[key], err = consumer.ParsePosition(seq, sub); err != nil {
			h.t.Fatal(err)
		}
	}
	return m
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// hasEvents reports whether each event happened at least 5 times (a
// shard read in 5 batches).
func (c *kclCollector) hasEvents(evs ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		n := 0
		for _, have := range c.events {
			if have == e {
				n++
			}
		}
		if n < 5 {
			return false
		}
	}
	return true
}

// TestKCLWorkerProcess is a worker process for TestKCLKillProcess, which
// runs the test binary again with KCL_WORKER_URL set: it runs one worker
// until it is killed, printing "C <data>" for each record it committed and
// "H <n>" whenever the number of leases it holds changes. Without the
// variable it does nothing.
func TestKCLWorkerProcess(t *testing.T) {
	url := os.Getenv("KCL_WORKER_URL")
	if url == "" {
		return
	}
	h := &kclHarness{t: t, url: url, stream: "kcl", app: "kclapp", col: newKCLCollector()}
	h.col.out = os.Stdout
	w := h.startWorker("proc", false)
	last := -1
	for {
		if n := len(w.w.Leases()); n != last {
			fmt.Printf("H %d\n", n)
			last = n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKCLKillProcess: a worker in another process holds its share of the
// leases and is killed with SIGKILL; the in-process workers take its leases
// once they expire, and every record is committed by someone.
func TestKCLKillProcess(t *testing.T) {
	t.Parallel()
	h := newKCLHarness(t, 8, false)
	p := h.startPutter()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKCLWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KCL_WORKER_URL="+h.url)
	cmd.Stderr = testWriter{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var childHeld atomic.Int64
	go func() {
		buf := make([]byte, 0, 64*1024)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(buf, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "D "):
				f := strings.Fields(line)
				if len(f) != 5 {
					continue
				}
				sub, _ := strconv.ParseInt(f[4], 10, 64)
				h.col.mu.Lock()
				h.col.elsewhere[f[1]] = kclAt{shard: f[2], pos: consumer.Position{Sequence: f[3], SubSequence: sub}}
				h.col.mu.Unlock()
			case strings.HasPrefix(line, "C "):
				h.col.mu.Lock()
				h.col.commits[line[2:]] = true
				h.col.mu.Unlock()
			case strings.HasPrefix(line, "H "):
				n, _ := strconv.Atoi(line[2:])
				childHeld.Store(int64(n))
			}
		}
	}()
	w1, w2 := h.startWorker("w1", false), h.startWorker("w2", false)
	kclWait(t, "the worker process and two workers within one of even", time.Minute, func() bool {
		return evenWithin1(append(leaseCounts(w1, w2), int(childHeld.Load())), 8)
	})
	t.Logf("balanced: process %d, in-process %v", childHeld.Load(), leaseCounts(w1, w2))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	took := kclWait(t, "the killed process's leases to move", time.Minute, func() bool { return evenWithin1(leaseCounts(w1, w2), 8) })
	t.Logf("after SIGKILL: %v in %v (failover time %v)", leaseCounts(w1, w2), took, kclFailover)
	p.stop()
	h.waitAllCommitted(p)
	w1.stop(t)
	w2.stop(t)
	h.col.check(t)
}

// TestKCLAtTimestamp: a new application started AT_TIMESTAMP gets exactly
// the records that arrived after the timestamp (the table is seeded through
// ListShards' AT_TIMESTAMP filter and read with AT_TIMESTAMP iterators).
func TestKCLAtTimestamp(t *testing.T) {
	t.Parallel()
	h := newKCLHarness(t, 2, false)
	put := func(prefix string) []string {
		var sent []string
		var entries []types.PutRecordsRequestEntry
		for i := range 40 {
			d := fmt.Sprintf("%s%03d", prefix, i)
			sent = append(sent, d)
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(d), Data: []byte(d)})
		}
		out, err := h.kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(h.stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("put: %v %v", out, err)
		}
		return sent
	}
	before := put("before")
	time.Sleep(50 * time.Millisecond)
	at := time.Now()
	time.Sleep(50 * time.Millisecond)
	after := put("after")
	w := h.startWorkerAt("w1", false, at)
	kclWait(t, "the records after the timestamp", time.Minute, func() bool { return len(h.col.missing(after)) == 0 })
	w.stop(t)
	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	for _, d := range before {
		if h.col.deliveries[d] > 0 {
			t.Errorf("%s, put before the timestamp, was delivered", d)
		}
	}
	if len(h.col.errs) > 0 {
		t.Fatal(h.col.errs[0])
	}
}
