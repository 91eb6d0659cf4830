package firehose

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/transform"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// FailedRecord is a record given up on: it goes to the error output with
// its original data.
type FailedRecord struct {
	Record  delivery.Record
	RawData []byte
	Code    string
	Message string
	// OutputType is the error output type ("processing-failed" when empty).
	OutputType string
	LambdaARN  string
	// Extra holds a destination's own error-record fields (esDocumentId, ...).
	Extra map[string]any
}

// fromTransform converts what processing failed.
func fromTransform(fs []transform.Failed) []FailedRecord {
	out := make([]FailedRecord, len(fs))
	for i, f := range fs {
		out[i] = FailedRecord{Record: f.Record, RawData: f.Record.Data, Code: f.Code, Message: f.Message, OutputType: f.OutputType, LambdaARN: f.LambdaARN}
	}
	return out
}

// readMax bounds one read of the log.
const readMax = 1000

// loop delivers one destination of a stream: it reads the log from the
// destination's checkpoint, processes, buffers per partition, delivers
// and moves the checkpoint.
type loop struct {
	e    *Engine
	s    *registry.Stream[*stream]
	rt   *stream
	dest DestinationConfig

	mu    sync.Mutex
	stats DestinationStats
}

// DestinationStats is the admin view of one destination's delivery.
type DestinationStats struct {
	DestinationID string `json:"destinationId"`
	Kind          string `json:"kind"`
	Checkpoint    uint64 `json:"checkpoint"`
	// Read is the next log position the loop reads (what it buffered
	// lies between Checkpoint and Read).
	Read             uint64    `json:"read"`
	DeliveredRecords int64     `json:"deliveredRecords"`
	DeliveredBytes   int64     `json:"deliveredBytes"`
	Batches          int64     `json:"batches"`
	Failures         int64     `json:"failures"`
	ErrorRecords     int64     `json:"errorOutputRecords"`
	LastError        string    `json:"lastError,omitempty"`
	LastErrorTime    time.Time `json:"lastErrorTime,omitzero"`
	Failing          bool      `json:"failing"`
	BufferedRecords  int       `json:"bufferedRecords"`
	BufferedBytes    int       `json:"bufferedBytes"`
	Partitions       int       `json:"partitions"`
	// DataFreshnessSeconds is the age of the oldest undelivered record.
	DataFreshnessSeconds float64 `json:"dataFreshnessSeconds"`
	// Recent are the last deliveries (up to recentDeliveries), newest first.
	Recent []Delivery `json:"recentDeliveries"`
}

// Delivery is one batch delivered.
type Delivery struct {
	At        time.Time `json:"at"`
	RequestID string    `json:"requestId"`
	Prefix    string    `json:"prefix,omitempty"`
	Records   int       `json:"records"`
	Bytes     int       `json:"bytes"`
	Attempts  int       `json:"attempts"`
	// Millis is how long the delivery took, its retries included.
	Millis int64 `json:"millis"`
}

// recentDeliveries is how many deliveries a destination's stats keep.
const recentDeliveries = 10

// pbuf is the buffer of one partition.
type pbuf struct {
	recs    []delivery.Record
	bytes   int
	minSeq  uint64 // the log position to redeliver from if it is lost
	started time.Time
}

func (l *loop) fail(err error) {
	l.mu.Lock()
	l.stats.Failures++
	l.stats.LastError, l.stats.LastErrorTime, l.stats.Failing = err.Error(), time.Now(), true
	l.mu.Unlock()
}

