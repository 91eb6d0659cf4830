package datastreams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/seqnum"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// SubscribeToShard: a consumer's push stream of one shard. Each
// subscription reads the shard log on its own, at its own pace, from its
// own position: there is no shared buffer, so a subscriber that does not
// read holds only its own position and its last batch, and never slows
// writers or other subscribers. Between batches it waits on the log's
// Notify channel, so records are pushed as they commit.

// Bounds of one SubscribeToShard event: AWS sends at most 10000 records
// per event; the bytes bound keeps a subscriber's memory small while
// allowing the 2 MiB per second a consumer may read from a shard.
const (
	MaxEventRecords = 10000
	MaxEventBytes   = 2 << 20
)

// StartingPosition is where a subscription starts reading: Type is one of
// the shard iterator types, with SequenceNumber or Timestamp as they need.
type StartingPosition struct {
	Type           string
	SequenceNumber string
	Timestamp      *time.Time
}

// SubscribeEvent is one SubscribeToShardEvent.
type SubscribeEvent struct {
	Records []Record
	// ContinuationSequenceNumber is where a new subscription resumes
	// (AFTER_SEQUENCE_NUMBER); "" in the last event of a closed shard,
	// which names the shard's children in ChildShards.
	ContinuationSequenceNumber string
	MillisBehindLatest         int64
	ChildShards                []ChildShard
}

// subKey names a consumer's subscription to one shard.
type subKey struct {
	consumer string
	shard    int
}

// subscriptions are the active subscriptions of an engine, one per
// consumer and shard.
type subscriptions struct {
	mu sync.Mutex
	m  map[subKey]*Subscription
	// reshaped is closed, and replaced, when a stream's shards change (a
	// reshard closed shards): subscribers waiting at the end of a shard
	// that closed without a new record wake to tell its children.
	reshaped chan struct{}
}

func newSubscriptions() *subscriptions {
	return &subscriptions{m: map[subKey]*Subscription{}, reshaped: make(chan struct{})}
}

// changes returns the channel the next reshard closes.
func (ss *subscriptions) changes() <-chan struct{} {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.reshaped
}

// shardsChanged wakes every subscriber: shards have closed.
func (ss *subscriptions) shardsChanged() {
	ss.mu.Lock()
	close(ss.reshaped)
	ss.reshaped = make(chan struct{})
	ss.mu.Unlock()
}

// add makes s the active subscription of its key. An active one younger
// than takeover refuses it; an older one is ended with ResourceInUse.
func (ss *subscriptions) add(s *Subscription, takeover time.Duration, busy error) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if old := ss.m[s.key]; old != nil && !old.stopped() {
		if s.started.Sub(old.started) < takeover {
			return busy
		}
		old.end(errorf(registry.ErrResourceInUse, "%s", busy.Error()))
	}
	ss.m[s.key] = s
	return nil
}

func (ss *subscriptions) remove(s *Subscription) {
	ss.mu.Lock()
	if ss.m[s.key] == s {
		delete(ss.m, s.key)
	}
	ss.mu.Unlock()
}

// endConsumer ends every subscription of the consumer arn with err.
func (ss *subscriptions) endConsumer(arn string, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.m {
		if k.consumer == arn {
			s.end(err)
			delete(ss.m, k)
		}
	}
}

// Subscription is an active SubscribeToShard stream. Its owner (the
// request that made it) calls Next until it returns an error, then Close.
type Subscription struct {
	e          *Engine
	st         *stream
	key        subKey
	started    time.Time
	deadline   time.Time
	pos        uint64 // next position to read
	cont       string // ContinuationSequenceNumber for pos
	contPos    uint64 // the position cont was made for
	last       time.Time
	finished   bool
	timer      *time.Timer
	stop       chan struct{}
	stopOnce   sync.Once
	stopReason error
}

func (s *Subscription) end(err error) {
	s.stopOnce.Do(func() {
		s.stopReason = err
		close(s.stop)
	})
}

