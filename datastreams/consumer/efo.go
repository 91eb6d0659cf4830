package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// subscriber reads a shard with SubscribeToShard, subscribing again after
// the last continuation sequence number whenever a subscription ends
// (every 5 minutes on AWS) or fails.
type subscriber struct {
	w      *Worker
	shard  string
	start  ktypes.StartingPosition
	cont   string
	stream *kinesis.SubscribeToShardEventStream
	since  time.Time // when stream was opened
}

// subscriptionLifetime is how long a subscription lasts on AWS; one older
// than this is closed here and opened again, should the service not end
// it.
const subscriptionLifetime = 5 * time.Minute

// optioned is what *kinesis.Client has beyond KinesisAPI: each
// subscription gets a client of its own, since the SDK's event-stream
// reader shares a buffer per client.
type optioned interface{ Options() kinesis.Options }

func (s *subscriber) subscribe(ctx context.Context) error {
	pos := s.start
	if s.cont != "" {
		pos = ktypes.StartingPosition{Type: ktypes.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: aws.String(s.cont)}
	}
	in := &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(s.w.consumerARN), ShardId: aws.String(s.shard), StartingPosition: &pos}
	var out *kinesis.SubscribeToShardOutput
	var err error
	if c, ok := s.w.cfg.Kinesis.(optioned); ok {
		out, err = kinesis.New(c.Options()).SubscribeToShard(ctx, in)
	} else {
		out, err = s.w.cfg.Kinesis.SubscribeToShard(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("subscribe to shard: %w", err)
	}
	s.stream, s.since = out.GetStream(), time.Now()
	return nil
}

func (s *subscriber) close() {
	if s.stream != nil {
		s.stream.Close()
		s.stream = nil
	}
}

func (s *subscriber) next(ctx context.Context) (fetched, error) {
	for {
		if s.stream != nil && time.Since(s.since) > subscriptionLifetime && s.cont != "" {
			s.close()
		}
		if s.stream == nil {
			if err := s.subscribe(ctx); err != nil {
				return fetched{}, err
			}
		}
		var ev ktypes.SubscribeToShardEventStream
		var ok bool
		select {
		case <-ctx.Done():
			return fetched{}, ctx.Err()
		case ev, ok = <-s.stream.Events():
		}
		if !ok {
			err := s.stream.Err()
			s.close()
			if err != nil {
				return fetched{}, fmt.Errorf("subscription: %w", err)
			}
			continue // ended after its lifetime: subscribe again
		}
		e, isEvent := ev.(*ktypes.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !isEvent {
			continue
		}
		b := fetched{records: e.Value.Records}
		if e.Value.ContinuationSequenceNumber == nil {
			b.end, b.children = true, e.Value.ChildShards
			s.close()
			return b, nil
		}
		s.cont = *e.Value.ContinuationSequenceNumber
		return b, nil
	}
}
