package agent

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// send delivers the batch: for a Kinesis flow the intent (the records'
// range and identities) is written and fsynced first; records the
// producer gives up on are sent again; then the file's offset moves past
// the batch and the intent is cleared, in one checkpoint write.
func (f *flow) send(ctx context.Context) error {
	b := f.batch
	f.batch = nil
	pending := 0
	for _, r := range b.recs {
		if !r.done {
			pending++
		}
	}
	backoff := 100 * time.Millisecond
	for pending > 0 {
		if f.s.kinesis {
			in := b.intent()
			if err := f.a.update(func() { f.st.Intent = in }); err != nil {
				return err
			}
		}
		f.mu.Lock()
		f.gen++
		gen := f.gen
		f.res = make([]int8, len(b.recs))
		f.mu.Unlock()
		for i, r := range b.recs {
			if r.done {
				continue
			}
			if err := f.prod.PutTagged(ctx, r.pk, r.data, recTag{gen: gen, idx: i}); err != nil {
				f.batch = b // kept for a retry; the intent covers it
				return fmt.Errorf("put: %w", err)
			}
		}
		if err := f.prod.Flush(ctx); err != nil {
			f.batch = b
			return fmt.Errorf("flush: %w", err)
		}
		f.mu.Lock()
		res := f.res
		f.gen++ // late callbacks of this round are ignored
		f.mu.Unlock()
		pending = 0
		for i := range b.recs {
			r := &b.recs[i]
			if r.done {
				continue
			}
			if res[i] == 1 {
				r.done = true
				f.sent.Add(1)
				f.bytesSent.Add(int64(len(r.data)))
				continue
			}
			pending++
		}
		if pending > 0 && f.s.kinesis {
			// A record reported with producer.ErrUnknownOutcome (its
			// call's answer was lost), or given up on after a try
			// whose answer was lost, may be stored: look before sending
			// it again. Records held back after it (ErrHeldBack) were
			// not sent; they go again after it, in file order.
			if err := sleep(ctx, recoverySettle); err != nil {
				f.batch = b
				return err
			}
			in := b.intent()
			found, err := f.findStored(ctx, in, in.Done)
			if err != nil {
				f.a.log.Warn("agent: cannot read the stream to check undelivered records", "flow", f.s.id, "err", err)
				f.batch = b
				return err
			}
			for i := range b.recs {
				if in.Done[i] && !b.recs[i].done {
					b.recs[i].done = true
					f.sent.Add(1)
					f.bytesSent.Add(int64(len(b.recs[i].data)))
				}
			}
			pending -= found
		}
		if pending > 0 {
			f.a.log.Warn("agent: records not delivered; sending them again", "flow", f.s.id, "records", pending)
			select {
			case <-ctx.Done():
				f.batch = b
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
	end := b.end()
	f.mu.Lock()
	tips := maps.Clone(f.tips)
	f.mu.Unlock()
	return f.a.update(func() {
		if b.file.Offset < end {
			b.file.Offset = end
		}
		f.st.Intent = nil
		f.st.Tips = tips
	})
}

// intent describes the batch for the checkpoint.
func (b *batch) intent() *intent {
	if b.since.IsZero() {
		b.since = time.Now().UTC()
	}
	in := &intent{File: b.file.fileID, Path: b.file.Path, From: b.from, Time: b.since}
	for _, r := range b.recs {
		in.Ends = append(in.Ends, r.end)
		in.Hashes = append(in.Hashes, r.hash)
		in.Done = append(in.Done, r.done)
	}
	return in
}

// delivered is the producer's OnDelivered.
func (f *flow) delivered(d producer.Delivered) {
	t, ok := d.Tag.(recTag)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d.ShardID != "" && seqLess(f.tips[d.ShardID], d.SequenceNumber) {
		f.tips[d.ShardID] = d.SequenceNumber
	}
	if t.gen == f.gen && t.idx < len(f.res) {
		f.res[t.idx] = 1
	}
}

// failure is the producer's OnFailure.
func (f *flow) failure(fl producer.Failure) {
	t, ok := fl.Tag.(recTag)
	if !ok {
		return
	}
	f.failed.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.gen == f.gen && t.idx < len(f.res) {
		f.res[t.idx] = 2
	}
}

// seqLess compares two decimal sequence numbers ("" is the least).
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
