package producer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

// shardRange is one shard of the stream as ListShards reports it.
type shardRange struct {
	id         string
	start, end hashKey
	open       bool
}

func (r shardRange) holds(h hashKey) bool { return !h.less(r.start) && !r.end.less(h) }

// overlaps reports whether r and o share a hash key.
func (r shardRange) overlaps(o shardRange) bool { return !r.end.less(o.start) && !o.end.less(r.start) }

// shard is an open shard's buffer: the aggregate being filled, the user
// records in it, and the shard's write allowance.
type shard struct {
	r     shardRange
	agg   *kpl.Aggregator
	users []userRecord
	arena []byte // copies of the users' data
	first time.Time
	bytes bucket
	recs  bucket
	gone  bool   // closed by a reshard; its records were routed again
	mark  uint64 // take's scan generation in which it was throttled

	// With Ordered: out is 1 while one of its records is sent and not
	// settled (in flight, waiting for a retry, or landed elsewhere);
	// parents are closed shards whose range it shares (and their closed
	// parents that had a record out), which must have none out before it
	// sends; held is set when a record of it (or of a parent) was not
	// delivered, heldSeq the Put number of the last user record it is
	// held for, and later records are reported, not sent, until a Flush.
	out     int
	parents []*shard
	held    bool
	heldSeq uint64
}

// userRecord is one record given to Put.
type userRecord struct {
	pk     string
	data   []byte
	tag    any
	hash   hashKey
	size   int
	seq    uint64
	reputs int // times sent again after landing on an unexpected shard
}

// kRecord is one Kinesis (or Firehose) record: an aggregate or a single
// user record.
type kRecord struct {
	pk, ehk string
	// data is the record. An aggregate's is copied out of the shard's
	// Aggregator when sealed, with its MD5 trailer left for the sender to
	// write (digest set), so that MD5 runs there, not in Put.
	data      []byte
	digest    bool
	users     []userRecord
	shard     *shard
	size      int
	tries     int
	notBefore time.Time
	sent      bool // with Ordered: counted in shard.out
}

func (k *kRecord) aggregated() bool { return k.ehk != "" }

// landed is an aggregate stored on a shard other than the predicted one.
type landed struct {
	k          *kRecord
	shard, seq string
	waits      int // refreshes that could not decide it
}

type refreshState struct{ running, again bool }

func (p *Producer) newShard(r shardRange, now time.Time) *shard {
	rate := func(v int64) float64 {
		if v < 0 || r.id == "" {
			return 0
		}
		return float64(v)
	}
	return &shard{r: r, agg: new(kpl.Aggregator), bytes: newBucket(rate(p.cfg.ShardBytesPerSec), now), recs: newBucket(rate(p.cfg.ShardRecordsPerSec), now)}
}

// listShards reads every shard of the stream, paging with NextToken.
func (p *Producer) listShards(ctx context.Context) ([]shardRange, error) {
	var out []shardRange
	in := &kinesis.ListShardsInput{}
	if p.cfg.StreamARN != "" {
		in.StreamARN = aws.String(p.cfg.StreamARN)
	} else {
		in.StreamName = aws.String(p.cfg.StreamName)
	}
	for {
		res, err := p.cfg.Kinesis.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("producer: ListShards: %w", err)
		}
		for _, s := range res.Shards {
			if s.ShardId == nil || s.HashKeyRange == nil {
				continue
			}
			start, err := parseHashKey(aws.ToString(s.HashKeyRange.StartingHashKey))
			if err != nil {
				return nil, err
			}
			end, err := parseHashKey(aws.ToString(s.HashKeyRange.EndingHashKey))
			if err != nil {
				return nil, err
			}
			open := s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil
			out = append(out, shardRange{id: *s.ShardId, start: start, end: end, open: open})
		}
		if aws.ToString(res.NextToken) == "" {
			return out, nil
		}
		in = &kinesis.ListShardsInput{NextToken: res.NextToken}
	}
}

// applyShards installs a new shard map: open shards keep their buffers,
// and the records buffered for shards that closed are routed again.
func (p *Producer) applyShards(ranges []shardRange, now time.Time) {
	old := map[string]*shard{}
	for _, s := range p.shards {
		old[s.r.id] = s
	}
	var open []*shard
	for _, r := range ranges {
		p.known[r.id] = r
		if !r.open {
			continue
		}
		if s, ok := old[r.id]; ok && s.r == r {
			open = append(open, s)
			delete(old, r.id)
			continue
		}
		open = append(open, p.newShard(r, now))
	}
	if p.ordered {
		for _, s := range open {
			for _, o := range old {
				if s != o && s.r.overlaps(o.r) {
					p.inherit(s, o)
				}
			}
		}
	}
	slices.SortFunc(open, func(a, b *shard) int {
		if a.r.start.less(b.r.start) {
			return -1
		}
		return 1
	})
	p.shards = open
	if len(old) == 0 {
		return
	}
	var again []userRecord
	for _, s := range old {
		s.gone = true
		again = append(again, s.users...)
		s.users = nil
		s.agg.Reset()
	}
	// Aggregates not yet sent to a closed shard are taken apart.
	keep := p.ready[:0]
	for _, k := range p.ready {
		switch {
		case !k.shard.gone:
			keep = append(keep, k)
		case k.aggregated() || p.ordered:
			p.release(k)
			again = append(again, k.users...)
		default:
			k.shard = p.route(k.users[0].hash)
			keep = append(keep, k)
		}
	}
	clear(p.ready[len(keep):])
	p.ready = keep
	p.requeue(again)
	p.log.Info("producer: shard map changed", "stream", p.cfg.StreamName+p.cfg.StreamARN, "open", len(open), "rerouted", len(again))
}

