package natsstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// Headers every record carries.
const (
	hdrSeq  = "Shardcast-Seq"  // our sequence number, decimal
	hdrTime = "Shardcast-Time" // our server time, unix nanoseconds, decimal
	// hdrMax bounds the header bytes of a record's message: the NATS/1.0
	// line, our two headers and JetStream's expected last sequence (each
	// "Key: value\r\n" with a value of at most 20 digits) and the closing
	// blank line.
	hdrMax = len("NATS/1.0\r\n") + len(hdrSeq+hdrTime+jetstream.ExpectedLastSeqHeader) + 3*(2+20+2) + 2
	// readWindow is how many direct gets one Read keeps in flight.
	readWindow = 64
	// opTimeout bounds the calls made without a caller's context (trims,
	// close).
	opTimeout = 30 * time.Second
)

// jsLog is one shard log kept in a JetStream stream.
type jsLog struct {
	c       *Conn
	id      shard.LogID
	name    string // JetStream stream
	subject string
	key     string // bucket key of its state
	stream  jetstream.Stream
	cc      jetstream.ConsumeContext

	// Large records (big.go): their messages go to bigSubject, their
	// chunks to the companion stream bigName on bigChunks.
	bigSubject string
	bigName    string
	bigChunks  string
	bmu        sync.Mutex
	big        jetstream.Stream // the companion, once known to exist
	chunkGets  atomic.Uint64    // chunks fetched by reads (for tests)

	dmu    sync.Mutex
	damage []shard.Damage // large records that cannot be read back, by sequence

	// The writer (run) owns the fields below appendMu's.
	reqs   chan *appendReq // unbuffered: taken only by the writer
	quit   chan struct{}   // closed by Close: the writer stops
	wdone  chan struct{}   // closed when the writer stopped
	inbox  string          // reply subjects of the writer's rounds: inbox.<round>
	ackSub *nats.Subscription
	acks   chan *nats.Msg // JetStream's answers to the writer's publishes
	rounds atomic.Uint64  // rounds published so far
	w      roundState

	appendMu sync.Mutex // one round (or SkipTo, trim) at a time

	mu      sync.Mutex
	st      logState
	firstJS uint64 // JetStream sequence of the first record; lastJS+1 when empty
	lastJS  uint64
	first   uint64 // our numbers: Bounds
	next    uint64
	lastT   int64
	stale   bool // an append failed: resync before the next one
	reload  bool // a record disagreed with st: reload it before mapping
	closed  bool
	notify  chan struct{}
}

var _ shard.Log = (*jsLog)(nil)

func (c *Conn) openLog(ctx context.Context, id shard.LogID, o shard.LogOptions) (*jsLog, error) {
	l := &jsLog{c: c, id: id, name: c.streamName(id), subject: c.subject(id), key: stateKey(id), notify: make(chan struct{}),
		reqs: make(chan *appendReq), quit: make(chan struct{}), wdone: make(chan struct{}),
		bigSubject: c.bigSubject(id), bigName: c.chunkStreamName(id), bigChunks: c.chunkSubject(id)}
	l.w.stream = l.name
	l.w.ackPrefix = fmt.Appendf(nil, `{"stream":%q,"seq":`, l.name)
	s, err := c.js.Stream(ctx, l.name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		// A new log: its numbering goes to the bucket before the stream
		// exists, so a crash in between cannot lose FirstSeq.
		var st logState
		if o.FirstSeq > 1 {
			st = st.skip(1, o.FirstSeq)
		}
		if err := l.saveState(ctx, st); err != nil {
			return nil, err
		}
		s, err = c.js.CreateStream(ctx, c.streamConfig(l.name, "shardcast shard log "+id.String(), l.subject, l.bigSubject))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = c.js.Stream(ctx, l.name)
		}
		if err != nil {
			return nil, fmt.Errorf("natsstore: create stream %s: %w", l.name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("natsstore: open stream %s: %w", l.name, err)
	default:
		if s, err = l.addBigSubject(ctx, s); err != nil {
			return nil, err
		}
	}
	l.stream = s
	st, err := l.loadState(ctx)
	if err != nil {
		return nil, err
	}
	l.st = st
	if err := l.resync(ctx); err != nil {
		return nil, err
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   l.lastJS + 1,
		HeadersOnly:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: watch stream %s: %w", l.name, err)
	}
	cc, err := cons.Consume(l.stored, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		c.log.Debug("natsstore: notification consumer", "log", id.String(), "err", err)
	}))
	if err != nil {
		return nil, fmt.Errorf("natsstore: watch stream %s: %w", l.name, err)
	}
	l.cc = cc
	l.inbox = c.nc.NewInbox()
	l.acks = make(chan *nats.Msg, ackBuffer)
	if l.ackSub, err = c.nc.ChanSubscribe(l.inbox+".*", l.acks); err != nil {
		l.stopConsumer()
		return nil, fmt.Errorf("natsstore: subscribe to acknowledgements of %s: %w", l.name, err)
	}
	go l.run()
	return l, nil
}

