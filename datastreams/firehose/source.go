package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// SourceStreams is what a KinesisStreamAsSource delivery stream reads of
// the data streams (*datastreams.Engine is one).
type SourceStreams interface {
	ListShards(in datastreams.ListShardsInput) ([]datastreams.ShardInfo, string, error)
	GetShardIterator(ctx context.Context, ref datastreams.StreamRef, shardID, typ, startSeq string, ts *time.Time) (string, error)
	GetRecords(ctx context.Context, iter string, limit int) (datastreams.GetRecordsOutput, error)
}

// shardDone marks a source shard read to its end.
const shardDone = "-"

// sourcePoll is how often a caught-up source shard is read, as AWS's once
// per second.
const sourcePoll = time.Second

// sourceStart checks the source stream and returns its shards' starting
// checkpoints: every shard starts at the creation time (LATEST).
func (e *Engine) sourceStart(ctx context.Context, arn string) (map[string]string, error) {
	shards, err := e.listSourceShards(arn)
	if err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "Kinesis stream %s is not accessible: %v", arn, err)
	}
	cps := map[string]string{}
	for _, sh := range shards {
		cps[sh.ID] = ""
	}
	return cps, nil
}

func (e *Engine) listSourceShards(arn string) ([]datastreams.ShardInfo, error) {
	var all []datastreams.ShardInfo
	in := datastreams.ListShardsInput{Stream: datastreams.StreamRef{ARN: arn}, MaxResults: 1000}
	for {
		list, next, err := e.cfg.Sources.ListShards(in)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if next == "" {
			return all, nil
		}
		in = datastreams.ListShardsInput{NextToken: next, MaxResults: 1000}
	}
}

// readSource copies the source stream's records into the delivery
// stream's log, shard by shard (parents before children), moving each
// shard's checkpoint after the records are durable in the log.
func (e *Engine) readSource(ctx context.Context, s *registry.Stream[*stream]) {
	log := e.cfg.Logger.With("stream", s.Def().Name)
	st := mustStored(s.Def())
	ref := datastreams.StreamRef{ARN: st.Source.KinesisStreamARN}
	iters := map[string]string{}
	for ctx.Err() == nil {
		shards, err := e.listSourceShards(ref.ARN)
		if err != nil {
			log.Warn("firehose: list the source's shards", "err", err)
			sleep(ctx, 5*sourcePoll)
			continue
		}
		cps := mustStored(s.Def()).SourceCheckpoints
		busy := false
		for _, sh := range shards {
			cp, known := cps[sh.ID]
			if cp == shardDone || !e.parentsDone(sh, cps) {
				continue
			}
			it := iters[sh.ID]
			if it == "" {
				switch {
				case cp != "":
					it, err = e.cfg.Sources.GetShardIterator(ctx, ref, sh.ID, "AFTER_SEQUENCE_NUMBER", cp, nil)
				case known:
					start := st.SourceStart
					it, err = e.cfg.Sources.GetShardIterator(ctx, ref, sh.ID, "AT_TIMESTAMP", "", &start)
				default: // a child created after the start: all of it
					it, err = e.cfg.Sources.GetShardIterator(ctx, ref, sh.ID, "TRIM_HORIZON", "", nil)
				}
				if err != nil {
					log.Warn("firehose: source iterator", "shard", sh.ID, "err", err)
					continue
				}
			}
			out, err := e.cfg.Sources.GetRecords(ctx, it, 10000)
			if err != nil {
				delete(iters, sh.ID)
				if ctx.Err() == nil {
					log.Warn("firehose: read the source", "shard", sh.ID, "err", err)
				}
				continue
			}
			iters[sh.ID] = out.NextShardIterator
			next := cp
			if len(out.Records) > 0 {
				entries := make([]shard.Entry, len(out.Records))
				for i, r := range out.Records {
					entries[i] = shard.Entry{Meta: encodeSourceMeta(sh.ID, r), Data: r.Data}
				}
				if _, err := s.Runtime().log.Append(ctx, entries); err != nil {
					delete(iters, sh.ID)
					log.Warn("firehose: store source records", "err", err)
					continue
				}
				next = out.Records[len(out.Records)-1].SequenceNumber
				busy = busy || len(out.Records) == 10000
			}
			if out.NextShardIterator == "" {
				next = shardDone
				delete(iters, sh.ID)
				busy = true
			}
			if next != cp || !known {
				if err := e.sourceCheckpoint(context.WithoutCancel(ctx), s, sh.ID, next); err != nil && !errors.Is(err, context.Canceled) {
					log.Warn("firehose: save the source checkpoint", "err", err)
				}
			}
		}
		if !busy {
			sleep(ctx, sourcePoll)
		}
	}
}

// parentsDone reports whether a shard's parents were read to their end
// (or are not tracked: gone before the start).
func (e *Engine) parentsDone(sh datastreams.ShardInfo, cps map[string]string) bool {
	for _, p := range []string{sh.Parent, sh.AdjacentParent} {
		if cp, ok := cps[p]; p != "" && ok && cp != shardDone {
			return false
		}
	}
	return true
}

func (e *Engine) sourceCheckpoint(ctx context.Context, s *registry.Stream[*stream], shardID, seq string) error {
	_, err := s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if st.SourceCheckpoints == nil {
			st.SourceCheckpoints = map[string]string{}
		}
		st.SourceCheckpoints[shardID] = seq
		st.encode(def)
		return nil
	})
	return err
}

// sourceMeta is what a record read from a data stream keeps beside its
// data in the delivery stream's log: where it came from and when it
// arrived there.
type sourceMeta struct {
	Shard   string `json:"s"`
	Key     string `json:"k"`
	Seq     string `json:"q"`
	Arrival int64  `json:"t"` // unix milliseconds
}

func encodeSourceMeta(shardID string, r datastreams.Record) []byte {
	b, _ := json.Marshal(sourceMeta{Shard: shardID, Key: r.PartitionKey, Seq: r.SequenceNumber, Arrival: r.Arrival.UnixMilli()})
	return b
}

// withSource sets a record's source and arrival from its log meta, when
// it came from a data stream.
func withSource(r *delivery.Record, meta []byte) {
	var m sourceMeta
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil || m.Seq == "" {
		return
	}
	r.Source = &delivery.KinesisSource{ShardID: m.Shard, PartitionKey: m.Key, SequenceNumber: m.Seq}
	r.Arrival = time.UnixMilli(m.Arrival)
}
