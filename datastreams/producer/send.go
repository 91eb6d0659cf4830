package producer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

// dispatch seals aggregates whose linger is over (or all of them on
// Flush) and sends what is ready, within the per-shard allowance and
// MaxInFlight calls.
func (p *Producer) dispatch() {
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var gen uint64
	for {
		p.mu.Lock()
		now := time.Now()
		next := p.sealDue(now)
		var batches [][]*kRecord
		for p.inflight < p.cfg.MaxInFlight {
			gen++
			b, wait := p.take(now, gen)
			if len(b) == 0 {
				if wait > 0 && (next == 0 || wait < next) {
					next = wait
				}
				break
			}
			p.inflight++
			batches = append(batches, b)
		}
		p.mu.Unlock()
		for _, b := range batches {
			p.wg.Add(1)
			go p.send(b)
		}
		if next > 0 {
			timer.Reset(next)
		}
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.done:
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// sealDue seals the aggregates due now and returns the time to the next
// linger deadline (0 when none); p.mu is held.
func (p *Producer) sealDue(now time.Time) time.Duration {
	var next time.Duration
	flushing := p.flushing
	p.flushing = false
	for _, s := range p.shards {
		if len(s.users) == 0 {
			continue
		}
		left := p.cfg.Linger - now.Sub(s.first)
		if flushing || left <= 0 {
			p.seal(s)
			continue
		}
		if next == 0 || left < next {
			next = left
		}
	}
	return next
}

// take removes one call's worth of records from the ready queue, in queue
// order, skipping records waiting for a retry and shards out of allowance.
// It returns how long until a skipped record could go when it takes none.
func (p *Producer) take(now time.Time, gen uint64) ([]*kRecord, time.Duration) {
	var batch []*kRecord
	var wait time.Duration
	later := func(d time.Duration) {
		if d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	bytes := 0
	keep := p.ready[:0]
	for i, k := range p.ready {
		if len(batch) == p.cfg.MaxRequestRecords || len(batch) > 0 && bytes+k.size > p.cfg.MaxRequestBytes {
			keep = append(keep, p.ready[i:]...)
			break
		}
		if d := k.notBefore.Sub(now); d > 0 {
			later(d)
			keep = append(keep, k)
			continue
		}
		s := k.shard
		if p.ordered && !p.mayGo(k) {
			keep = append(keep, k)
			continue
		}
		if s.mark == gen {
			keep = append(keep, k)
			continue
		}
		s.bytes.refill(now)
		s.recs.refill(now)
		if !s.bytes.allows(float64(k.size)) || !s.recs.allows(1) {
			s.mark = gen
			later(max(s.bytes.wait(float64(k.size)), s.recs.wait(1)))
			keep = append(keep, k)
			continue
		}
		s.bytes.take(float64(k.size))
		s.recs.take(1)
		if p.ordered && !k.sent {
			k.sent = true
			s.out++
		}
		batch = append(batch, k)
		bytes += k.size
	}
	clear(p.ready[len(keep):])
	p.ready = keep
	return batch, wait
}

// send makes one call and settles its records.
func (p *Producer) send(batch []*kRecord) {
	defer p.wg.Done()
	// The batch is this goroutine's until it takes p.mu again: aggregates
	// are framed here, in parallel with Put.
	for _, k := range batch {
		if k.digest {
			kpl.FillDigest(k.data)
			k.digest = false
		}
	}
	start := time.Now()
	var (
		err     error
		kOut    []types.PutRecordsResultEntry
		fOut    []fhtypes.PutRecordBatchResponseEntry
		records int
	)
	if p.firehose {
		in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(p.cfg.DeliveryStreamName), Records: make([]fhtypes.Record, len(batch))}
		for i, k := range batch {
			in.Records[i].Data = k.data
		}
		var out *firehose.PutRecordBatchOutput
		var opts []func(*firehose.Options)
		if !p.blind {
			opts = append(opts, func(o *firehose.Options) { o.Retryer, o.RetryMaxAttempts = aws.NopRetryer{}, 0 })
		}
		if out, err = p.cfg.Firehose.PutRecordBatch(p.ctx, in, opts...); err == nil {
			fOut = out.RequestResponses
			records = len(fOut)
		}
	} else {
		in := &kinesis.PutRecordsInput{Records: make([]types.PutRecordsRequestEntry, len(batch))}
		if p.cfg.StreamARN != "" {
			in.StreamARN = aws.String(p.cfg.StreamARN)
		} else {
			in.StreamName = aws.String(p.cfg.StreamName)
		}
		for i, k := range batch {
			e := &in.Records[i]
			e.Data, e.PartitionKey = k.data, aws.String(k.pk)
			if k.ehk != "" {
				e.ExplicitHashKey = aws.String(k.ehk)
			}
		}
		var out *kinesis.PutRecordsOutput
		if out, err = p.putRecords(p.ctx, in); err == nil {
			kOut = out.Records
			records = len(kOut)
		}
	}
	took := time.Since(start)
	unknown := err != nil && unknownOutcome(err)
	if err == nil && records != len(batch) {
		err, unknown = fmt.Errorf("producer: %d results for %d records", records, len(batch)), true
	}

	p.mu.Lock()
	now := time.Now()
	p.inflight--
	p.m.Requests++
	if p.latencyNs == 0 {
		p.latencyNs = float64(took)
	} else {
		p.latencyNs += (float64(took) - p.latencyNs) / 16
	}
	for i, k := range batch {
		switch {
		case unknown && !p.blind:
			p.giveUp(k, fmt.Errorf("%w: %w", ErrUnknownOutcome, err))
		case err != nil:
			p.retry(k, fmt.Errorf("producer: %w", err), retryable(err), now)
		case p.firehose && fOut[i].ErrorCode != nil:
			p.retry(k, entryError(fOut[i].ErrorCode, fOut[i].ErrorMessage), true, now)
		case p.firehose:
			p.deliver(k, "", aws.ToString(fOut[i].RecordId))
		case kOut[i].ErrorCode != nil:
			p.retry(k, entryError(kOut[i].ErrorCode, kOut[i].ErrorMessage), true, now)
		default:
			p.landed(k, aws.ToString(kOut[i].ShardId), aws.ToString(kOut[i].SequenceNumber))
		}
	}
	p.settle()
	p.mu.Unlock()
	p.poke()
}

// EntryError is why one record of a PutRecords or PutRecordBatch call
// failed.
type EntryError struct{ Code, Message string }

func (e *EntryError) Error() string { return "producer: " + e.Code + ": " + e.Message }

func entryError(code, msg *string) error {
	return &EntryError{Code: aws.ToString(code), Message: aws.ToString(msg)}
}

// permanent are the error codes no retry can cure.
var permanent = map[string]bool{
	"ResourceNotFoundException": true, "InvalidArgumentException": true, "ValidationException": true,
	"AccessDeniedException": true, "UnrecognizedClientException": true, "IncompleteSignature": true,
	"KMSDisabledException": true, "KMSInvalidStateException": true, "KMSNotFoundException": true,
	"KMSAccessDeniedException": true, "KMSOptInRequired": true, "InvalidKMSResourceException": true,
	"InvalidSourceException": true,
}

func retryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return !permanent[ae.ErrorCode()]
	}
	return true
}

