package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
	"github.com/shardcast/shardcast/datastreams/producer"
)

// lineageShard is one shard of a stream with what a KCL-style reader kept
// of it.
type lineageShard struct {
	id      string
	parents []string
	users   []userRead
}

// readLineage reads every shard of a stream (closed ones too) from the
// trim horizon and returns them parents first, as the KCL processes them.
// It de-aggregates with kpl.Deaggregate and keeps what the KCL keeps: an
// aggregate holding a user record whose hash is outside the shard's range
// is dropped whole (dropped counts those).
func readLineage(t *testing.T, c *kinesis.Client, stream string) (shards []lineageShard, dropped int) {
	t.Helper()
	var all []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Shards...)
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	read := map[string]bool{}
	for len(read) < len(all) {
		progress := false
		for _, s := range all {
			id := aws.ToString(s.ShardId)
			var parents []string
			ready := !read[id]
			for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
				if p != nil {
					parents = append(parents, *p)
					ready = ready && read[*p]
				}
			}
			if !ready {
				continue
			}
			users, d := readShardKCL(t, c, stream, s)
			shards = append(shards, lineageShard{id: id, parents: parents, users: users})
			dropped += d
			read[id] = true
			progress = true
		}
		if !progress {
			t.Fatalf("shards with parents not in the stream: %d of %d read", len(read), len(all))
		}
	}
	return shards, dropped
}

// readShardKCL reads one shard to its end (a closed shard) or to where it
// has nothing more (an open one).
func readShardKCL(t *testing.T, c *kinesis.Client, stream string, s types.Shard) (users []userRead, dropped int) {
	t.Helper()
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
		if errors.As(err, &pte) { // the stream enforces AWS's read limits
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range gr.Records {
			recs, agg, err := kpl.Deaggregate(r.Data, *r.PartitionKey, "")
			if err != nil {
				t.Fatalf("%s %s: %v", *s.ShardId, *r.SequenceNumber, err)
			}
			if !agg && !inside(*r.PartitionKey) {
				t.Fatalf("plain record %q on %s outside its range", *r.PartitionKey, *s.ShardId)
			}
			keep := true
			for _, u := range recs {
				keep = keep && inside(u.PartitionKey)
			}
			if !keep {
				dropped++
				continue
			}
			for i, u := range recs {
				users = append(users, userRead{pk: u.PartitionKey, data: string(u.Data), shard: *s.ShardId, seq: *r.SequenceNumber, sub: i, aggregated: agg})
			}
		}
		if len(gr.Records) == 0 && s.SequenceNumberRange.EndingSequenceNumber == nil {
			break
		}
		iter = gr.NextShardIterator
	}
	return users, dropped
}

// TestKPLProducerOrderedReshard puts records with 200 partition keys
// through an ordered producer, with Flushes every round, while the stream
// is split, two adjacent shards are merged, and UpdateShardCount scales it
// up and down. Read back as the KCL reads (parents before children,
// out-of-range aggregates dropped), each key's records come in Put order
// along its lineage, none twice; every record is reported once, in Put
// order; a record reported delivered is where its report says; failures
// are only ErrUnknownOutcome or ErrHeldBack, and only the former may be
// in the stream. Once with blind retries over a clean transport, once
// with RetryUnknownOutcome false over one that loses answers.
func TestKPLProducerOrderedReshard(t *testing.T) {
	t.Run("retry", func(t *testing.T) { orderedReshard(t, false) })
	t.Run("unknown-outcome", func(t *testing.T) { orderedReshard(t, true) })
}