func (s *Subscription) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// SubscribeToShard starts a subscription of an ACTIVE consumer to a shard
// at a starting position. Only one subscription of a consumer to a shard
// is active: a second one within Config.SubscriptionTakeover of the first
// is refused with ResourceInUse; a later one takes over, and the first ends
// with ResourceInUse.
func (e *Engine) SubscribeToShard(ctx context.Context, consumerARN, shardIDArg string, start StartingPosition) (*Subscription, error) {
	ref := ConsumerRef{ARN: consumerARN}
	st, ref, err := e.resolveConsumer(ref)
	if err != nil {
		return nil, err
	}
	state := stateOf(st)
	i := findConsumer(state.meta, ref)
	if i < 0 {
		return nil, e.consumerNotFound(ref)
	}
	if c := state.meta.Consumers[i]; c.Status != ConsumerActive {
		// AWS's text, spacing included.
		return nil, errorf(registry.ErrResourceInUse, "Consumer %s with creation timestamp %d under stream: %s , account %s is not in ACTIVE status.",
			c.Name, c.Created.Unix(), state.meta.Name, e.cfg.Account)
	}
	sh, err := e.resolveShard(state, shardIDArg)
	if err != nil {
		return nil, err
	}
	pos, err := e.startPosition(ctx, state, sh, "SubscribeToShard", start.Type, start.SequenceNumber, start.Timestamp)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	s := &Subscription{e: e, st: st, key: subKey{consumer: consumerARN, shard: sh.info.Index},
		started: now, deadline: now.Add(e.cfg.SubscriptionLifetime), pos: pos, contPos: pos + 1, stop: make(chan struct{})}
	busy := errorf(registry.ErrResourceInUse, "Another active subscription exists for this consumer: %s:%s:%s:%s",
		e.cfg.Account, state.meta.Name, sh.info.ID, ref.Name)
	if err := e.subs.add(s, e.cfg.SubscriptionTakeover, busy); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends the subscription and frees its place.
func (s *Subscription) Close() {
	s.end(nil)
	s.e.subs.remove(s)
	if s.timer != nil {
		s.timer.Stop()
	}
}

// Lifetime is how long the subscription lasts from its start.
func (s *Subscription) Lifetime() time.Duration { return s.deadline.Sub(s.started) }

// Next waits for the next event: records as soon as they commit, an event
// without records when the subscription has been idle for
// Config.SubscriptionHeartbeat (and at once as its first event), and at the
// end of a closed shard a last event that names the shard's children. It
// returns io.EOF once the subscription's lifetime is over (or after the
// last event of a closed shard, or when the engine closes), ctx's error
// when ctx ends, and an engine error (*registry.Error) when the
// subscription ends for a reason the client is told: taken over, its
// consumer deregistered, its stream deleted.
func (s *Subscription) Next(ctx context.Context) (SubscribeEvent, error) {
	e := s.e
	for {
		if s.finished {
			return SubscribeEvent{}, io.EOF
		}
		select {
		case <-s.stop:
			s.finished = true
			if s.stopReason == nil {
				return SubscribeEvent{}, io.EOF
			}
			return SubscribeEvent{}, s.stopReason
		case <-e.done:
			s.finished = true
			return SubscribeEvent{}, io.EOF
		default:
		}
		state := stateOf(s.st)
		if e.lookup(state.meta.Name) != s.st {
			s.finished = true
			return SubscribeEvent{}, e.streamNotFound(state.meta.Name)
		}
		var sh *shardRT
		for _, c := range state.shards {
			if c.info.Index == s.key.shard {
				sh = c
			}
		}
		if sh == nil {
			s.finished = true
			return SubscribeEvent{}, e.shardNotFound(shardID(s.key.shard), state.meta.Name)
		}
		now := e.cfg.Now()
		if sh.drained(s.pos) {
			s.finished = true
			return SubscribeEvent{Records: []Record{}, ChildShards: state.children(sh.info.ID)}, nil
		}
		if !now.Before(s.deadline) {
			s.finished = true
			return SubscribeEvent{}, io.EOF
		}
		// Take the channel before reading: a commit after the read
		// closes it, so it is never missed.
		notify, reshaped := sh.log.Notify(), e.subs.changes()
		ev, n, err := s.read(ctx, sh, state, now)
		if err != nil {
			s.finished = true
			switch {
			case ctx.Err() != nil:
				return SubscribeEvent{}, ctx.Err()
			case errors.Is(err, shard.ErrClosed):
				return SubscribeEvent{}, e.streamNotFound(state.meta.Name)
			}
			return SubscribeEvent{}, fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		if n > 0 || now.Sub(s.last) >= e.cfg.SubscriptionHeartbeat {
			s.last = now
			if sh.drained(s.pos) {
				s.finished = true
				ev.ContinuationSequenceNumber = ""
				ev.MillisBehindLatest = 0
				ev.ChildShards = state.children(sh.info.ID)
			}
			return ev, nil
		}
		wait := min(s.deadline.Sub(now), s.last.Add(e.cfg.SubscriptionHeartbeat).Sub(now))
		if s.timer == nil {
			s.timer = time.NewTimer(wait)
		} else {
			s.timer.Reset(wait)
		}
		select {
		case <-notify:
		case <-reshaped:
		case <-s.timer.C:
		case <-ctx.Done():
			s.finished = true
			return SubscribeEvent{}, ctx.Err()
		case <-s.stop:
		case <-e.done:
		}
		s.timer.Stop()
	}
}

// read reads the next batch at s.pos and makes it an event; n is how many
// records it holds.
func (s *Subscription) read(ctx context.Context, sh *shardRT, state *streamState, now time.Time) (SubscribeEvent, int, error) {
	before := sh.log.Bounds()
	recs, err := sh.log.Read(ctx, s.pos, MaxEventRecords, MaxEventBytes)
	if err != nil {
		return SubscribeEvent{}, 0, err
	}
	if len(recs) == 0 && s.pos >= before.First && s.pos < before.Next {
		// Records lost to damaged storage, or numbers skipped: go past
		// them, as GetRecords does.
		s.pos = before.Next
	}
	cutoff := now.Add(-time.Duration(state.meta.RetentionHours) * time.Hour).UnixNano()
	if len(recs) > 0 && recs[0].Time < cutoff {
		h, err := sh.log.SeekTime(ctx, cutoff)
		if err != nil {
			return SubscribeEvent{}, 0, err
		}
		if recs, err = sh.log.Read(ctx, max(s.pos, h), MaxEventRecords, MaxEventBytes); err != nil {
			return SubscribeEvent{}, 0, err
		}
	}
	ev := SubscribeEvent{Records: make([]Record, 0, len(recs))}
	bytes := 0
	for _, r := range recs {
		rec := sh.record(r)
		ev.Records = append(ev.Records, rec)
		bytes += len(rec.Data) + len(rec.PartitionKey)
		s.pos = r.Seq + 1
	}
	if len(ev.Records) > 0 {
		s.cont, s.contPos = ev.Records[len(ev.Records)-1].SequenceNumber, s.pos
		if b := sh.log.Bounds(); s.pos < b.Next {
			ev.MillisBehindLatest = now.Sub(time.Unix(0, recs[len(recs)-1].Time)).Milliseconds()
		}
		sh.traffic.got(len(recs), bytes, ev.MillisBehindLatest, now)
	} else if s.pos < before.First {
		s.pos = before.First
	}
	if s.contPos != s.pos {
		s.cont, s.contPos = sh.continuation(s.pos, now), s.pos
	}
	ev.ContinuationSequenceNumber = s.cont
	return ev, len(ev.Records), nil
}

// record makes a stored record a Record of the shard.
func (s *shardRT) record(r shard.Record) Record {
	pk := ""
	if len(r.Meta) > 0 && r.Meta[0] == metaV1 {
		pk = string(r.Meta[1:])
	}
	seq := seqnum.Format(seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Counter: r.Seq, Arrival: r.Time / int64(time.Second)})
	return Record{SequenceNumber: seq, Arrival: time.Unix(0, r.Time), PartitionKey: pk, Data: r.Data, Encrypted: r.KeyVer != 0}
}

// continuation returns a sequence number that AFTER_SEQUENCE_NUMBER
// resumes at pos: the shard's StartingSequenceNumber for its start, else a
// number of counter pos-1 (whose arrival part, unknown here, readers
// ignore).
func (s *shardRT) continuation(pos uint64, now time.Time) string {
	p := seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Arrival: s.createdSec}
	if pos > 0 {
		p.Counter, p.Arrival = pos-1, max(s.createdSec+1, now.Unix())
	}
	return seqnum.Format(p)
}
