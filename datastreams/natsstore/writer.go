package natsstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// Limits of one round of the writer. A request larger than a round still
// goes out alone.
const (
	maxRoundRecords = 4096
	maxRoundBytes   = 8 << 20
	// ackBuffer is how many acknowledgements may wait for the writer; the
	// writer also reads them while it publishes, so a round of any size
	// fits.
	ackBuffer = 2 * maxRoundRecords
	// closeGrace is how long Close lets a round in flight wait for
	// JetStream's answers before failing it with shard.ErrClosed.
	closeGrace = 5 * time.Second
)

// appendReq is one Append waiting for the writer.
type appendReq struct {
	ctx     context.Context
	entries []shard.Entry
	size    int
	res     shard.Appended
	err     error
	done    chan struct{}
}

func (r *appendReq) answer(res shard.Appended, err error) {
	r.res, r.err = res, err
	close(r.done)
}

// run is the log's writer: it takes every Append queued while the
// previous round was in flight and publishes them together. Close stops it
// after the round in flight is answered.
func (l *jsLog) run() {
	defer close(l.wdone)
	var (
		round []*appendReq
		carry *appendReq // taken, but did not fit the last round
	)
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-l.reqs:
			case <-l.quit:
				return
			}
		}
		if l.quitting() {
			first.answer(shard.Appended{}, shard.ErrClosed)
			return
		}
		round = append(round[:0], first)
		n, size := len(first.entries), first.size
	gather:
		for n < maxRoundRecords && size < maxRoundBytes {
			select {
			case r := <-l.reqs:
				if n+len(r.entries) > maxRoundRecords || size+r.size > maxRoundBytes {
					carry = r
					break gather
				}
				round = append(round, r)
				n, size = n+len(r.entries), size+r.size
			default:
				break gather
			}
		}
		l.commit(round)
		clear(round)
	}
}

func (l *jsLog) quitting() bool {
	select {
	case <-l.quit:
		return true
	default:
		return false
	}
}

