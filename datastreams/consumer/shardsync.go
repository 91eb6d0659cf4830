package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// resolveStream finds the stream ARN and, for enhanced fan-out, registers
// the stream consumer (or reuses the one of that name) and waits until it
// is ACTIVE.
func (w *Worker) resolveStream(ctx context.Context) error {
	w.streamARN = w.cfg.StreamARN
	if !w.cfg.EnhancedFanOut {
		return nil
	}
	if w.streamARN == "" {
		d, err := w.cfg.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(w.cfg.StreamName)})
		if err != nil {
			return fmt.Errorf("consumer: describe stream %s: %w", w.cfg.StreamName, err)
		}
		w.streamARN = aws.ToString(d.StreamDescriptionSummary.StreamARN)
	}
	poll := max(w.cfg.FailoverTime/10, 100*time.Millisecond)
	registered := false
	for {
		d, err := w.cfg.Kinesis.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(w.streamARN), ConsumerName: aws.String(w.cfg.ConsumerName)})
		var nf *types.ResourceNotFoundException
		switch {
		case errors.As(err, &nf) && !registered:
			_, err := w.cfg.Kinesis.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(w.streamARN), ConsumerName: aws.String(w.cfg.ConsumerName)})
			var inUse *types.ResourceInUseException
			if err != nil && !errors.As(err, &inUse) {
				return fmt.Errorf("consumer: register stream consumer %s: %w", w.cfg.ConsumerName, err)
			}
			registered = true
			continue
		case err != nil && !errors.As(err, &nf):
			return fmt.Errorf("consumer: describe stream consumer %s: %w", w.cfg.ConsumerName, err)
		case err == nil && d.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive:
			w.consumerARN = aws.ToString(d.ConsumerDescription.ConsumerARN)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// streamRef fills the stream name or ARN of a request.
func (w *Worker) streamRef() (name, arn *string) {
	if w.streamARN != "" {
		return nil, aws.String(w.streamARN)
	}
	return aws.String(w.cfg.StreamName), nil
}

// listShards lists the stream's shards, all pages, with filter (nil for
// every shard).
func (w *Worker) listShards(ctx context.Context, filter *types.ShardFilter) ([]types.Shard, error) {
	name, arn := w.streamRef()
	in := &kinesis.ListShardsInput{StreamName: name, StreamARN: arn, ShardFilter: filter}
	var out []types.Shard
	for {
		page, err := w.cfg.Kinesis.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("consumer: list shards: %w", err)
		}
		out = append(out, page.Shards...)
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
}

// syncShards creates leases for shards the table lacks. On an empty table
// the shards come from ListShards filtered by the initial position and
// start there. Otherwise a shard gets a lease when one of its parents has
// one (it starts at TRIM_HORIZON, after its parents), or when it is open
// and no parent has one (it starts at the initial position).
func (w *Worker) syncShards(ctx context.Context) error {
	leases, err := w.tbl.list(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range leases {
		have[l.Key] = true
	}
	initial := Position{Sequence: string(w.cfg.InitialPosition)}
	if len(leases) == 0 {
		f := &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}
		switch w.cfg.InitialPosition {
		case Latest:
			f = &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}
		case AtTimestamp:
			f = &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(w.cfg.Timestamp)}
		}
		shards, err := w.listShards(ctx, f)
		if err != nil {
			return err
		}
		for _, s := range shards {
			if _, err := w.tbl.create(ctx, leaseFor(s, initial)); err != nil {
				return err
			}
		}
		return nil
	}
	shards, err := w.listShards(ctx, nil)
	if err != nil {
		return err
	}
	// Shards come parents first; loop until nothing changes so that a
	// grandchild listed before its parent is still seen.
	for changed := true; changed; {
		changed = false
		for _, s := range shards {
			id := aws.ToString(s.ShardId)
			if have[id] {
				continue
			}
			parents := shardParents(s)
			parentLeased := false
			for _, p := range parents {
				parentLeased = parentLeased || have[p]
			}
			open := s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil
			var start Position
			switch {
			case parentLeased:
				start = Position{Sequence: SentinelTrimHorizon}
			case open:
				start = initial
			default:
				continue
			}
			if _, err := w.tbl.create(ctx, leaseFor(s, start)); err != nil {
				return err
			}
			have[id] = true
			changed = true
		}
	}
	return nil
}

func shardParents(s types.Shard) []string {
	var out []string
	if p := aws.ToString(s.ParentShardId); p != "" {
		out = append(out, p)
	}
	if p := aws.ToString(s.AdjacentParentShardId); p != "" {
		out = append(out, p)
	}
	return out
}

// leaseFor is a new, unowned lease of shard s starting at start.
func leaseFor(s types.Shard, start Position) Lease {
	l := Lease{Key: aws.ToString(s.ShardId), Checkpoint: start, Parents: shardParents(s)}
	if s.HashKeyRange != nil {
		l.StartingHashKey = aws.ToString(s.HashKeyRange.StartingHashKey)
		l.EndingHashKey = aws.ToString(s.HashKeyRange.EndingHashKey)
	}
	return l
}
