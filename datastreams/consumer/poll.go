package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// newSource reads shard from start: AT_SEQUENCE_NUMBER of a checkpoint
// (records up to it are dropped later), else the sentinel's position.
func (w *Worker) newSource(shard string, start Position) source {
	pos := ktypes.StartingPosition{Type: ktypes.ShardIteratorType(start.Sequence)}
	switch start.Sequence {
	case SentinelTrimHorizon, SentinelLatest:
	case SentinelAtTimestamp:
		pos.Timestamp = aws.Time(w.cfg.Timestamp)
	default:
		pos = ktypes.StartingPosition{Type: ktypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(start.Sequence)}
	}
	if w.cfg.EnhancedFanOut {
		return &subscriber{w: w, shard: shard, start: pos}
	}
	return &poller{w: w, shard: shard, start: pos}
}

// poller reads a shard with GetRecords.
type poller struct {
	w     *Worker
	shard string
	start ktypes.StartingPosition
	iter  *string
	// lastSeq is the last record read, to start again after it when the
	// iterator expires.
	lastSeq string
}

func (p *poller) close() {}

func (p *poller) iterator(ctx context.Context) error {
	name, arn := p.w.streamRef()
	in := &kinesis.GetShardIteratorInput{StreamName: name, StreamARN: arn, ShardId: aws.String(p.shard),
		ShardIteratorType: p.start.Type, StartingSequenceNumber: p.start.SequenceNumber, Timestamp: p.start.Timestamp}
	if p.lastSeq != "" {
		in.ShardIteratorType, in.StartingSequenceNumber, in.Timestamp = ktypes.ShardIteratorTypeAfterSequenceNumber, aws.String(p.lastSeq), nil
	}
	out, err := p.w.cfg.Kinesis.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("get shard iterator: %w", err)
	}
	p.iter = out.ShardIterator
	return nil
}

func (p *poller) next(ctx context.Context) (fetched, error) {
	if p.iter == nil {
		if err := p.iterator(ctx); err != nil {
			return fetched{}, err
		}
	}
	out, err := p.w.cfg.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: p.iter, Limit: aws.Int32(p.w.cfg.MaxRecords)})
	var expired *ktypes.ExpiredIteratorException
	if errors.As(err, &expired) {
		p.iter = nil
		return fetched{}, nil
	}
	if err != nil {
		return fetched{}, fmt.Errorf("get records: %w", err)
	}
	if n := len(out.Records); n > 0 {
		p.lastSeq = aws.ToString(out.Records[n-1].SequenceNumber)
	}
	b := fetched{records: out.Records}
	if out.NextShardIterator == nil {
		b.end, b.children = true, out.ChildShards
		return b, nil
	}
	p.iter = out.NextShardIterator
	if len(out.Records) == 0 {
		sleep(ctx, p.w.cfg.IdleTimeBetweenReads)
	}
	return b, nil
}