// addBigSubject adds the subject of large records' messages to a stream
// created before large records were kept in chunks.
func (l *jsLog) addBigSubject(ctx context.Context, s jetstream.Stream) (jetstream.Stream, error) {
	cfg := s.CachedInfo().Config
	if slices.Contains(cfg.Subjects, l.bigSubject) {
		return s, nil
	}
	cfg.Subjects = append(cfg.Subjects, l.bigSubject)
	s, err := l.c.js.UpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("natsstore: add subject %s to stream %s: %w", l.bigSubject, l.name, err)
	}
	return s, nil
}

func (l *jsLog) loadState(ctx context.Context) (logState, error) {
	var st logState
	e, err := l.c.kv.Get(ctx, l.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("natsstore: load state of %s: %w", l.id, err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return st, fmt.Errorf("%w: state of %s: %v", shard.ErrCorrupt, l.id, err)
	}
	return st, nil
}

func (l *jsLog) saveState(ctx context.Context, st logState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("natsstore: encode state of %s: %w", l.id, err)
	}
	if _, err := l.c.kv.Put(ctx, l.key, b); err != nil {
		return fmt.Errorf("natsstore: save state of %s: %w", l.id, err)
	}
	return nil
}

// resync reads the stream's extent and its last record and sets the
// bounds from them. The caller holds appendMu (or owns l alone).
func (l *jsLog) resync(ctx context.Context) error {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("natsstore: stream %s: %w", l.name, err)
	}
	firstJS, lastJS := info.State.FirstSeq, info.State.LastSeq
	if info.State.Msgs == 0 {
		firstJS = lastJS + 1
	}
	var lastSeq uint64
	var lastT int64
	if info.State.Msgs > 0 {
		m, err := l.stream.GetMsg(ctx, lastJS)
		if err != nil {
			return fmt.Errorf("natsstore: last record of %s: %w", l.id, err)
		}
		if lastSeq, lastT, err = recordHeader(m.Header); err != nil {
			return fmt.Errorf("natsstore: record %d of %s: %w", lastJS, l.id, err)
		}
	}
	l.mu.Lock()
	st := l.st
	l.mu.Unlock()
	if l.reloadNeeded() {
		if st, err = l.loadState(ctx); err != nil {
			return err
		}
	}
	fixed := st
	switch {
	case info.State.Msgs > 0 && st.ourSeq(lastJS) != lastSeq:
		// The record says otherwise: trust what clients were told.
		l.c.log.Warn("natsstore: numbering state disagrees with the last record; following the record", "log", l.id.String(), "js", lastJS, "state", st.ourSeq(lastJS), "record", lastSeq)
		if lastSeq > st.ourSeq(lastJS) {
			fixed = st.skip(lastJS, lastSeq)
		}
	case info.State.Msgs == 0 && len(st.Breaks) > 0 && st.Breaks[len(st.Breaks)-1].JS > lastJS+1:
		// The server's numbering went back (its state was lost):
		// continue after the highest number ever given.
		b := st.Breaks[len(st.Breaks)-1]
		l.c.log.Warn("natsstore: stream numbering went back; continuing after the last known number", "log", l.id.String(), "js", lastJS)
		fixed = logState{Breaks: []brk{{JS: lastJS + 1, Off: max(b.JS+b.Off, st.Floor) - (lastJS + 1)}}, Floor: st.Floor}
	}
	if next := fixed.ourSeq(lastJS + 1); next < fixed.Floor {
		fixed = fixed.skip(lastJS+1, fixed.Floor)
	}
	if len(fixed.Breaks) != len(st.Breaks) || fixed.ourSeq(lastJS+1) != st.ourSeq(lastJS+1) {
		if err := l.saveState(ctx, fixed); err != nil {
			return err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st = fixed
	l.firstJS, l.lastJS = firstJS, lastJS
	l.next = max(l.next, fixed.ourSeq(lastJS+1))
	if info.State.Msgs > 0 {
		l.first = fixed.ourSeq(firstJS)
		l.lastT = max(l.lastT, lastT)
	} else {
		l.first = l.next
	}
	l.stale, l.reload = false, false
	return nil
}

func (l *jsLog) reloadNeeded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reload
}

