package analytics

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/analytics/reccodec"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// shardDone marks an input shard read to its end and consumed.
const shardDone = "-"

// readLimit is how many records one read of a shard asks for.
const readLimit = 10000

// batch is what a shard reader sends: records in order, when it read
// them, whether it had caught up (then no record that arrives later
// can carry an arrival time before readAt - slack), and, at the end of a
// closed shard, its children.
type batch struct {
	shard    string
	records  []item
	readAt   int64 // ms
	caughtUp bool
	end      bool
	children []datastreams.ChildShard
	err      error
}

// item is a record read, decoded by its shard's reader (the readers
// decode in parallel; the runner only pushes).
type item struct {
	datastreams.Record
	rows [][]sqltypes.Value
	err  error
}

// inShard is one input shard as the merge sees it.
type inShard struct {
	id      string
	index   int // from the id, for the in-application stream it feeds
	parents []string
	started bool
	queue   itemQueue
	idle    int64 // no record still to come arrived before this (ms); 0 unknown
	ended   bool  // the reader reached the shard's end
}

// itemQueue is a shard's records read and not yet taken, kept as the
// readers' batches themselves: adding a batch copies no record, and a
// batch is released once taken whole.
type itemQueue struct {
	chunks [][]item // none empty
}

func (q *itemQueue) push(b []item) {
	if len(b) > 0 {
		q.chunks = append(q.chunks, b)
	}
}

func (q *itemQueue) empty() bool { return len(q.chunks) == 0 }

// head is the first record; the queue must not be empty.
func (q *itemQueue) head() *item { return &q.chunks[0][0] }

// pop removes and returns the first record; the queue must not be empty.
func (q *itemQueue) pop() *item {
	r := &q.chunks[0][0]
	if q.chunks[0] = q.chunks[0][1:]; len(q.chunks[0]) == 0 {
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
	}
	return r
}

// shardIndex reads the number of a shard id (shardId-000000000007 -> 7).
func shardIndex(id string) int {
	_, digits, _ := strings.Cut(id, "-")
	n, _ := strconv.Atoi(digits)
	return n
}

// source merges the shards of one input stream by (arrival, shard,
// sequence number): the order, and so the ROWTIMEs, are the same when
// the same records are read again after a restart.
type source struct {
	m         *Manager
	ref       datastreams.StreamRef
	mode      string
	startTime int64
	positions map[string]string // last consumed per shard, or shardDone
	shards    map[string]*inShard
	ch        chan batch
	dec       *reccodec.Decoder
	pre       *preprocessor // nil: records go to the decoder as they are
	delivery  string        // the delivery stream read, for a Firehose input
	reader    string        // the application's ARN, as the delivery stream's reader
}

func newSource(m *Manager, arn, mode string, startTime int64, positions map[string]string, dec *reccodec.Decoder) *source {
	if positions == nil {
		positions = map[string]string{}
	}
	s := &source{m: m, ref: datastreams.StreamRef{ARN: arn}, mode: mode, startTime: startTime,
		positions: positions, shards: map[string]*inShard{}, ch: make(chan batch, 16), dec: dec}
	s.delivery, _ = firehoseName(arn)
	return s
}

// refresh learns the stream's shards and starts the readers of those
// whose parents are consumed.
func (s *source) refresh(ctx context.Context) error {
	if s.delivery != "" {
		if s.positions[deliveryShard] != shardDone && s.shards[deliveryShard] == nil {
			s.shards[deliveryShard] = &inShard{id: deliveryShard}
		}
		s.startReady(ctx)
		return nil
	}
	list, err := s.m.streamShards(s.ref.ARN)
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, sh := range list {
		present[sh.ID] = true
	}
	for _, sh := range list {
		if s.positions[sh.ID] == shardDone {
			continue
		}
		if s.shards[sh.ID] == nil {
			var parents []string
			for _, p := range []string{sh.Parent, sh.AdjacentParent} {
				if p != "" && present[p] {
					parents = append(parents, p)
				}
			}
			s.shards[sh.ID] = &inShard{id: sh.ID, index: shardIndex(sh.ID), parents: parents}
		}
	}
	s.startReady(ctx)
	return nil
}

// startReady starts the reader of every shard whose parents are done.
func (s *source) startReady(ctx context.Context) {
	for _, sh := range s.shards {
		if sh.started {
			continue
		}
		ready := true
		for _, p := range sh.parents {
			if s.positions[p] != shardDone {
				ready = false
			}
		}
		if ready {
			sh.started = true
			if s.delivery != "" {
				go s.readDelivery(ctx, sh.id, s.positions[sh.id])
			} else {
				go s.read(ctx, sh.id, s.positions[sh.id])
			}
		}
	}
}