func (l *loop) run(ctx context.Context) {
	log := l.e.cfg.Logger.With("stream", l.s.Def().Name, "destination", l.dest.ID)
	source := ""
	if st := mustStored(l.s.Def()); st.Source != nil {
		source = st.Source.KinesisStreamARN
	}
	p, err := l.e.plan(l.dest, l.s.Def().ARN, source)
	if err != nil {
		log.Error("firehose: destination cannot run", "err", err)
		l.fail(err)
		l.mu.Lock()
		l.stats.Read = ^uint64(0) // nothing to wait for (Sync)
		l.mu.Unlock()
		<-ctx.Done()
		return
	}
	defer p.close()
	saved := mustStored(l.s.Def()).Checkpoints[l.dest.ID]
	read := saved
	l.mu.Lock()
	l.stats.DestinationID, l.stats.Kind, l.stats.Checkpoint = l.dest.ID, l.dest.Kind, saved
	l.mu.Unlock()
	bufs := map[string]*pbuf{}
	var order []string
	ids := newRecordIDs(l.s.Def().ID)
	for ctx.Err() == nil {
		ch := l.rt.log.Notify()
		recs, err := l.rt.log.Read(ctx, read, readMax, 4<<20)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("firehose: read the log", "err", err)
			l.fail(err)
			sleep(ctx, time.Second)
			continue
		}
		if len(recs) > 0 {
			first := recs[0].Seq
			read = recs[len(recs)-1].Seq + 1
			drecs := make([]delivery.Record, len(recs))
			for i, r := range recs {
				drecs[i] = delivery.Record{ID: ids.id(r.Seq), Data: r.Data, Arrival: time.Unix(0, r.Time)}
				withSource(&drecs[i], r.Meta)
			}
			ok, failed := drecs, []FailedRecord(nil)
			if p.proc != nil {
				out, tf, perr := p.proc.Process(ctx, drecs)
				if perr != nil {
					// Only a stop ends processing without a decision: the
					// records are read again from the checkpoint.
					return
				}
				ok, failed = out, fromTransform(tf)
			}
			if len(failed) > 0 && !l.writeFailed(ctx, p, failed) {
				return
			}
			now := time.Now()
			for _, r := range ok {
				key := ""
				if p.dynamic {
					if key, err = p.prefixes.PartitionOf(r); err != nil {
						de := delivery.AsError(err, "DynamicPartitioning.PartitionKeyMissing")
						if !l.writeFailed(ctx, p, []FailedRecord{{Record: r, RawData: r.Data, Code: de.Code, Message: de.Message, OutputType: "processing-failed"}}) {
							return
						}
						continue
					}
				}
				b := bufs[key]
				if b == nil {
					b = &pbuf{minSeq: first, started: now}
					bufs[key] = b
					order = append(order, key)
				}
				b.recs = append(b.recs, r)
				b.bytes += len(r.Data)
			}
		}
		// Flush the buffers that are full or old enough.
		now := time.Now()
		kept := order[:0]
		var next time.Time
		stopping := false
		for _, k := range order {
			b := bufs[k]
			if !stopping && (b.bytes >= p.size || now.Sub(b.started) >= p.interval) {
				if l.flush(ctx, p, b) {
					delete(bufs, k)
					continue
				}
				stopping = true
			}
			kept = append(kept, k)
			if d := b.started.Add(p.interval); next.IsZero() || d.Before(next) {
				next = d
			}
		}
		order = kept
		ck := read
		nrec, nbytes := 0, 0
		for _, b := range bufs {
			ck = min(ck, b.minSeq)
			nrec += len(b.recs)
			nbytes += b.bytes
		}
		if ck > saved {
			// Saved even while stopping: what was delivered is not
			// delivered again after a clean restart.
			if err := l.checkpoint(context.WithoutCancel(ctx), ck); err != nil {
				log.Warn("firehose: save the checkpoint", "err", err)
			} else {
				saved = ck
			}
		}
		l.mu.Lock()
		l.stats.Checkpoint, l.stats.BufferedRecords, l.stats.BufferedBytes, l.stats.Partitions = saved, nrec, nbytes, len(bufs)
		l.stats.Read = read
		l.mu.Unlock()
		if stopping {
			return
		}
		if len(recs) == readMax {
			continue
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			t := time.NewTimer(time.Until(next))
			timer = t.C
			select {
			case <-ctx.Done():
			case <-ch:
			case <-timer:
			}
			t.Stop()
			continue
		}
		select {
		case <-ctx.Done():
		case <-ch:
		}
	}
}

