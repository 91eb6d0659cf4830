package consumer

import (
	"context"
	"errors"
	"testing"
)

// The range checks happen before the table is touched: a checkpoint may
// not go back, nor past the last record handed to the processor, nor name
// a sentinel other than SHARD_END at the shard's end.
func TestCheckpointRange(t *testing.T) {
	cp := &Checkpointer{
		last: Position{Sequence: "500", SubSequence: 3},
		done: Position{Sequence: "400", SubSequence: 1},
	}
	ctx := context.Background()
	for _, c := range []struct {
		seq string
		sub int64
	}{
		{"400", 0},          // before the last checkpoint
		{"500", 4},          // after the last record handed out
		{"600", 0},          // after the last record handed out
		{"TRIM_HORIZON", 0}, // a sentinel
		{"SHARD_END", 0},    // the shard has not ended
		{"12x", 0},          // not a sequence number
	} {
		if err := cp.CheckpointAt(ctx, c.seq, c.sub); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("CheckpointAt(%s, %d) = %v, want ErrBadCheckpoint", c.seq, c.sub, err)
		}
	}
	// Nothing handed out yet: Checkpoint has nothing to write.
	fresh := &Checkpointer{last: Position{Sequence: SentinelTrimHorizon}, done: Position{Sequence: SentinelTrimHorizon}}
	if err := fresh.Checkpoint(ctx); err != nil {
		t.Errorf("Checkpoint with nothing delivered: %v", err)
	}
}