func orderedReshard(t *testing.T, lossy bool) {
	cfg := testConfig(t)
	cfg.Kinesis.EnforceLimits = true
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	const stream = "ordresh"
	createStream(t, c, stream, 4)
	d := newDeliveries()
	pc := producer.Config{StreamName: stream, Kinesis: c,
		OnDelivered: d.onDelivered, OnFailure: d.onFailure, Ordered: true,
		AggregationMaxSize: 3000, Linger: 2 * time.Millisecond, ShardBytesPerSec: -1, ShardRecordsPerSec: -1,
		BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, MaxRetries: 100}
	// With lost answers, every 8th is lost, and after each reshard the
	// second call is lost while the producer reads the new map slowly:
	// the shards of that call are held back as the map changes.
	lose := &loseAnswers{n: 8}
	window := &reshardLoss{loseAnswers: lose}
	arm := func() {}
	if lossy {
		no := false
		lose.next = sdkHTTPClient(awshttp.NewBuildableClient())
		pc.Kinesis = kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
			HTTPClient:  window})
		pc.RetryUnknownOutcome = &no
		arm = window.arm
	}
	p, err := producer.New(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}

	// The reshards run beside the puts, each once the puts reach its
	// mark, so that each lands in the middle of a round. After each
	// round's Flush the records reported held back are put again, in
	// order, before new ones, as the agent does; tags number the Puts,
	// and index[tag] is the record (its key and per-key counter) put.
	const n, round, keys = 24_000, 1_500, 200
	marks := []int{2_250, 8_250, 13_250, 18_750} // mid-round
	reached := make(chan int, len(marks))
	reshardDone := make(chan error, 1)
	go func() { reshardDone <- reshardAlong(c, stream, reached, arm) }()
	defer func() {
		if reached != nil {
			close(reached)
		}
	}()
	var index []int
	put := func(i int) {
		data := fmt.Appendf(nil, "record-%d", i)
		data = append(data, bytes.Repeat([]byte{' '}, 60-len(data))...)
		index = append(index, i)
		if err := p.PutTagged(ctx, "key-"+strconv.Itoa(i%keys), data, len(index)-1); err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	flush := func() (again int) {
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		var held []int
		for tag := checked; tag < len(index); tag++ {
			if f, ok := d.failed[tag]; ok && errors.Is(f.Err, producer.ErrHeldBack) {
				held = append(held, index[tag])
			}
		}
		d.mu.Unlock()
		checked = len(index)
		for _, i := range held {
			put(i)
		}
		return len(held)
	}
	// From a mark to the end of its round the puts go slowly, so that
	// the producer learns the new map before the round's Flush.
	next, slow := 0, false
	for i := range n {
		if next < len(marks) && i == marks[next] {
			reached <- next
			next++
			slow = true
		}
		put(i)
		if slow && i%10 == 0 {
			time.Sleep(time.Millisecond)
		}
		if (i+1)%round == 0 {
			flush()
			slow = false
		}
	}
	for tries := 0; flush() > 0; tries++ {
		if tries == 100 {
			t.Fatal("records still held back after 100 flushes")
		}
	}
	close(reached)
	reached = nil
	if err := <-reshardDone; err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()

	puts := len(index)
	if d.outOfOrder != 0 || len(d.delivered)+len(d.failed) != puts {
		t.Fatalf("%d reports out of Put order; %d delivered + %d failed of %d", d.outOfOrder, len(d.delivered), len(d.failed), puts)
	}
	unknown, heldBack := 0, 0
	outcome := map[int]int{} // record → the tag of its last Put
	for tag, f := range d.failed {
		switch {
		case errors.Is(f.Err, producer.ErrUnknownOutcome) && lossy:
			unknown++
		case errors.Is(f.Err, producer.ErrHeldBack) && lossy:
			heldBack++
		default:
			t.Fatalf("record %d (put %d) failed: %v", index[tag], tag, f.Err)
		}
	}
	for tag := range puts {
		if i := index[tag]; tag >= outcome[i] {
			outcome[i] = tag
		}
	}
	delivered := map[int]producer.Delivered{}
	for tag, e := range d.delivered {
		if _, twice := delivered[index[tag]]; twice {
			t.Fatalf("record %d reported delivered twice", index[tag])
		}
		delivered[index[tag]] = e
	}
	for i := range n {
		if _, ok := delivered[i]; !ok && !errors.Is(d.failed[outcome[i]].Err, producer.ErrUnknownOutcome) {
			t.Fatalf("record %d: last put %d failed with %v", i, outcome[i], d.failed[outcome[i]].Err)
		}
	}

	shards, dropped := readLineage(t, c, stream)
	stored := map[int]userRead{}
	last := map[string]int{} // key → the record last read
	storedUnknown, onChildren := 0, 0
	for _, s := range shards {
		for _, u := range s.users {
			i, err := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(u.data, "record-"), " "))
			if err != nil || u.pk != "key-"+strconv.Itoa(i%keys) {
				t.Fatalf("unexpected record %q %q", u.pk, u.data)
			}
			if prev, ok := stored[i]; ok {
				t.Fatalf("record %d read twice: %+v and %+v", i, prev, u)
			}
			stored[i] = u
			if prev, ok := last[u.pk]; ok && i < prev {
				t.Fatalf("key %s: counter %d read on %s after counter %d", u.pk, i/keys, s.id, prev/keys)
			}
			last[u.pk] = i
			if len(s.parents) > 0 {
				onChildren++
			}
			if e, ok := delivered[i]; ok {
				if e.ShardID != u.shard || e.SequenceNumber != u.seq || e.SubSequence != u.sub {
					t.Fatalf("record %d: reported %s %s/%d, read on %s %s/%d", i, e.ShardID, e.SequenceNumber, e.SubSequence, u.shard, u.seq, u.sub)
				}
				continue
			}
			if !errors.Is(d.failed[outcome[i]].Err, producer.ErrUnknownOutcome) {
				t.Fatalf("record %d stored but its last put reported %v", i, d.failed[outcome[i]].Err)
			}
			storedUnknown++
		}
	}
	for i, e := range delivered {
		if _, ok := stored[i]; !ok {
			t.Fatalf("record %d reported delivered on %s, not read", i, e.ShardID)
		}
	}
	if len(shards) < 8 || onChildren < n/4 {
		t.Fatalf("%d shards, %d records on shards with parents: the reshards did not happen under the puts", len(shards), onChildren)
	}
	if lossy && (lose.lost.Load() == 0 || window.windows.Load() == 0 || unknown == 0) {
		t.Fatalf("lost answers %d (%d after reshards), unknown %d: the test did not lose answers", lose.lost.Load(), window.windows.Load(), unknown)
	}
	t.Logf("%d shards; %d puts; %d read (%d on children), %d aggregates dropped; %d unknown (%d stored), %d held back and put again; metrics %+v",
		len(shards), puts, len(stored), onChildren, dropped, unknown, storedUnknown, heldBack, m)
}