// route is the open shard whose range holds h, or the unrouted buffer.
func (p *Producer) route(h hashKey) *shard {
	i, _ := slices.BinarySearchFunc(p.shards, h, func(s *shard, h hashKey) int {
		if h.less(s.r.start) {
			return 1
		}
		if s.r.end.less(h) {
			return -1
		}
		return 0
	})
	if i < len(p.shards) && p.shards[i].r.holds(h) {
		return p.shards[i]
	}
	return p.unrouted
}

// add buffers one user record; p.mu is held.
func (p *Producer) add(u userRecord, data []byte) {
	s := p.unrouted
	if !p.firehose {
		s = p.route(u.hash)
	}
	if s.held {
		p.failUser(u, ErrHeldBack)
		p.settle()
		return
	}
	if !p.aggregate || s == p.unrouted {
		u.data = append([]byte(nil), data...)
		p.ready = append(p.ready, &kRecord{pk: u.pk, data: u.data, users: []userRecord{u}, shard: s, size: u.size})
		p.poke()
		return
	}
	r := kpl.Record{PartitionKey: u.pk, Data: data}
	limit := p.cfg.AggregationMaxSize
	if !s.agg.TryAdd(r, limit) {
		p.seal(s)
		s.agg.Add(r)
	}
	if s.agg.Len() == 1 {
		s.first = time.Now()
		p.poke() // a new linger deadline
	}
	if cap(s.arena)-len(s.arena) < len(data) {
		s.arena = make([]byte, 0, max(len(data), limit))
	}
	off := len(s.arena)
	s.arena = append(s.arena, data...)
	u.data = s.arena[off:len(s.arena):len(s.arena)]
	s.users = append(s.users, u)
	if s.agg.Size() >= limit {
		p.seal(s)
	}
}

// seal turns a shard's aggregate into a Kinesis record ready to send. A
// lone user record goes as itself, as the KPL sends it.
func (p *Producer) seal(s *shard) {
	if len(s.users) == 0 {
		return
	}
	var k *kRecord
	if u := s.users[0]; len(s.users) == 1 {
		k = &kRecord{pk: u.pk, data: u.data, users: s.users, shard: s, size: u.size}
	} else {
		// The aggregate's explicit hash key is its first user record's
		// hash, so it lands on the shard all of them hash to.
		// The copy leaves the shard's Aggregator, and its grown buffers,
		// free for the next aggregate.
		data := s.agg.AppendUndigested(make([]byte, 0, s.agg.Size()))
		k = &kRecord{pk: u.pk, ehk: u.hash.String(), data: data, digest: true, users: s.users, shard: s, size: s.agg.Size() + len(u.pk)}
	}
	s.users = make([]userRecord, 0, len(s.users))
	s.agg.Reset()
	p.ready = append(p.ready, k)
	p.poke()
}

// requestRefresh reads the shard map again in the background; p.mu is held.
func (p *Producer) requestRefresh() {
	if p.firehose {
		return
	}
	if p.refresh.running {
		p.refresh.again = true
		return
	}
	p.refresh.running = true
	p.wg.Add(1)
	go p.refreshLoop()
}

func (p *Producer) refreshLoop() {
	defer p.wg.Done()
	for tries := 1; ; tries++ {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		ranges, err := p.listShards(ctx)
		cancel()
		p.mu.Lock()
		now := time.Now()
		if err != nil {
			p.log.Warn("producer: shard map refresh failed", "err", err)
		} else {
			p.applyShards(ranges, now)
		}
		waiting := p.settleWrong(err == nil)
		p.settle()
		if !p.refresh.again && !waiting && (err == nil || tries >= p.cfg.MaxRetries || p.ctx.Err() != nil) {
			p.refresh.running = false
			p.mu.Unlock()
			p.poke()
			return
		}
		p.refresh.again = false
		p.mu.Unlock()
		p.poke()
		if err != nil || waiting {
			select {
			case <-time.After(p.backoff(tries)):
			case <-p.ctx.Done():
			}
		}
	}
}

// settleWrong decides the aggregates that landed on an unexpected shard:
// when every user record in one hashes into the shard it landed on, they
// are delivered; otherwise a consumer would drop the aggregate (the KCL
// drops an aggregate holding a record outside its shard's range), so
// every user record in it is put again. An aggregate is decided only by a
// map that holds the shard it landed on: without a fresh map (fresh
// false), or with one read before that shard was made (a refresh already
// under way when it landed), it waits for the next refresh, and only
// after MaxRetries of those is it put again unseen. It reports whether
// any still wait; p.mu is held.
func (p *Producer) settleWrong(fresh bool) (waiting bool) {
	wrong := p.wrong
	p.wrong = nil
	for _, w := range wrong {
		r, ok := p.known[w.shard]
		if !fresh || !ok {
			w.waits++
			if w.waits <= p.cfg.MaxRetries && p.ctx.Err() == nil {
				p.wrong = append(p.wrong, w)
				continue
			}
		}
		inside := fresh && ok
		for _, u := range w.k.users {
			inside = inside && r.holds(u.hash)
		}
		if inside {
			p.deliver(w.k, w.shard, w.seq)
			continue
		}
		p.m.Retries++
		p.release(w.k)
		var again []userRecord
		for _, u := range w.k.users {
			u.reputs++
			if u.reputs > p.cfg.MaxRetries || p.ctx.Err() != nil {
				p.failUser(u, fmt.Errorf("producer: aggregate landed on %s, not on the shard its records hash to, %d times", w.shard, u.reputs))
				continue
			}
			again = append(again, u)
		}
		p.requeue(again)
	}
	return len(p.wrong) > 0
}