// commit publishes one round and answers every request in it: those whose
// records JetStream acknowledged with their numbers, the others with the
// round's error.
func (l *jsLog) commit(round []*appendReq) {
	// A caller that gave up before its records went out gets its error and
	// nothing of it is published.
	live := round[:0]
	for _, r := range round {
		if err := r.ctx.Err(); err != nil {
			r.answer(shard.Appended{}, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	stale := l.stale || l.reload
	l.mu.Unlock()
	if stale {
		if err := l.resync(ctx); err != nil {
			for _, r := range live {
				r.answer(shard.Appended{}, err)
			}
			return
		}
	}
	l.mu.Lock()
	baseJS, firstSeq := l.lastJS, l.next
	now := max(l.c.cfg.Now().UnixNano(), l.lastT)
	l.mu.Unlock()
	total := 0
	for _, r := range live {
		total += len(r.entries)
	}
	// Chunks of large records first: a record is published only once all
	// of its chunks are stored.
	refs, err := l.storeChunks(ctx, live)
	if err != nil {
		for _, r := range live {
			r.answer(shard.Appended{}, err)
		}
		return
	}
	acked, err := l.publish(ctx, live, baseJS, firstSeq, now, total, refs)

	l.mu.Lock()
	if acked > 0 {
		if l.first == l.next && l.lastJS == baseJS {
			l.firstJS, l.first = baseJS+1, firstSeq
		}
		l.lastJS = max(l.lastJS, baseJS+uint64(acked))
		if firstSeq+uint64(acked) > l.next {
			l.next = firstSeq + uint64(acked)
			l.lastT = max(l.lastT, now)
			l.wakeLocked()
		}
	}
	if err != nil {
		l.stale = true
	}
	l.mu.Unlock()

	off := 0
	for _, r := range live {
		n := len(r.entries)
		switch {
		case off+n <= acked:
			r.answer(shard.Appended{FirstSeq: firstSeq + uint64(off), Time: now}, nil)
		default:
			stored := min(max(acked-off, 0), n)
			r.answer(shard.Appended{}, fmt.Errorf("natsstore: append to %s (%d of %d records stored): %w", l.id, stored, n, err))
		}
		off += n
	}
}

// publish sends the round's records, each expecting the JetStream sequence
// before it, and waits for JetStream's answers. It returns how many
// records, from the first, JetStream stored, and the error that stopped
// the others.
func (l *jsLog) publish(ctx context.Context, round []*appendReq, baseJS, firstSeq uint64, now int64, total int, refs map[int]*chunkRef) (int, error) {
	w := &l.w
	w.reply = l.inbox + "." + strconv.FormatUint(l.rounds.Add(1), 10)
	w.base, w.err = baseJS, nil
	if cap(w.stored) < total {
		w.stored = make([]bool, total)
	} else {
		w.stored = w.stored[:total]
		clear(w.stored)
	}
	w.answered = 0

	// One message and one header map serve the whole round: the client
	// copies them into its buffer when publishing. The subject belongs to
	// the log's stream alone (JetStream refuses overlapping subjects), and
	// the acknowledgement names the stream, so no Nats-Expected-Stream.
	seqv, lastv := []string{""}, []string{""}
	m := &nats.Msg{Subject: l.subject, Reply: w.reply, Header: nats.Header{
		hdrSeq:                          seqv,
		hdrTime:                         {strconv.FormatInt(now, 10)},
		jetstream.ExpectedLastSeqHeader: lastv,
	}}
	sent := 0
publishing:
	for _, r := range round {
		for _, e := range r.entries {
			seqv[0] = strconv.FormatUint(firstSeq+uint64(sent), 10)
			lastv[0] = strconv.FormatUint(baseJS+uint64(sent), 10)
			if ref := refs[sent]; ref != nil {
				// A large record: its message names its chunks.
				m.Subject, m.Data = l.bigSubject, nil
				m.Header[hdrBig] = []string{ref.String()}
			} else {
				w.buf = appendFrame(w.buf[:0], e)
				m.Subject, m.Data = l.subject, w.buf
				if refs != nil {
					delete(m.Header, hdrBig)
				}
			}
			if err := l.c.nc.PublishMsg(m); err != nil {
				w.fail(fmt.Errorf("publish: %w", err))
				break publishing
			}
			sent++
			// Take the answers that arrived meanwhile so they never fill
			// the buffer.
			for drained := false; !drained; {
				select {
				case a := <-l.acks:
					w.take(a)
				default:
					drained = true
				}
			}
		}
	}
	if cap(w.buf) > maxKeptFrame {
		w.buf = nil
	}
	quit := l.quit
	var grace <-chan time.Time
	for w.answered < sent {
		select {
		case a := <-l.acks:
			w.take(a)
		case <-quit:
			// Close waits for the answers a while, not for a server that
			// stopped answering.
			quit = nil
			t := time.NewTimer(closeGrace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			w.fail(fmt.Errorf("%w before JetStream answered %d of %d records (they may be stored)", shard.ErrClosed, sent-w.answered, sent))
			sent = w.answered // stop waiting
		case <-ctx.Done():
			w.fail(fmt.Errorf("%d of %d acknowledgements missing: %w", sent-w.answered, sent, ctx.Err()))
			sent = w.answered
		}
	}
	acked := 0
	for acked < len(w.stored) && w.stored[acked] {
		acked++
	}
	if acked < total && w.err == nil {
		w.err = errors.New("JetStream did not store every record")
	}
	return acked, w.err
}

// maxKeptFrame is the largest framing buffer a log keeps between rounds.
const maxKeptFrame = 256 << 10

// roundState is what the writer knows of the round in flight.
type roundState struct {
	reply    string // reply subject of the round's messages
	base     uint64 // JetStream sequence before the round
	stored   []bool // by record: JetStream acknowledged it
	answered int    // answers received
	err      error  // the first failure
	buf      []byte // framing buffer
	stream   string // the log's JetStream stream
	// ackPrefix starts a successful acknowledgement from that stream.
	ackPrefix []byte
}

func (w *roundState) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// pubAck is JetStream's answer to a publish.
type pubAck struct {
	Stream string              `json:"stream"`
	Seq    uint64              `json:"seq"`
	Error  *jetstream.APIError `json:"error,omitempty"`
}

// take counts one answer from JetStream. Answers to earlier rounds (late
// after a timeout) are dropped.
func (w *roundState) take(m *nats.Msg) {
	if m.Subject != w.reply {
		return
	}
	w.answered++
	if len(m.Data) == 0 {
		if st := m.Header.Get("Status"); st != "" {
			w.fail(fmt.Errorf("JetStream answered status %s %s (no stream listening?)", st, m.Header.Get("Description")))
			return
		}
	}
	a, ok := w.quickAck(m.Data)
	if !ok {
		if err := json.Unmarshal(m.Data, &a); err != nil {
			w.fail(fmt.Errorf("unreadable JetStream acknowledgement: %w", err))
			return
		}
	}
	if a.Error != nil {
		w.fail(a.Error)
		return
	}
	if !ok && a.Stream != w.stream {
		w.fail(fmt.Errorf("stored in JetStream stream %q, not %q", a.Stream, w.stream))
		return
	}
	if a.Seq <= w.base || a.Seq > w.base+uint64(len(w.stored)) {
		w.fail(fmt.Errorf("stored at JetStream sequence %d, outside %d..%d", a.Seq, w.base+1, w.base+uint64(len(w.stored))))
		return
	}
	w.stored[a.Seq-w.base-1] = true
}

// quickAck reads the common acknowledgement, {"stream":"<name>","seq":N}
// possibly followed by more fields, without the JSON decoder, which costs
// more than the rest of an acknowledgement's handling. ok is false for
// anything else.
func (w *roundState) quickAck(b []byte) (a pubAck, ok bool) {
	if !bytes.HasPrefix(b, w.ackPrefix) {
		return a, false
	}
	b = b[len(w.ackPrefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i == len(b) || b[i] != '}' && b[i] != ',' {
		return a, false
	}
	seq, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		return a, false
	}
	return pubAck{Seq: seq}, true
}

// appendFrame appends the framing of e to b: uvarint(len(meta)) | meta | data.
func appendFrame(b []byte, e shard.Entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(e.Meta)))
	b = append(b, e.Meta...)
	return append(b, e.Data...)
}