func recordHeader(h nats.Header) (seq uint64, t int64, err error) {
	seq, err1 := strconv.ParseUint(headerValue(h, hdrSeq), 10, 64)
	t, err2 := strconv.ParseInt(headerValue(h, hdrTime), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: record without shardcast headers", shard.ErrCorrupt)
	}
	return seq, t, nil
}

func headerValue(h nats.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// stored is told of every record JetStream stores in the stream, whoever
// published it: it keeps the bounds current and wakes tailing readers.
func (l *jsLog) stored(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		return
	}
	seq, t, err := recordHeader(m.Headers())
	if err != nil {
		return
	}
	js := md.Sequence.Stream
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if l.st.ourSeq(js) != seq {
		l.reload = true // another process skipped: reload the state before mapping
	}
	if js <= l.lastJS {
		return // our own append already counted it
	}
	if l.first == l.next {
		l.firstJS, l.first = js, seq
	}
	l.lastJS = js
	l.next = max(l.next, seq+1)
	l.lastT = max(l.lastT, t)
	l.wakeLocked()
}

func (l *jsLog) wakeLocked() {
	close(l.notify)
	l.notify = make(chan struct{})
}

func unframe(b []byte) (meta, data []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, fmt.Errorf("%w: bad record framing", shard.ErrCorrupt)
	}
	b = b[k:]
	return b[:n:n], b[n:], nil
}

// Append hands the batch to the log's writer, which publishes it with the
// other batches queued meanwhile, and returns once JetStream acknowledged
// all of its records.
func (l *jsLog) Append(ctx context.Context, entries []shard.Entry) (shard.Appended, error) {
	if err := ctx.Err(); err != nil {
		return shard.Appended{}, err
	}
	size := 0
	for _, e := range entries {
		n := len(e.Meta) + len(e.Data)
		if n > shard.MaxStoredSize {
			return shard.Appended{}, fmt.Errorf("%w: %d bytes", shard.ErrTooLarge, n)
		}
		size += n
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return shard.Appended{}, shard.ErrClosed
	}
	if len(entries) == 0 {
		b := l.Bounds()
		return shard.Appended{FirstSeq: b.Next, Time: max(l.c.cfg.Now().UnixNano(), b.LastTime)}, nil
	}
	r := &appendReq{ctx: ctx, entries: entries, size: size, done: make(chan struct{})}
	select {
	case l.reqs <- r:
	case <-l.quit:
		return shard.Appended{}, shard.ErrClosed
	case <-ctx.Done():
		return shard.Appended{}, ctx.Err()
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		// The round goes on without this caller: its records may still
		// be stored, as a failed Append's may.
		return shard.Appended{}, ctx.Err()
	}
}

// Bounds returns the readable extent as this process last saw it.
func (l *jsLog) Bounds() shard.Bounds {
	l.mu.Lock()
	defer l.mu.Unlock()
	return shard.Bounds{First: l.first, Next: l.next, LastTime: l.lastT}
}

// Notify returns a channel closed at the next stored record.
func (l *jsLog) Notify() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify
}

// Damaged lists the large records that could not be read back (a chunk
// missing or not matching the record's length or checksum), found by
// reads since the log was opened. JetStream checksums and repairs its own
// storage otherwise.
func (l *jsLog) Damaged() []shard.Damage {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	return slices.Clone(l.damage)
}

// Close stops the writer once the round in flight is answered (batches
// still queued get ErrClosed), waits for a SkipTo or trim in flight, stops
// the notifications and wakes tailing readers.
func (l *jsLog) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.quit)
	<-l.wdone
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	close(l.notify) // left closed: tailing readers see the end at once
	l.mu.Unlock()
	if err := l.ackSub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		l.c.log.Debug("natsstore: unsubscribe acknowledgements", "log", l.id.String(), "err", err)
	}
	l.stopConsumer()
	l.c.release(l.id)
	return nil
}

// stopConsumer stops the notification consumer and waits for it.
func (l *jsLog) stopConsumer() {
	l.cc.Stop()
	select {
	case <-l.cc.Closed():
	case <-time.After(opTimeout):
		l.c.log.Warn("natsstore: notification consumer did not stop", "log", l.id.String())
	}
}
