package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/reccodec"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlengine"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// stopGrace bounds how long a stopping runner waits for its last writes
// before it gives up its final checkpoint (the rows are written again,
// and suppressed, after the next start).
const stopGrace = 10 * time.Second

// runner is the goroutine of one running application.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startRunner starts an application's runner. resume continues from the
// stored checkpoint (a restart of shardcast or a configuration change);
// otherwise the runner starts as StartApplication set it up.
func (m *Manager) startRunner(s *registry.Stream[*app], resume bool) {
	a := s.Runtime()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.run != nil || m.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(m.ctx)
	r := &runner{cancel: cancel, done: make(chan struct{})}
	a.run = r
	if a.status == "" {
		a.status = StatusStarting
	}
	go func() {
		defer close(r.done)
		rs := &run{m: m, s: s, a: a, log: m.cfg.Logger.With("application", s.Def().Name)}
		if err := rs.main(ctx); err != nil && !errors.Is(err, context.Canceled) {
			rs.log.Error("analytics: the application stopped running", "err", err)
		}
	}()
}

// stopRunner stops the runner (it checkpoints first) and waits for it.
func (a *app) stopRunner() {
	a.mu.Lock()
	r := a.run
	a.run = nil
	a.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// run is the state of one runner goroutine.
type run struct {
	m   *Manager
	s   *registry.Stream[*app]
	a   *app
	log interface {
		Error(msg string, args ...any)
		Warn(msg string, args ...any)
		Info(msg string, args ...any)
	}
	st      *stored
	prog    *sqlengine.Program
	eng     *sqlengine.Runner
	sinks   []*sink
	src     *source
	dec     *reccodec.Decoder
	input   storedInput
	streams []string // in-application input streams
	// rowtime is the last ROWTIME given; bound the last Advance.
	rowtime, bound int64
	// suppress holds the row ids written after the checkpoint resumed
	// from: rows computed again with those ids are not written again
	// (each is dropped when met, as a row id is emitted once).
	suppress map[string]bool
	lastCP   time.Time
	jobs     chan writeJob // to the writer goroutine
	idBuf    []byte
	// dropped: rows were never handed to the writer (stopped while it was
	// behind); no checkpoint may then cover them.
	dropped bool
	srcCtx  context.Context // of the shard readers
	// dirty: records consumed or rows emitted since the last checkpoint
	// (an idle application does not write the catalog every interval).
	dirty bool
}

func (r *run) main(ctx context.Context) error {
	r.st = mustStored(r.s.Def())
	st := r.st
	tables, problems := r.m.loadTables(ctx, st)
	prog, err := st.compile(r.m, tables)
	if err != nil {
		r.a.setStatus("")
		return fmt.Errorf("compile: %w", err)
	}
	if prog == nil {
		r.a.setStatus("")
		return errors.New("the application has no code or no input")
	}
	r.prog = prog
	if r.sinks, err = r.m.sinks(st, r.s.Def().ARN, prog); err != nil {
		r.a.setStatus("")
		return err
	}
	r.input = st.Inputs[0]
	r.streams = r.input.streamNames()
	if r.dec, _, err = decoder("The input", r.input.InputSchema); err != nil {
		r.a.setStatus("")
		return err
	}
	r.dec.Spare = 1 // APPROXIMATE_ARRIVAL_TIME
	var snapshot []byte
	var positions map[string]string
	if cp := st.Checkpoint; cp != nil {
		positions = cp.Positions
		r.rowtime, r.bound = cp.Rowtime, cp.Bound
		if cp.Plan == st.plan() {
			if snapshot, err = r.loadSnapshot(ctx, cp); err != nil {
				r.a.setStatus("")
				return err
			}
		}
		if cp.Time > 0 {
			r.suppress = map[string]bool{}
			for _, k := range r.sinks {
				seen, err := r.m.written(ctx, k, cp.Time)
				if err != nil {
					r.log.Warn("analytics: read back an output after a restart (rows may repeat)", "output", k.id, "err", err)
				}
				for id := range seen {
					r.suppress[id] = true
				}
			}
		}
	}
	if r.eng, err = prog.NewRunner(snapshot); err != nil {
		r.a.setStatus("")
		return fmt.Errorf("restore the snapshot: %w", err)
	}
	r.src = newSource(r.m, r.input.resourceARN(), st.Start, st.StartTime, clonePositions(positions), r.dec)
	r.src.reader = r.s.Def().ARN
	if p := r.input.InputProcessingConfiguration; p != nil && p.InputLambdaProcessor != nil {
		url := r.m.cfg.LambdaEndpoints[p.InputLambdaProcessor.ResourceARN]
		if url == "" {
			r.a.setStatus("")
			return fmt.Errorf("no endpoint is configured for the preprocessing function %s", p.InputLambdaProcessor.ResourceARN)
		}
		r.src.pre = &preprocessor{url: url, appARN: r.s.Def().ARN, streamARN: r.input.resourceARN(), firehose: r.input.KinesisFirehoseInput != nil,
			client: &http.Client{Timeout: 5 * time.Minute}}
	}
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	r.srcCtx = srcCtx
	if err := r.src.refresh(srcCtx); err != nil {
		r.log.Warn("analytics: list the input's shards", "err", err)
	}
	r.a.setStatus("")
	for _, p := range problems {
		r.log.Error("analytics: reference data cannot be loaded; the table is empty", "problem", p)
		r.errorRow("ReferenceDataError", p, r.m.cfg.Now().UnixMilli(), nil, idOf("reference", p, fmt.Sprint(r.m.cfg.Now().UnixNano())))
	}
	r.lastCP = r.m.cfg.Now()
	// The writer outlives the runner's context by up to stopGrace, to
	// finish the writes a checkpoint at stop waits for.
	r.jobs = make(chan writeJob, 4)
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		r.m.writer(wctx, r.jobs)
	}()
	defer func() {
		close(r.jobs)
		t := time.AfterFunc(stopGrace, wcancel)
		<-writerDone
		t.Stop()
		wcancel()
	}()
	tick := time.NewTicker(r.m.cfg.Poll)
	defer tick.Stop()
	refresh := time.NewTicker(5 * time.Second)
	defer refresh.Stop()
	busy := false // the last pump left records it could release
	ready := make(chan time.Time)
	close(ready)
	for {
		var wait <-chan time.Time = tick.C
		if busy {
			wait = ready
		}
		select {
		case <-ctx.Done():
			stopSources()
			t := time.AfterFunc(stopGrace, wcancel)
			defer t.Stop()
			return r.checkpoint(context.WithoutCancel(ctx))
		case b := <-r.src.ch:
			r.src.take(srcCtx, b)
			// Take what else is waiting (a bounded number, so the queues
			// stay bounded) before pushing, so the merge sees every
			// shard's latest.
			for n := 0; n < cap(r.src.ch); n++ {
				select {
				case b := <-r.src.ch:
					r.src.take(srcCtx, b)
					continue
				default:
				}
				break
			}
		case <-wait:
		case <-refresh.C:
			if err := r.src.refresh(srcCtx); err != nil {
				r.log.Warn("analytics: list the input's shards", "err", err)
			}
		}
		busy = r.pump()
		r.write(ctx)
		if r.dirty && r.m.cfg.Now().Sub(r.lastCP) >= r.m.cfg.CheckpointInterval {
			if err := r.checkpoint(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("analytics: checkpoint", "err", err)
			}
		}
	}
}

