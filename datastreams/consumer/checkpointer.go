package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrBadCheckpoint is returned for a checkpoint before the shard's last
// one or beyond the last record handed to the processor.
var ErrBadCheckpoint = errors.New("consumer: checkpoint out of range")

// Checkpointer records a shard's progress in its lease. It is safe for
// concurrent use and refuses (ErrLeaseLost) once the lease is gone.
type Checkpointer struct {
	w     *Worker
	h     *held
	shard string

	mu sync.Mutex
	// last is the position of the last record handed to the processor.
	last Position
	// done is the last checkpoint written (or the one the shard started
	// from).
	done Position
	// ended is set when the shard is fully read: Checkpoint then writes
	// SHARD_END.
	ended bool
}

// Checkpoint records that every record handed to the processor so far is
// processed; at the shard's end it records SHARD_END.
func (c *Checkpointer) Checkpoint(ctx context.Context) error {
	c.mu.Lock()
	p := c.last
	if c.ended {
		p = Position{Sequence: SentinelShardEnd}
	}
	c.mu.Unlock()
	if p.IsSentinel() && p.Sequence != SentinelShardEnd {
		return nil // nothing delivered yet
	}
	return c.write(ctx, p)
}

// CheckpointAt records that processing reached the record at (seq, sub):
// it and everything before it in the shard are processed.
func (c *Checkpointer) CheckpointAt(ctx context.Context, seq string, sub int64) error {
	p, err := ParsePosition(seq, sub)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	if p.IsSentinel() && (p.Sequence != SentinelShardEnd || !c.isEnded()) {
		return fmt.Errorf("%w: %s", ErrBadCheckpoint, seq)
	}
	return c.write(ctx, p)
}

func (c *Checkpointer) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// Last returns the last checkpoint written (or the starting one).
func (c *Checkpointer) Last() Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *Checkpointer) write(ctx context.Context, p Position) error {
	c.mu.Lock()
	if Compare(p, c.done) < 0 || (p.Sequence != SentinelShardEnd && Compare(p, c.last) > 0) {
		c.mu.Unlock()
		return fmt.Errorf("%w: %s (last checkpoint %s, last record %s)", ErrBadCheckpoint, p, c.done, c.last)
	}
	c.mu.Unlock()
	// The write is not cut short when the shard stops: an answer lost to
	// a cancelled context would leave the counter unknown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(c.w.cfg.FailoverTime, 10*time.Second))
	defer cancel()
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost.Load() {
		return ErrLeaseLost
	}
	lost, err := c.w.tbl.checkpoint(ctx, h.lease.Key, h.lease.Counter, p)
	if err != nil {
		return err
	}
	if lost && c.w.resyncLocked(ctx, h) {
		lost, err = c.w.tbl.checkpoint(ctx, h.lease.Key, h.lease.Counter, p)
		if err != nil {
			return err
		}
	}
	if lost {
		c.w.loseLocked(h, "checkpoint refused")
		return ErrLeaseLost
	}
	h.lease.Counter++
	h.lease.Checkpoint = p
	h.renewed = time.Now()
	c.mu.Lock()
	if Compare(p, c.done) > 0 {
		c.done = p
	}
	c.mu.Unlock()
	return nil
}
