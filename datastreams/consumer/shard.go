package consumer

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// fetched is one batch read from a shard. end is set when the shard is
// closed and fully read; children are then its child shards.
type fetched struct {
	records  []ktypes.Record
	end      bool
	children []ktypes.ChildShard
}

// source reads a shard in order: by polling or by enhanced fan-out.
type source interface {
	next(ctx context.Context) (fetched, error)
	close()
}

// runShard processes the shard of a held lease until the shard ends, the
// lease is lost or the worker stops.
func (w *Worker) runShard(ctx context.Context, h *held) {
	defer w.forget(h)
	h.mu.Lock()
	lease := h.lease
	h.mu.Unlock()
	key := lease.Key
	log := w.log.With("shard", key)
	if !w.waitParents(ctx, lease) {
		return // stopped before processing: the worker's stop or the new owner deals with the lease
	}
	start := lease.Checkpoint
	p := w.cfg.NewProcessor()
	cp := &Checkpointer{w: w, h: h, shard: key, last: start, done: start}
	// finish runs when processing stops: the processor hears why.
	finish := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.FailoverTime)
		defer cancel()
		if errors.Is(context.Cause(ctx), ErrLeaseLost) || h.isLost() {
			p.LeaseLost(fctx)
			return
		}
		if err := p.Shutdown(fctx, cp); err != nil {
			log.Warn("processor shutdown", "err", err)
		}
	}
	if err := p.Initialize(ctx, key, start); err != nil {
		log.Warn("processor initialize", "err", err)
		w.giveUp(ctx, h)
		finish()
		return
	}
	src := w.newSource(key, start)
	defer src.close()
	for {
		b, err := src.next(ctx)
		if ctx.Err() != nil {
			finish()
			return
		}
		if err != nil {
			var inUse *ktypes.ResourceInUseException
			if errors.As(err, &inUse) {
				log.Info("shard still subscribed by its previous owner", "err", err)
			} else {
				log.Warn("read shard", "err", err)
			}
			if !sleep(ctx, w.backoff()) {
				finish()
				return
			}
			continue
		}
		recs := userRecords(b.records, start)
		if len(recs) > 0 {
			cp.mu.Lock()
			cp.last = recs[len(recs)-1].Position()
			cp.mu.Unlock()
			if err := p.ProcessRecords(ctx, recs, cp); err != nil {
				log.Warn("processor failed; the lease goes back to the table", "err", err)
				w.giveUp(ctx, h)
				finish()
				return
			}
		}
		if b.end {
			w.shardEnded(ctx, h, p, cp, b.children)
			return
		}
	}
}

// backoff is the pause after a failed read.
func (w *Worker) backoff() time.Duration {
	return min(max(w.cfg.FailoverTime/10, 50*time.Millisecond), time.Second)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitParents blocks until every parent lease is gone or at SHARD_END.
func (w *Worker) waitParents(ctx context.Context, l Lease) bool {
	for _, p := range l.Parents {
		for {
			pl, ok, err := w.tbl.get(ctx, p)
			if err == nil && (!ok || pl.finished()) {
				break
			}
			if err != nil && ctx.Err() == nil {
				w.log.Warn("read parent lease", "shard", l.Key, "parent", p, "err", err)
			}
			if !sleep(ctx, w.backoff()) {
				return false
			}
		}
	}
	return true
}

// giveUp releases the lease in the table so that it is retried from its
// last checkpoint (by this worker or another).
func (w *Worker) giveUp(ctx context.Context, h *held) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.FailoverTime)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost.Load() {
		return
	}
	w.releaseLocked(rctx, h)
}

// shardEnded records the children on the lease, creates their leases,
// lets the processor checkpoint SHARD_END and then releases the lease; it
// is cleaned up once the children have made progress.
func (w *Worker) shardEnded(ctx context.Context, h *held, p Processor, cp *Checkpointer, children []ktypes.ChildShard) {
	key := cp.shard
	var ids []string
	for _, c := range children {
		ids = append(ids, aws.ToString(c.ShardId))
	}
	if err := w.tbl.setChildren(ctx, key, ids); err != nil {
		w.log.Warn("record child shards", "shard", key, "err", err)
	}
	for _, c := range children {
		parents := c.ParentShards
		if len(parents) == 0 {
			parents = []string{key}
		}
		l := Lease{Key: aws.ToString(c.ShardId), Checkpoint: Position{Sequence: SentinelTrimHorizon}, Parents: parents}
		if c.HashKeyRange != nil {
			l.StartingHashKey = aws.ToString(c.HashKeyRange.StartingHashKey)
			l.EndingHashKey = aws.ToString(c.HashKeyRange.EndingHashKey)
		}
		if _, err := w.tbl.create(ctx, l); err != nil {
			w.log.Warn("create child lease", "shard", l.Key, "err", err)
		}
	}
	cp.mu.Lock()
	cp.ended = true
	cp.mu.Unlock()
	if err := p.ShardEnded(ctx, cp); err != nil {
		w.log.Warn("processor shard end", "shard", key, "err", err)
	}
	if cp.Last().Sequence != SentinelShardEnd {
		if h.isLost() {
			w.log.Info("lease lost at the shard's end; its next owner ends it", "shard", key)
			return
		}
		w.log.Error("processor did not checkpoint SHARD_END; the shard will be read again from its last checkpoint", "shard", key)
		h.mu.Lock()
		if !h.lost.Load() {
			w.loseLocked(h, "no SHARD_END checkpoint")
		}
		h.mu.Unlock()
		return
	}
	w.giveUp(ctx, h)
	w.log.Info("shard ended", "shard", key, "children", ids)
}