// read is one shard's reader goroutine.
func (s *source) read(ctx context.Context, id, after string) {
	var iter string
	var err error
	for ctx.Err() == nil {
		if iter == "" {
			switch {
			case after != "":
				iter, err = s.m.cfg.Streams.GetShardIterator(ctx, s.ref, id, datastreams.AfterSequenceNumber, after, nil)
			case s.mode == StartNow:
				t := time.UnixMilli(s.startTime)
				iter, err = s.m.cfg.Streams.GetShardIterator(ctx, s.ref, id, datastreams.AtTimestamp, "", &t)
			default:
				iter, err = s.m.cfg.Streams.GetShardIterator(ctx, s.ref, id, datastreams.TrimHorizon, "", nil)
			}
			if err != nil {
				if !s.send(ctx, batch{shard: id, err: err}) {
					return
				}
				sleep(ctx, time.Second)
				continue
			}
		}
		readAt := s.m.cfg.Now().UnixMilli()
		out, err := s.m.cfg.Streams.GetRecords(ctx, iter, readLimit)
		if err != nil {
			iter = ""
			if !s.send(ctx, batch{shard: id, err: err}) {
				return
			}
			sleep(ctx, time.Second)
			continue
		}
		b := batch{shard: id, records: make([]item, len(out.Records)), readAt: readAt, caughtUp: len(out.Records) < readLimit && out.MillisBehindLatest == 0}
		if err := s.decode(ctx, id, out.Records, b.records); err != nil {
			return // ctx ended
		}
		if n := len(out.Records); n > 0 {
			after = out.Records[n-1].SequenceNumber
		}
		if out.NextShardIterator == "" {
			b.end = true
			b.children = out.ChildShards
		}
		if !s.send(ctx, b) || b.end {
			return
		}
		iter = out.NextShardIterator
		if len(out.Records) == 0 {
			sleep(ctx, s.m.cfg.Poll)
		}
	}
}

// decode decodes records into items, through the preprocessor first
// when there is one: a dropped record has no rows, a failed one an error.
func (s *source) decode(ctx context.Context, shardID string, recs []datastreams.Record, items []item) error {
	var data [][]byte
	var results []string
	if s.pre != nil && len(recs) > 0 {
		var err error
		if data, results, err = s.pre.process(ctx, shardID, recs); err != nil {
			return err
		}
	}
	for i, r := range recs {
		items[i].Record = r
		if s.dec == nil {
			continue
		}
		d := r.Data
		if results != nil {
			switch results[i] {
			case preDropped:
				items[i].rows = [][]sqltypes.Value{}
				continue
			case preFailed:
				items[i].err = &reccodec.Error{Message: "the preprocessing function returned ProcessingFailed"}
				continue
			}
			d = data[i]
		}
		items[i].rows, items[i].err = s.dec.Decode(d)
	}
	return nil
}

func (s *source) send(ctx context.Context, b batch) bool {
	select {
	case s.ch <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// take adds a reader's batch to the merge.
func (s *source) take(ctx context.Context, b batch) {
	sh := s.shards[b.shard]
	if sh == nil {
		return
	}
	if b.err != nil {
		s.m.cfg.Logger.Warn("analytics: read an input shard", "stream", s.ref.ARN, "shard", b.shard, "err", b.err)
		return
	}
	sh.queue.push(b.records)
	if b.caughtUp {
		if idle := b.readAt - s.m.cfg.ArrivalSlack.Milliseconds(); idle > sh.idle {
			sh.idle = idle
		}
	}
	if b.end {
		sh.ended = true
		for _, c := range b.children {
			if s.shards[c.ID] != nil || s.positions[c.ID] == shardDone {
				continue
			}
			var parents []string
			for _, p := range c.Parents {
				if p == b.shard || s.shards[p] != nil {
					parents = append(parents, p)
				}
			}
			s.shards[c.ID] = &inShard{id: c.ID, index: shardIndex(c.ID), parents: parents}
		}
	}
	s.finish(ctx)
}

// finish marks shards that ended with nothing left to consume as done,
// and starts the children they held back.
func (s *source) finish(ctx context.Context) {
	changed := false
	for id, sh := range s.shards {
		if sh.ended && sh.queue.empty() {
			s.positions[id] = shardDone
			delete(s.shards, id)
			changed = true
		}
	}
	if changed {
		s.startReady(ctx)
	}
}

// next returns the next record in merge order when every shard that
// could still give an earlier one has spoken: nil when none can go yet.
func (s *source) next() (*inShard, *item) {
	var best *inShard
	for _, sh := range s.shards {
		if sh.queue.empty() {
			continue
		}
		if best == nil || less(sh, best) {
			best = sh
		}
	}
	if best == nil {
		return nil, nil
	}
	at := best.queue.head().Arrival.UnixMilli()
	for _, sh := range s.shards {
		if sh.queue.empty() && (!sh.started || sh.idle <= at) && !(sh.ended) {
			return nil, nil
		}
	}
	return best, best.queue.pop()
}

func less(a, b *inShard) bool {
	ta, tb := a.queue.head().Arrival.UnixMilli(), b.queue.head().Arrival.UnixMilli()
	if ta != tb {
		return ta < tb
	}
	return a.id < b.id
}

// bound is the earliest arrival time a record not yet taken can have;
// ok is false while a shard has not spoken.
func (s *source) bound() (int64, bool) {
	b := int64(-1)
	for _, sh := range s.shards {
		var x int64
		switch {
		case !sh.queue.empty():
			x = sh.queue.head().Arrival.UnixMilli()
		case sh.ended:
			continue
		case !sh.started || sh.idle == 0:
			return 0, false
		default:
			x = sh.idle
		}
		if b < 0 || x < b {
			b = x
		}
	}
	if b < 0 {
		return s.m.cfg.Now().UnixMilli() - s.m.cfg.ArrivalSlack.Milliseconds(), true
	}
	return b, true
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