// retry schedules another try of k, or reports it; p.mu is held.
func (p *Producer) retry(k *kRecord, err error, again bool, now time.Time) {
	k.tries++
	if !again || k.tries > p.cfg.MaxRetries || p.ctx.Err() != nil {
		if k.tries > p.cfg.MaxRetries {
			err = fmt.Errorf("producer: gave up after %d tries: %w", k.tries, err)
		}
		p.giveUp(k, err)
		return
	}
	p.m.Retries++
	k.notBefore = now.Add(p.backoff(k.tries))
	p.ready = append(p.ready, k)
	p.log.Debug("producer: retry", "tries", k.tries, "err", err)
}

// backoff is the wait before try n+1: exponential with jitter.
func (p *Producer) backoff(n int) time.Duration {
	d := p.cfg.BackoffBase << min(n-1, 30)
	if d <= 0 || d > p.cfg.BackoffMax {
		d = p.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// landed settles a record the service stored; p.mu is held.
func (p *Producer) landed(k *kRecord, shardID, seq string) {
	if k.shard == p.unrouted && !p.firehose && len(p.shards) == 0 {
		p.requestRefresh() // the stream had no open shard when the map was read
	}
	if k.shard != p.unrouted && shardID != k.shard.r.id {
		p.requestRefresh()
		if k.aggregated() {
			p.wrong = append(p.wrong, landed{k: k, shard: shardID, seq: seq})
			return
		}
	}
	p.deliver(k, shardID, seq)
}

// deliver marks k's user records delivered; p.mu is held.
func (p *Producer) deliver(k *kRecord, shardID, seq string) {
	p.release(k)
	p.m.KinesisRecords++
	p.m.Bytes += int64(k.size)
	p.m.UserRecords += int64(len(k.users))
	for i, u := range k.users {
		if sl := p.order.resolve(u.seq); sl != nil {
			sl.ev = Delivered{PartitionKey: u.pk, Data: u.data, ShardID: shardID, SequenceNumber: seq, SubSequence: i, Tag: u.tag}
		}
		p.buffered -= int64(u.size)
	}
}

// failUser reports one user record; p.mu is held.
func (p *Producer) failUser(u userRecord, err error) {
	if sl := p.order.resolve(u.seq); sl != nil {
		sl.ev, sl.err = Delivered{PartitionKey: u.pk, Data: u.data, Tag: u.tag}, err
	}
	p.buffered -= int64(u.size)
	p.m.Failed++
}

// failPending reports every record not in flight; p.mu is held.
func (p *Producer) failPending(err error) {
	for _, s := range append([]*shard{p.unrouted}, p.shards...) {
		for _, u := range s.users {
			p.failUser(u, err)
		}
		s.users = nil
		s.agg.Reset()
	}
	for _, k := range p.ready {
		for _, u := range k.users {
			p.failUser(u, err)
		}
	}
	p.ready = nil
	for _, w := range p.wrong {
		for _, u := range w.k.users {
			p.failUser(u, err)
		}
	}
	p.wrong = nil
	p.settle()
}

// settle moves the resolved prefix of the order to the callbacks; p.mu is
// held.
func (p *Producer) settle() {
	var n int
	if p.order.keep {
		p.events, n = p.order.pop(p.events)
		if n > 0 {
			select {
			case p.cbWake <- struct{}{}:
			default:
			}
		}
	} else {
		_, n = p.order.pop(nil)
		p.reported += uint64(n)
	}
	p.broadcast()
}

// runCallbacks calls OnDelivered and OnFailure in Put order, one at a
// time.
func (p *Producer) runCallbacks() {
	defer p.wg.Done()
	var spare []slot
	for {
		select {
		case <-p.cbWake:
		case <-p.done:
			return
		}
		p.mu.Lock()
		evs := p.events
		p.events = spare[:0]
		p.mu.Unlock()
		for i := range evs {
			e := &evs[i]
			switch {
			case e.err != nil && p.cfg.OnFailure != nil:
				p.cfg.OnFailure(Failure{PartitionKey: e.ev.PartitionKey, Data: e.ev.Data, Err: e.err, Tag: e.ev.Tag})
			case e.err == nil && p.cfg.OnDelivered != nil:
				p.cfg.OnDelivered(e.ev)
			}
		}
		clear(evs)
		spare = evs
		p.mu.Lock()
		p.reported += uint64(len(evs))
		p.broadcast()
		p.mu.Unlock()
	}
}
