package agent

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// flow tails the files of one pattern and ships them, one batch at a time.
type flow struct {
	a     *Agent
	s     flowSettings
	st    *flowState // under a.mu
	fresh bool       // no checkpoint for the flow: initialPosition applies
	prod  sink

	cur        *tailFile
	curState   *fileState
	curMtime   time.Time
	lastGrowth time.Time
	footerHit  bool
	superseded bool      // a newer file of the pattern exists
	nextScan   time.Time // when to look for one again
	batch      *batch
	batchStart time.Time

	mu   sync.Mutex // guards what the producer's callbacks touch
	gen  uint64
	res  []int8 // per record of the batch: 1 delivered, 2 failed
	tips map[string]string

	parsed, sent, dropped, failed, bytesSent atomic.Int64
	curPath                                  atomic.Value // string
}

// sink is what the flow sends through: a *producer.Producer.
type sink interface {
	PutTagged(ctx context.Context, partitionKey string, data []byte, tag any) error
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// batch is records of one file sent together: [from, last end).
type batch struct {
	file  *fileState
	from  int64
	recs  []prepared
	bytes int
	since time.Time // when its first intent was written: recovery reads from before it
}

func (b *batch) end() int64 { return b.recs[len(b.recs)-1].end }

// prepared is one record ready to send.
type prepared struct {
	end  int64
	pk   string
	data []byte // nil: dropped by a conversion
	hash string
	done bool
}

// recTag is what the producer hands back for a record.
type recTag struct {
	gen uint64
	idx int
}

func newFlow(a *Agent, s flowSettings, st *flowState, fresh bool) *flow {
	f := &flow{a: a, s: s, st: st, fresh: fresh, tips: map[string]string{}}
	for k, v := range st.Tips {
		f.tips[k] = v
	}
	f.curPath.Store("")
	return f
}

func (f *flow) run(ctx, sendCtx context.Context) error {
	pc := producer.Config{
		Linger:      f.a.opts.Linger,
		OnDelivered: f.delivered,
		OnFailure:   f.failure,
	}
	if f.s.kinesis {
		// Per shard one record at a time, in file order; a call whose
		// answer is lost is reported, and send looks in the stream for
		// its records before it puts them again.
		noBlindRetry := false
		pc.Kinesis, pc.StreamName = f.a.opts.Kinesis, f.s.dest
		pc.Ordered, pc.RetryUnknownOutcome = true, &noBlindRetry
	} else {
		pc.Firehose, pc.DeliveryStreamName = f.a.opts.Firehose, f.s.dest
		pc.MaxInFlight = 1
	}
	newSink := f.a.opts.newSink
	if newSink == nil {
		newSink = func(ctx context.Context, c producer.Config) (sink, error) { return producer.New(ctx, c) }
	}
	// The stream may not exist yet, or the service not answer: wait for
	// it, as the Kinesis Agent does.
	var prod sink
	for backoff := time.Second; ; backoff = min(2*backoff, 30*time.Second) {
		var err error
		if prod, err = newSink(ctx, pc); err == nil {
			break
		}
		f.a.log.Warn("agent: cannot start sending; trying again", "flow", f.s.id, "err", err, "in", backoff)
		if sleep(ctx, backoff) != nil {
			return nil
		}
	}
	f.prod = prod
	defer prod.Close(sendCtx)
	var pending *intent
	f.a.read(func() { pending = f.st.Intent })
	if pending != nil {
		if err := f.recover(ctx, sendCtx, pending); err != nil {
			return err
		}
	}
	tick := time.NewTicker(f.a.opts.PollInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		progressed, err := f.step(sendCtx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		if !progressed {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}
	// A clean stop sends what was read.
	if f.batch != nil {
		if err := f.send(sendCtx); err != nil {
			f.a.log.Warn("agent: last batch not confirmed; it is recovered at the next start", "flow", f.s.id, "err", err)
		}
	}
	if f.cur != nil {
		f.cur.close()
	}
	return nil
}

// step reads what the current file has, sends full or aged batches and
// moves on to the next file when the current one is finished. It reports
// whether anything happened.
func (f *flow) step(ctx context.Context) (bool, error) {
	if f.cur == nil {
		if err := f.openNext(); err != nil {
			return false, err
		}
		if f.cur == nil {
			return false, f.sendIfAged(ctx)
		}
	}
	n, err := f.cur.fill()
	if err != nil {
		return false, fmt.Errorf("read %s: %w", f.cur.path, err)
	}
	// Checked after the read and before splitting: bytes read from a file
	// truncated and written again are dropped, not taken for a
	// continuation.
	if !f.footerHit {
		if reset, err := f.checkTruncated(ctx); reset || err != nil {
			return reset, err
		}
	}
	for !f.footerHit {
		rec, ok := f.cur.next(false)
		if !ok {
			break
		}
		if err := f.add(ctx, rec); err != nil {
			return false, err
		}
	}
	now := time.Now()
	if n > 0 && !f.footerHit {
		// A file that keeps growing slowly still sends by age.
		f.lastGrowth = now
		return true, f.sendIfAged(ctx)
	}
	// Looking for a newer file opens every file of the pattern: done
	// every ten polls (at most every second), not at each.
	superseded := f.superseded
	if now.After(f.nextScan) {
		f.nextScan = now.Add(min(10*f.a.opts.PollInterval, time.Second))
		if superseded, err = f.isSuperseded(); err != nil {
			return false, err
		}
		f.superseded = superseded
	}
	idleSince := f.lastGrowth
	if f.curMtime.After(idleSince) {
		idleSince = f.curMtime
	}
	if f.footerHit || (superseded && now.Sub(idleSince) >= f.a.opts.RotationGrace) {
		return true, f.finishCurrent(ctx)
	}
	return false, f.sendIfAged(ctx)
}

// add converts a record and puts it in the batch, sending a full batch.
func (f *flow) add(ctx context.Context, rec rawRecord) error {
	f.parsed.Add(1)
	if f.s.footer != nil && f.s.footer.MatchString(javaTrim(decodeUTF8(rec.data))) {
		f.footerHit = true
		f.dropped.Add(1)
		f.appendPrepared(prepared{end: rec.end, done: true}, rec.start)
		return nil
	}
	p := f.prepare(rec)
	if p.data == nil {
		f.dropped.Add(1)
	}
	f.appendPrepared(p, rec.start)
	if len(f.batch.recs) >= f.s.bufferRecords || f.batch.bytes >= f.s.bufferBytes {
		return f.send(ctx)
	}
	return nil
}

func (f *flow) appendPrepared(p prepared, start int64) {
	if f.batch == nil {
		f.batch = &batch{file: f.curState, from: start}
		f.batchStart = time.Now()
	}
	f.batch.recs = append(f.batch.recs, p)
	f.batch.bytes += len(p.data) + len(p.pk)
}

// prepare converts a record and gives it its partition key and identity.
func (f *flow) prepare(rec rawRecord) prepared {
	p := prepared{end: rec.end}
	data := rec.data
	for _, c := range f.s.converters {
		var keep bool
		if data, keep = c(data); !keep {
			p.done = true
			return p
		}
	}
	if f.s.kinesis {
		if f.s.deterministic {
			sum := md5.Sum(data)
			p.pk = hex.EncodeToString(sum[:])
		} else {
			p.pk = positionKey(f.s.id, f.cur.id, rec.start)
		}
	}
	p.data = truncateRecord(data, f.s.maxRecord-len(p.pk), f.s.terminator)
	p.hash = recordHash(p.pk, p.data)
	return p
}

// positionKey is the RANDOM partition key: a number in [0, 1000000) as
// the Kinesis Agent writes one, drawn from the record's place (flow, file,
// offset) instead of a random source, so that the key also names the
// record when recovery looks for it in the stream.
func positionKey(flowID string, id fileID, start int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00%d", flowID, id.Dev, id.Ino, id.FP, start)
	x := binary.BigEndian.Uint64(h.Sum(nil))
	v := float64(x>>11) / (1 << 53) * 1e6
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// recordHash identifies a record by its partition key and data.
func recordHash(pk string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(pk))
	h.Write([]byte{0})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (f *flow) sendIfAged(ctx context.Context) error {
	if f.batch != nil && time.Since(f.batchStart) >= f.s.bufferAge {
		return f.send(ctx)
	}
	return nil
}

// checkTruncated starts the current file over when it got shorter than
// what was read, or its first bytes changed (copytruncate).
func (f *flow) checkTruncated(ctx context.Context) (bool, error) {
	fi, err := f.cur.f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", f.cur.path, err)
	}
	f.curMtime = fi.ModTime()
	read := f.cur.off + int64(len(f.cur.buf))
	same, err := f.curState.matches(f.cur.f, f.curState.Dev, f.curState.Ino)
	if err != nil {
		return false, err
	}
	if fi.Size() >= read && same {
		return false, f.extendFingerprint(fi.Size())
	}
	if f.batch != nil {
		if err := f.send(ctx); err != nil {
			return false, err
		}
	}
	id, _, err := identify(f.cur.f)
	if err != nil {
		return false, err
	}
	f.a.log.Info("agent: file truncated; reading it from the start", "flow", f.s.id, "file", f.cur.path)
	f.cur.reset(id, f.s.skipHeader)
	return true, f.a.update(func() {
		f.curState.fileID, f.curState.Offset, f.curState.Done = id, 0, false
	})
}

// extendFingerprint lengthens a short fingerprint as the file grows.
func (f *flow) extendFingerprint(size int64) error {
	if f.curState.FPLen >= fingerprintLen || size <= int64(f.curState.FPLen) {
		return nil
	}
	id, _, err := identify(f.cur.f)
	if err != nil || id.FPLen <= f.curState.FPLen {
		return err
	}
	f.a.read(func() { f.curState.fileID = id })
	f.cur.id = id
	return nil
}

// finishCurrent sends the rest of a finished file and marks it done.
func (f *flow) finishCurrent(ctx context.Context) error {
	if !f.footerHit {
		for {
			rec, ok := f.cur.next(true)
			if !ok {
				break
			}
			if err := f.add(ctx, rec); err != nil {
				return err
			}
		}
		if rec, ok := f.cur.rest(); ok {
			if err := f.add(ctx, rec); err != nil {
				return err
			}
		}
	}
	if f.batch != nil {
		if err := f.send(ctx); err != nil {
			return err
		}
	}
	off := f.cur.off
	if err := f.a.update(func() { f.curState.Done, f.curState.Offset = true, off }); err != nil {
		return err
	}
	f.cur.close()
	f.cur, f.curState, f.footerHit, f.superseded, f.nextScan = nil, nil, false, false, time.Time{}
	f.curPath.Store("")
	return nil
}

func (f *flow) status() FlowStatus {
	s := FlowStatus{
		Flow: f.s.id, Parsed: f.parsed.Load(), Sent: f.sent.Load(), Dropped: f.dropped.Load(),
		Failed: f.failed.Load(), BytesSent: f.bytesSent.Load(), File: f.curPath.Load().(string),
	}
	f.a.read(func() {
		for _, st := range f.st.Files {
			if st.Done {
				continue
			}
			if fi, err := os.Stat(st.Path); err == nil && fi.Size() > st.Offset {
				s.Behind += fi.Size() - st.Offset
			}
		}
	})
	return s
}