func clonePositions(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// pumpLimit bounds the records one pump pushes, so that writes and
// checkpoints interleave with a long backlog.
const pumpLimit = 50000

// pump gives the runner the records the merge releases (up to
// pumpLimit), then advances its watermark; it reports whether it stopped
// at the limit.
func (r *run) pump() bool {
	busy := false
	for n := 0; ; n++ {
		if n == pumpLimit {
			busy = true
			break
		}
		sh, rec := r.src.next()
		if rec == nil {
			break
		}
		r.push(sh, rec)
		r.src.positions[sh.id] = rec.SequenceNumber
		r.dirty = true
	}
	r.src.finish(r.srcCtx)
	if b, ok := r.src.bound(); ok {
		b = max(b, r.rowtime)
		if b > r.bound {
			r.bound = b
			r.eng.Advance(b)
		}
	}
	return busy
}

// push pushes the rows of one record (decoded by its reader).
func (r *run) push(sh *inShard, rec *item) {
	arrival := rec.Arrival.UnixMilli()
	rowtime := max(arrival, r.rowtime)
	r.rowtime = rowtime
	stream := r.streams[sh.index%len(r.streams)]
	rows, err := rec.rows, rec.err
	if err != nil {
		r.errorRow("Schema_Mismatch", err.Error(), rowtime, rec.Data, idOf("error", r.input.ID, sh.id, rec.SequenceNumber))
		return
	}
	for i, vals := range rows {
		vals = append(vals, sqltypes.TimestampMs(arrival))
		r.eng.Push(stream, sqltypes.Row{Rowtime: rowtime, Values: vals, ID: r.inputID(sh.id, rec.SequenceNumber, i)})
	}
}

// errorRow sends a row to the outputs of error_stream.
func (r *run) errorRow(name, msg string, rowtime int64, data []byte, id [16]byte) {
	row := sqltypes.Row{Rowtime: rowtime, ID: id, Values: []sqltypes.Value{
		sqltypes.TimestampMs(r.m.cfg.Now().UnixMilli()), sqltypes.Str("ERROR"), sqltypes.Str(name), sqltypes.Str(msg),
		sqltypes.TimestampMs(rowtime), sqltypes.Str(hex.EncodeToString(data)), sqltypes.Str(""),
	}}
	r.emit(sqlengine.ErrorStream, row)
}

// emit hands one row of an in-application stream to the outputs that
// read it, unless it was written before a restart.
func (r *run) emit(stream string, row sqltypes.Row) {
	for _, k := range r.sinks {
		if k.stream != stream {
			continue
		}
		if r.suppress != nil {
			if key := hex.EncodeToString(row.ID[:]); r.suppress[key] {
				delete(r.suppress, key) // a row id is emitted once
				continue
			}
		}
		k.add(row)
	}
}

// write takes the runner's rows and hands them to the writer; it waits
// while the writer is behind (back-pressure), unless ctx ends (the rows
// are computed again from the checkpoint).
func (r *run) write(ctx context.Context) {
	outs := r.eng.Take()
	for _, o := range outs {
		r.emit(o.Stream, o.Row)
		r.dirty = true
	}
	r.eng.Recycle(outs) // emit keeps no row
	var job writeJob
	for _, k := range r.sinks {
		if len(k.pending) > 0 {
			job.parts = append(job.parts, writePart{k, k.pending})
			k.lastLen, k.pending = len(k.pending), nil
		}
	}
	if job.parts != nil {
		select {
		case r.jobs <- job:
		case <-ctx.Done():
			r.dropped = true
		}
	}
}

// written waits until the writer has written every row handed to it.
func (r *run) written() error {
	ack := make(chan error, 1)
	r.jobs <- writeJob{ack: ack}
	return <-ack
}

// inputID is the id of row i of the record at seq in a shard of the
// input stream: a hash of the stream, the shard, the sequence number and i.
func (r *run) inputID(shardID, seq string, i int) [16]byte {
	b := append(r.idBuf[:0], r.input.resourceARN()...)
	b = append(b, 0)
	b = append(b, shardID...)
	b = append(b, 0)
	b = append(b, seq...)
	b = binary.BigEndian.AppendUint32(append(b, 0), uint32(i))
	r.idBuf = b
	sum := sha256.Sum256(b)
	var id [16]byte
	copy(id[:], sum[:])
	return id
}

// idOf derives a row id from its provenance.
func idOf(parts ...any) [16]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		var b []byte
		switch v := p.(type) {
		case string:
			b = []byte(v)
		case int:
			binary.BigEndian.PutUint64(n[:], uint64(v))
			b = n[:]
		default:
			b = fmt.Append(nil, v)
		}
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// checkpoint stores the runner's snapshot with the positions it has
// consumed, in one catalog write; every row emitted before it is already
// written.
func (r *run) checkpoint(ctx context.Context) error {
	r.lastCP = r.m.cfg.Now()
	if r.eng == nil {
		return nil
	}
	if r.dropped {
		return errors.New("stopped before every row was written: the last checkpoint stays")
	}
	if err := r.written(); err != nil {
		return fmt.Errorf("write the outputs: %w", err)
	}
	snap, err := r.eng.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	cp := &checkpoint{Time: r.m.cfg.Now().UnixMilli(), Rowtime: r.rowtime, Bound: r.bound,
		Positions: clonePositions(r.src.positions), Plan: r.st.plan()}
	var trim int64
	if len(snap) <= r.m.cfg.InlineSnapshot {
		cp.Snapshot = snap
	} else {
		res, err := r.a.log.Append(ctx, []shard.Entry{{Data: snap}})
		if err != nil {
			return fmt.Errorf("store the snapshot: %w", err)
		}
		seq := res.FirstSeq
		cp.SnapshotSeq, trim = &seq, res.Time
	}
	_, err = r.s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		st.Checkpoint = cp
		st.encode(def)
		return nil
	})
	if err != nil {
		return err
	}
	r.dirty = false
	r.holdDelivery(ctx, cp.Positions)
	if trim > 0 {
		r.a.log.TrimBefore(trim)
	}
	return nil
}