// checkpoint persists the next position to deliver.
func (l *loop) checkpoint(ctx context.Context, seq uint64) error {
	return updateStored(ctx, l.s, func(st *stored) error {
		if st.Checkpoints == nil {
			st.Checkpoints = map[string]uint64{}
		}
		if st.Checkpoints[l.dest.ID] >= seq {
			return registry.ErrUnchanged
		}
		st.Checkpoints[l.dest.ID] = seq
		return nil
	})
}

// flush delivers one buffer; false when the loop is stopping.
func (l *loop) flush(ctx context.Context, p *plan, b *pbuf) bool {
	def := l.s.Def()
	batch := delivery.Batch{RequestID: uuid.NewString(), StreamName: def.Name, StreamARN: def.ARN,
		Version: strconv.Itoa(mustStored(def).VersionID), Records: b.recs}
	if p.prefixes != nil {
		prefix, err := p.prefixes.Prefix(batch.Oldest(), b.recs[0].PartitionKeys)
		if err != nil {
			de := delivery.AsError(err, "DynamicPartitioning.PrefixEvaluationFailed")
			failed := make([]FailedRecord, len(b.recs))
			for i, r := range b.recs {
				failed[i] = FailedRecord{Record: r, RawData: r.Data, Code: de.Code, Message: de.Message, OutputType: "processing-failed"}
			}
			return l.writeFailed(ctx, p, failed)
		}
		batch.Prefix = prefix
	}
	return l.deliver(ctx, p, batch)
}