// reshardLoss passes calls to a loseAnswers; once armed, it loses the
// answer of the second PutRecords call after and holds the answer of the
// next ListShards back for a while.
type reshardLoss struct {
	*loseAnswers
	puts     atomic.Int64
	slowList atomic.Bool
	windows  atomic.Int64
}

func (l *reshardLoss) arm() {
	l.slowList.Store(true)
	l.puts.Store(2)
}

func (l *reshardLoss) Do(r *http.Request) (*http.Response, error) {
	target := r.Header.Get("X-Amz-Target")
	if strings.HasSuffix(target, ".ListShards") && l.slowList.CompareAndSwap(true, false) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasSuffix(target, ".PutRecords") || l.puts.Add(-1) != 0 {
		return l.loseAnswers.Do(r)
	}
	res, err := l.loseAnswers.Do(r)
	if err == nil {
		res.Body.Close()
		l.windows.Add(1)
	}
	return nil, errors.New("injected: connection reset after a reshard")
}

// reshardAlong splits the lower shard, merges the split's upper child
// with its neighbour, then scales the stream up by half and back down,
// one step each time the puts reach a mark; arm runs after each.
func reshardAlong(c *kinesis.Client, stream string, reached <-chan int, arm func()) error {
	for step := range reached {
		open, err := openShards(c, stream)
		if err != nil {
			return err
		}
		switch step {
		case 0:
			lo, _ := new(big.Int).SetString(*open[0].HashKeyRange.StartingHashKey, 10)
			hi, _ := new(big.Int).SetString(*open[0].HashKeyRange.EndingHashKey, 10)
			mid := new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1)
			_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: open[0].ShardId, NewStartingHashKey: aws.String(mid.String())})
		case 1:
			_, err = c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: open[1].ShardId, AdjacentShardToMerge: open[2].ShardId})
		case 2, 3:
			_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(stream), TargetShardCount: aws.Int32(int32(6 - 3*(step-2))), ScalingType: types.ScalingTypeUniformScaling})
		}
		if err != nil {
			return fmt.Errorf("reshard step %d: %w", step, err)
		}
		if err := waitStreamActive(c, stream); err != nil {
			return err
		}
		arm()
	}
	return nil
}

// openShards lists a stream's open shards by starting hash key.
func openShards(c *kinesis.Client, stream string) ([]types.Shard, error) {
	out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
	if err != nil {
		return nil, err
	}
	open := out.Shards
	start := func(s types.Shard) *big.Int {
		v, _ := new(big.Int).SetString(*s.HashKeyRange.StartingHashKey, 10)
		return v
	}
	slices.SortFunc(open, func(a, b types.Shard) int { return start(a).Cmp(start(b)) })
	return open, nil
}

// waitStreamActive waits (with a generous deadline) until a reshard is
// done; it runs off the test goroutine, so it returns an error.
func waitStreamActive(c *kinesis.Client, stream string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			return err
		}
		if d.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stream %s still %s", stream, d.StreamDescriptionSummary.StreamStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