// holdDelivery moves a Firehose input's hold on the delivery stream's log
// to where the checkpoint just stored resumes; the hold never passes the
// checkpoint, so a restart finds every record it reads again.
func (r *run) holdDelivery(ctx context.Context, positions map[string]string) {
	if r.src.delivery == "" {
		return
	}
	last := positions[deliveryShard]
	if last == "" || last == shardDone {
		return
	}
	n, err := strconv.ParseUint(last, 10, 64)
	if err != nil {
		return
	}
	if err := r.m.cfg.FirehoseInputs.HoldLog(ctx, r.src.delivery, r.src.reader, n+1); err != nil {
		r.log.Warn("analytics: hold the delivery stream's log", "deliveryStream", r.src.delivery, "err", err)
	}
}

func (r *run) loadSnapshot(ctx context.Context, cp *checkpoint) ([]byte, error) {
	if cp.SnapshotSeq == nil {
		return cp.Snapshot, nil
	}
	recs, err := r.a.log.Read(ctx, *cp.SnapshotSeq, 1, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	if len(recs) == 0 || recs[0].Seq != *cp.SnapshotSeq {
		return nil, fmt.Errorf("the snapshot at %d is missing from the checkpoint log", *cp.SnapshotSeq)
	}
	return recs[0].Data, nil
}