// deliver delivers a batch with retries and backoff; what is given up on
// goes to the error output. False when the loop is stopping.
func (l *loop) deliver(ctx context.Context, p *plan, b delivery.Batch) bool {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := p.target.Deliver(ctx, b)
		if err == nil {
			l.mu.Lock()
			l.stats.DeliveredRecords += int64(len(b.Records))
			l.stats.DeliveredBytes += int64(b.Bytes())
			l.stats.Batches++
			l.stats.Failing = false
			// A new slice each time: snapshots share the one they were given.
			d := Delivery{At: time.Now().UTC(), RequestID: b.RequestID, Prefix: b.Prefix, Records: len(b.Records), Bytes: b.Bytes(),
				Attempts: attempt, Millis: time.Since(start).Milliseconds()}
			l.stats.Recent = append([]Delivery{d}, l.stats.Recent[:min(len(l.stats.Recent), recentDeliveries-1)]...)
			l.mu.Unlock()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		de := delivery.AsError(err, "DeliveryFailed")
		l.fail(de)
		l.e.cfg.Logger.Warn("firehose: delivery failed", "stream", b.StreamName, "destination", l.dest.ID, "attempt", attempt, "err", de)
		left0 := de.Failed
		if de.Failed != nil {
			var left []delivery.Record
			for _, i := range de.Failed {
				if i >= 0 && i < len(b.Records) {
					left = append(left, b.Records[i])
				}
			}
			if len(left) == 0 {
				return true
			}
			b.Records = left
		}
		if de.Permanent || (!p.forever && time.Since(start) >= p.retry) {
			if p.giveUp != nil {
				return l.giveUp(ctx, p, b)
			}
			codes := recordCodes(err, left0)
			fielder, _ := p.target.(RecordFielder)
			failed := make([]FailedRecord, len(b.Records))
			for i, r := range b.Records {
				failed[i] = FailedRecord{Record: r, RawData: r.Data, Code: de.Code, Message: de.Message, OutputType: p.target.ErrorOutputType()}
				if c := codes(i); c != "" {
					failed[i].Code = c
				}
				if fielder != nil {
					failed[i].Extra = fielder.RecordFields(r)
				}
			}
			if !l.writeFailedAttempts(ctx, p, failed, attempt) {
				return false
			}
			if left0 != nil {
				// The destination took the rest of the batch (records it
				// refused one by one, such as a failed format conversion,
				// are settled in the error output): it is not failing.
				l.mu.Lock()
				l.stats.Failing = false
				l.mu.Unlock()
			}
			return true
		}
		wait := l.backoff(attempt)
		if !p.forever {
			wait = min(wait, p.retry-time.Since(start))
		}
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// backoff is the wait before attempt+1: exponential from 100ms, capped,
// with full jitter over its upper half.
func (l *loop) backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 12)
	d = min(d, l.e.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (l *loop) writeFailed(ctx context.Context, p *plan, failed []FailedRecord) bool {
	return l.writeFailedAttempts(ctx, p, failed, 1)
}

// errorRecord is one record in the error output, in AWS's shape.
type errorRecord struct {
	AttemptsMade           int    `json:"attemptsMade"`
	ArrivalTimestamp       int64  `json:"arrivalTimestamp"`
	ErrorCode              string `json:"errorCode"`
	ErrorMessage           string `json:"errorMessage"`
	AttemptEndingTimestamp int64  `json:"attemptEndingTimestamp"`
	RawData                string `json:"rawData"`
	RecordID               string `json:"recordId,omitempty"`
	LambdaARN              string `json:"lambdaArn,omitempty"`
}

// errorLine encodes an error record with a destination's own fields.
func errorLine(r errorRecord, extra map[string]any) []byte {
	line, _ := json.Marshal(r)
	if len(extra) == 0 {
		return line
	}
	var m map[string]any
	json.Unmarshal(line, &m)
	for k, v := range extra {
		m[k] = v
	}
	line, _ = json.Marshal(m)
	return line
}

// writeFailedAttempts writes records to the error output, one object per
// output type, retrying until it is stored (as AWS: error output blocks).
func (l *loop) writeFailedAttempts(ctx context.Context, p *plan, failed []FailedRecord, attempts int) bool {
	def := l.s.Def()
	byType := map[string][]FailedRecord{}
	var types []string
	for _, f := range failed {
		t := f.OutputType
		if t == "" {
			t = "processing-failed"
		}
		if byType[t] == nil {
			types = append(types, t)
		}
		byType[t] = append(byType[t], f)
	}
	now := time.Now()
	for _, t := range types {
		var body []byte
		oldest := time.Time{}
		for _, f := range byType[t] {
			if oldest.IsZero() || f.Record.Arrival.Before(oldest) {
				oldest = f.Record.Arrival
			}
			line := errorLine(errorRecord{AttemptsMade: attempts, ArrivalTimestamp: f.Record.Arrival.UnixMilli(),
				ErrorCode: f.Code, ErrorMessage: f.Message, AttemptEndingTimestamp: now.UnixMilli(),
				RawData: base64.StdEncoding.EncodeToString(f.RawData), RecordID: f.Record.ID, LambdaARN: f.LambdaARN}, f.Extra)
			body = append(append(body, line...), '\n')
		}
		prefix, err := p.errOut.prefixes.ErrorPrefix(oldest, t)
		if err != nil {
			prefix = t + "/"
		}
		key := p.errOut.prefixes.ObjectKey(prefix, def.Name, strconv.Itoa(mustStored(def).VersionID), oldest, "")
		for attempt := 1; ; attempt++ {
			err := l.e.cfg.Objects.Put(ctx, p.errOut.bucket, key, body, delivery.ObjectMeta{ContentType: "application/json"})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return false
			}
			l.fail(err)
			if !sleep(ctx, l.backoff(attempt)) {
				return false
			}
		}
		l.mu.Lock()
		l.stats.ErrorRecords += int64(len(byType[t]))
		l.mu.Unlock()
	}
	return true
}

// Stats returns the loop's counters.
func (l *loop) snapshot() DestinationStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// failure is the last error of a failing destination, or "".
func (rt *stream) failure() string {
	rt.mu.Lock()
	loops := rt.loops
	rt.mu.Unlock()
	for _, l := range loops {
		if st := l.snapshot(); st.Failing {
			return st.LastError
		}
	}
	return ""
}
