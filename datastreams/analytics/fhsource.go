package analytics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams"
)

// deliveryShard is the one shard a Firehose input has: the delivery
// stream's log, whose positions are its sequence numbers (in decimal).
const deliveryShard = "shardId-000000000000"

// readDelivery is the reader of a Firehose input: it reads the delivery
// stream's log as a shard that never closes, so the merge, watermark and
// checkpoints are those of a data stream's shard.
func (s *source) readDelivery(ctx context.Context, id, after string) {
	from, known, held := uint64(0), false, false
	if after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			s.send(ctx, batch{shard: id, err: fmt.Errorf("checkpoint %q of delivery stream %s: %w", after, s.delivery, err)})
			return
		}
		from, known = n+1, true
	}
	for ctx.Err() == nil {
		if !known && s.mode == StartNow {
			n, err := s.m.cfg.FirehoseInputs.SeekLog(ctx, s.delivery, time.UnixMilli(s.startTime))
			if err != nil {
				if !s.send(ctx, batch{shard: id, err: err}) {
					return
				}
				sleep(ctx, time.Second)
				continue
			}
			from = n
		}
		if !held {
			// The delivery stream keeps the records from here on, across
			// restarts, until the checkpoints move the hold on.
			if err := s.m.cfg.FirehoseInputs.HoldLog(ctx, s.delivery, s.reader, from); err != nil {
				if !s.send(ctx, batch{shard: id, err: fmt.Errorf("hold delivery stream %s's log: %w", s.delivery, err)}) {
					return
				}
				sleep(ctx, time.Second)
				continue
			}
			held = true
		}
		known = true
		readAt := s.m.cfg.Now().UnixMilli()
		recs, err := s.m.cfg.FirehoseInputs.ReadLog(ctx, s.delivery, s.reader, from, readLimit)
		if err != nil {
			if !s.send(ctx, batch{shard: id, err: err}) {
				return
			}
			sleep(ctx, time.Second)
			continue
		}
		dr := make([]datastreams.Record, len(recs))
		for i, r := range recs {
			dr[i] = datastreams.Record{SequenceNumber: strconv.FormatUint(r.Seq, 10), Arrival: r.Arrival, Data: r.Data}
		}
		b := batch{shard: id, records: make([]item, len(dr)), readAt: readAt, caughtUp: len(recs) == 0}
		if err := s.decode(ctx, id, dr, b.records); err != nil {
			return // ctx ended
		}
		if n := len(recs); n > 0 {
			from = recs[n-1].Seq + 1
		}
		if !s.send(ctx, b) {
			return
		}
		if len(recs) == 0 {
			sleep(ctx, s.m.cfg.Poll)
		}
	}
}
