package webrtc

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpav1"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpvp9"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/ingest"
)

// Reordering: a hole in the sequence numbers waits this long (or until
// this many packets are held behind it) for a retransmission before it
// counts as lost.
const (
	reorderSize    = 512 // ring slots; a power of two
	reorderMaxHeld = 384
	reorderMaxWait = 250 * time.Millisecond
)

// packet is a received RTP packet in a buffer of its own. A track reuses
// its packets once nothing refers to them any more (see inTrack.pending):
// at a few hundred packets a second per stream, a fresh buffer for each
// was the largest part of what a WHIP session allocated.
type packet struct {
	rtp.Packet
	at     time.Time // arrival
	pooled bool      // buf is the packet's own, and it may be reused
	buf    [packetSize]byte
}

// packetSize holds any RTP packet pion hands on (its receive MTU is 1460).
const packetSize = 1500

// reorder puts a track's packets back in sequence order. Holes wait for
// NACK retransmissions; a hole that is not filled in time is reported as
// lost, in order with the packets.
type reorder struct {
	started  bool
	next     uint16 // the sequence number expected next
	ring     [reorderSize]*packet
	held     int
	holeFrom time.Time // when the packets now held behind the hole arrived (the first of them)
}

// push takes a packet and hands on, in order, what can go: packets
// (emit), losses (lost, with the count of missing packets), and packets
// not wanted (drop: duplicates and late retransmissions).
func (r *reorder) push(pkt *packet, emit, drop func(*packet), lost func(n int)) {
	if !r.started {
		r.started, r.next = true, pkt.SequenceNumber
	}
	now := pkt.at
	d := int16(pkt.SequenceNumber - r.next)
	switch {
	case d < 0:
		if d < -reorderSize {
			// Far behind: the sender restarted its sequence. Start over.
			r.flush(emit, lost)
			r.next = pkt.SequenceNumber
			break
		}
		drop(pkt) // a duplicate, or a retransmission too late
		return
	case d >= reorderSize:
		// Far ahead: everything held goes, the rest is lost.
		r.flush(emit, lost)
		lost(int(uint16(pkt.SequenceNumber - r.next)))
		r.next = pkt.SequenceNumber
	}
	i := pkt.SequenceNumber % reorderSize
	if r.ring[i] != nil {
		drop(pkt) // duplicate
		return
	}
	if pkt.SequenceNumber != r.next && r.held == 0 {
		r.holeFrom = now
	}
	r.ring[i] = pkt
	r.held++
	r.drain(emit)
	for r.held > 0 && (r.held > reorderMaxHeld || now.Sub(r.holeFrom) > reorderMaxWait) {
		r.skip(emit, lost)
	}
}

// drain hands on the packets that follow in sequence.
func (r *reorder) drain(emit func(*packet)) {
	for {
		i := r.next % reorderSize
		p := r.ring[i]
		if p == nil {
			return
		}
		r.ring[i] = nil
		r.held--
		r.next++
		emit(p)
	}
}

// skip gives up on the hole at next: it is lost, what follows goes on.
func (r *reorder) skip(emit func(*packet), lost func(int)) {
	n := 0
	for r.ring[r.next%reorderSize] == nil {
		r.next++
		n++
	}
	lost(n)
	r.drain(emit)
	if r.held > 0 {
		// The next hole: its wait starts with the first packet behind it.
		for k := uint16(1); k < reorderSize; k++ {
			if p := r.ring[(r.next+k)%reorderSize]; p != nil {
				r.holeFrom = p.at
				break
			}
		}
	}
}

// flush hands on everything held, holes counted as lost.
func (r *reorder) flush(emit func(*packet), lost func(int)) {
	for r.held > 0 {
		r.skip(emit, lost)
	}
}

// timeline places the tracks of a session on one presentation timeline.
// Zero is the arrival of the session's first packet, and each track's
// first packet sits at its own arrival: the fallback placement.
//
// Senders stamp audio and video with unrelated RTP timestamp bases, and
// their first packets may leave at different moments from when the media
// in them was captured (browsers start audio and video pipelines apart).
// The RTCP sender reports map each track's RTP clock to the sender's one
// wall clock, and that is what lines the tracks up: once the reference
// track (the first video track, else the first track) and another track
// each have a sender report, the other track is shifted so that media
// captured at the same wall-clock moment gets the same presentation time.
// The reference track is never moved; see inTrack.align for how a shift
// is applied to a track that is already running.
type timeline struct {
	mu  sync.Mutex
	t0  time.Time
	ref int // the track the others are aligned to

	// refOffset is the reference track's timeline minus the sender's wall
	// clock, in nanoseconds, from its latest sender report (nil before).
	refOffset atomic.Pointer[int64]
}

// referenceTrack is the track a session's other tracks are aligned to:
// the first video track (moving video can only wait for a keyframe, audio
// can move at any packet), else the first.
func referenceTrack(plans []plan) int {
	for _, p := range plans {
		if p.codec.video() {
			return p.track
		}
	}
	return 0
}

func (tl *timeline) offset(now time.Time, rate int) int64 {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.t0.IsZero() {
		tl.t0 = now
	}
	d := now.Sub(tl.t0)
	return int64(d/time.Second)*int64(rate) + int64(d%time.Second)*int64(rate)/int64(time.Second)
}

// inTrack is the receiving side of one published track.
type inTrack struct {
	p     plan
	rate  int
	sess  *ingest.Session
	tl    *timeline
	order reorder

	// RTP timestamps unwrapped onto the session's timeline.
	tsSet  bool
	tsLast uint32
	tsAbs  int64 // unwrapped timestamp of tsLast
	origin int64 // timeline ticks of the track's first timestamp, minus it

	report atomic.Pointer[ingest.SenderReport]

	// Alignment by sender reports (see timeline and align). shift is added
	// to the track's timestamps (ticks); want is the shift the latest
	// reports ask for, applied at the next unit that may take it.
	ssrc         uint32
	shift, want  int64
	wantSet      bool
	aligned      bool                 // a shift from sender reports was applied
	usedReport   *ingest.SenderReport // the reports the latest want came from
	usedRef      *int64
	published    *ingest.SenderReport // the reference track: its report last published
	started      bool                 // a unit was handed on
	lastPTS      int64                // of the latest unit handed on
	alignRefused bool                 // an implausible shift was logged
	log          *slog.Logger         // the session's (nil: none)

	// Video loss handling: after a loss, packets of the damaged frames are
	// dropped, and units until the next keyframe.
	decode   func(*rtp.Packet) (any, error)
	reset    func()
	waitKey  bool
	skipping bool
	skipTS   [2]uint32
	skipN    int
	lastTS   uint32

	// Hooks of the session.
	onLoss  func() // video lost: ask for a keyframe
	onError func(error)

	// Packet reuse. pending are the packets given to the decoder since the
	// last unit it returned: it may still hold slices of their payloads
	// (fragments of a NALU, the NALUs of an access unit not yet complete).
	// (The H.264 depacketizer copies every payload into the unit it
	// gathers and holds none; the others may.) Once a unit is out (the
	// session copies what it is given, or keeps the H.264 unit's own
	// buffer), only the packet that completed it may still be referred
	// to: the decoders split access units at a new timestamp and keep that
	// packet's NALUs for the next unit. So the others go back to free.
	// Only the track's reading goroutine touches these.
	free, pending  []*packet
	emitFn, dropFn func(*packet)
	lostFn         func(int)

	units, lostPackets, droppedFrames atomic.Int64
}

// onRTCP takes the sender reports of the track's media SSRC (mediaSSRC,
// when known: a report on a repair stream would replace it otherwise).
func (t *inTrack) onRTCP(pkts []rtcp.Packet, mediaSSRC uint32) {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok && (mediaSSRC == 0 || sr.SSRC == mediaSSRC) {
			t.report.Store(ingest.ReportOf(sr))
		}
	}
}

func (t *inTrack) reported(ssrc, ts uint32) time.Time {
	return t.report.Load().TimeOf(ssrc, ts, int64(t.rate))
}

// unitOrError makes a decoder's answer an interface that is nil without a
// unit (a nil slice in an interface is not).
func unitOrError[U [][]byte | []byte](u U, err error) (any, error) {
	if err != nil || u == nil {
		return nil, err
	}
	return u, nil
}

// newInTrack makes the receiver of an accepted m-line.
func newInTrack(p plan, sess *ingest.Session, tl *timeline, onLoss func(), onError func(error)) (*inTrack, error) {
	t := &inTrack{p: p, rate: 90000, sess: sess, tl: tl, onLoss: onLoss, onError: onError}
	t.emitFn, t.dropFn, t.lostFn = t.handle, t.release, t.lost
	var mk func() (func(*rtp.Packet) (any, error), error)
	switch p.codec {
	case codecH264:
		// Our own depacketizer: access units in AVCC form, in buffers
		// the session takes over (h264.go).
		mk = func() (func(*rtp.Packet) (any, error), error) {
			d := newH264Unpacker()
			return func(pkt *rtp.Packet) (any, error) {
				au, err := d.Decode(pkt)
				if au == nil {
					return nil, err
				}
				return au, err
			}, nil
		}
	case codecH265:
		mk = func() (func(*rtp.Packet) (any, error), error) {
			d, err := (&format.H265{PayloadTyp: p.pt}).CreateDecoder()
			if err != nil {
				return nil, err
			}
			return func(pkt *rtp.Packet) (any, error) { return unitOrError(d.Decode(pkt)) }, nil
		}
	case codecVP9:
		mk = func() (func(*rtp.Packet) (any, error), error) {
			d, err := (&format.VP9{PayloadTyp: p.pt}).CreateDecoder()
			if err != nil {
				return nil, err
			}
			return func(pkt *rtp.Packet) (any, error) { return unitOrError(d.Decode(pkt)) }, nil
		}
	case codecAV1:
		mk = func() (func(*rtp.Packet) (any, error), error) {
			d, err := (&format.AV1{PayloadTyp: p.pt}).CreateDecoder()
			if err != nil {
				return nil, err
			}
			return func(pkt *rtp.Packet) (any, error) { return unitOrError(d.Decode(pkt)) }, nil
		}
	case codecOpus:
		t.rate = 48000
		// One packet is one unit.
		t.decode = func(pkt *rtp.Packet) (any, error) { return pkt.Payload, nil }
		t.reset = func() {}
		return t, nil
	}
	dec, err := mk()
	if err != nil {
		return nil, err
	}
	t.decode = dec
	t.reset = func() {
		if d, err := mk(); err == nil {
			t.decode = d
		}
	}
	t.waitKey = true // a stream starts at a keyframe
	return t, nil
}

// Bounds of packet reuse: packets kept for reuse (a keyframe of a few
// hundred packets is mostly allocated afresh), and packets the decoder may
// still refer to (beyond that they are left to the garbage collector).
const (
	maxFreePackets    = 128
	maxPendingPackets = 2048
)

// newPacket is an empty packet for the reader to fill.
func (t *inTrack) newPacket() *packet {
	if n := len(t.free); n > 0 {
		p := t.free[n-1]
		t.free[n-1] = nil
		t.free = t.free[:n-1]
		return p
	}
	return &packet{pooled: true}
}

// release takes back a packet nothing refers to.
func (t *inTrack) release(p *packet) {
	if p.pooled && len(t.free) < maxFreePackets {
		p.Payload = nil
		t.free = append(t.free, p)
	}
}

// keep notes a packet the decoder may refer to.
func (t *inTrack) keep(p *packet) {
	if len(t.pending) >= maxPendingPackets {
		clear(t.pending) // not reused: the garbage collector frees them
		t.pending = t.pending[:0]
	}
	t.pending = append(t.pending, p)
}

// releasePending takes back every packet the decoder held.
func (t *inTrack) releasePending() {
	for i, p := range t.pending {
		t.release(p)
		t.pending[i] = nil
	}
	t.pending = t.pending[:0]
}

// pushPacket takes a packet as it arrived (its at set); the track owns it.
func (t *inTrack) pushPacket(p *packet) {
	t.order.push(p, t.emitFn, t.dropFn, t.lostFn)
}

// lost accounts missing packets: for video the damaged frames are dropped
// and the stream waits for a keyframe.
func (t *inTrack) lost(n int) {
	t.lostPackets.Add(int64(n))
	if !t.p.codec.video() {
		return
	}
	t.damage()
}

// damage drops the frame in progress and what follows up to a keyframe.
func (t *inTrack) damage() {
	t.reset()
	t.releasePending() // the new decoder refers to nothing
	t.skipping, t.skipTS[0], t.skipN = true, t.lastTS, 1
	if !t.waitKey {
		t.waitKey = true
		t.droppedFrames.Add(1)
		t.sess.Gap()
	}
	t.onLoss()
}

// quiet are decoder errors that only mean "more packets needed".
var quiet = []error{rtph264.ErrMorePacketsNeeded, rtph264.ErrNonStartingPacketAndNoPrevious,
	rtph265.ErrMorePacketsNeeded, rtph265.ErrNonStartingPacketAndNoPrevious,
	rtpvp9.ErrMorePacketsNeeded, rtpvp9.ErrNonStartingPacketAndNoPrevious,
	rtpav1.ErrMorePacketsNeeded, rtpav1.ErrNonStartingPacketAndNoPrevious}

// handle decodes an in-order packet and writes complete units.
func (t *inTrack) handle(p *packet) {
	pkt, now := &p.Packet, p.at
	ts := t.unwrap(pkt.Timestamp, now)
	if t.skipping {
		// After a loss: the frame being received and the first frame after
		// the hole may both miss packets; drop until a timestamp that is
		// neither (the start of a whole frame).
		if t.skipN == 1 && pkt.Timestamp != t.skipTS[0] {
			t.skipTS[1], t.skipN = pkt.Timestamp, 2
		}
		if pkt.Timestamp == t.skipTS[0] || (t.skipN == 2 && pkt.Timestamp == t.skipTS[1]) {
			t.lastTS = pkt.Timestamp
			t.release(p)
			return
		}
		t.skipping = false
	}
	t.lastTS = pkt.Timestamp
	if len(pkt.Payload) == 0 {
		t.release(p)
		return // padding (bandwidth probing)
	}
	unit, err := t.decode(pkt)
	if err != nil {
		if unit != nil {
			// A unit that this packet's new timestamp completed, with an
			// error on the packet itself (the H.264 depacketizer only).
			t.write(unit, pkt, ts, now)
			t.releasePending()
		}
		for _, q := range quiet {
			if errors.Is(err, q) {
				t.keep(p)
				return
			}
		}
		t.onError(err)
		if t.p.codec.video() {
			t.damage()
		}
		t.release(p) // a new decoder (of audio: none) refers to nothing
		return
	}
	if unit == nil {
		t.keep(p)
		return
	}
	t.write(unit, pkt, ts, now)
	// The session has the unit (a copy, or for H.264 the unit's own
	// buffer): of the packets the decoder was given,
	// only this one may still be referred to.
	t.releasePending()
	t.keep(p)
}

// write hands a decoded unit to the session, from the first keyframe on.
func (t *inTrack) write(unit any, pkt *rtp.Packet, ts int64, now time.Time) {
	var au [][]byte
	var frame []byte
	random := true // every audio unit is
	switch t.p.codec {
	case codecH264:
		frame = unit.([]byte) // AVCC, ours to hand over
		random = avccRandomAccess(frame)
	case codecH265:
		au = unit.([][]byte)
		random = h265.IsRandomAccess(au)
	case codecAV1:
		au = unit.([][]byte)
		random = av1.IsRandomAccess2(au)
	case codecVP9:
		frame = unit.([]byte)
		random = vp9.IsRandomAccess(frame)
	case codecOpus:
		frame = unit.([]byte)
	}
	if t.waitKey && !random {
		return
	}
	t.waitKey = false
	t.ssrc = pkt.SSRC
	t.align(ts, random)
	pts := ts + t.shift
	if t.started && pts <= t.lastPTS && !t.p.codec.video() {
		// The track was moved back by an alignment: what would overlap
		// the audio already handed on is dropped.
		return
	}
	t.started, t.lastPTS = true, pts
	at := ingest.Timing{Arrival: now, Reported: t.reported(pkt.SSRC, pkt.Timestamp)}
	switch t.p.codec {
	case codecH264:
		t.sess.WriteH264AVCC(t.p.track, at, pts, frame)
	case codecH265:
		t.sess.WriteH265(t.p.track, at, pts, au)
	case codecAV1:
		t.sess.WriteAV1(t.p.track, at, pts, au)
	case codecVP9:
		t.sess.WriteVP9(t.p.track, at, pts, frame)
	case codecOpus:
		t.sess.WriteOpus(t.p.track, at, pts, [][]byte{frame})
	}
	t.units.Add(1)
}

// Alignment limits. A shift is applied again only when the reports move
// it by alignTolerance or more (report jitter and slow clock drift cause
// no glitches), and a shift over alignMax means the sender's clocks do
// not agree: arrival stays.
const (
	alignTolerance = 10 * time.Millisecond
	alignMax       = 3 * time.Second
)

// align keeps the track on the reference track's wall clock. The
// reference track publishes its offset from the sender's clock at each
// new sender report; another track, with a report of its own, works out
// the shift that gives it the same offset (want). A shift is applied:
//
//   - before the track handed on any unit: at once;
//   - audio (every unit a random access point): at the next unit. A shift
//     forward leaves a gap; a shift back drops the units that would
//     overlap what was handed on (write), so presentation times never go
//     back;
//   - video: at the next keyframe, and only if the keyframe then still
//     comes after the last frame handed on (else at a later keyframe), so
//     no frame is dropped and none is given a time before its
//     predecessor.
func (t *inTrack) align(ts int64, random bool) {
	if t.p.track == t.tl.ref {
		if r := t.report.Load(); r != nil && r != t.published {
			if off, ok := t.clockOffset(r); ok {
				t.published = r
				t.tl.refOffset.Store(&off)
			}
		}
		return
	}
	r, ref := t.report.Load(), t.tl.refOffset.Load()
	if r != nil && ref != nil && (r != t.usedReport || ref != t.usedRef) {
		t.usedReport, t.usedRef = r, ref
		if off, ok := t.clockOffset(r); ok {
			d := time.Duration(*ref - off)
			want := durationTicks(d, t.rate)
			switch {
			case d > alignMax || d < -alignMax:
				if !t.alignRefused && t.log != nil {
					t.log.Info("webrtc: sender reports put the tracks too far apart; tracks stay placed by arrival", "track", t.p.track, "shift", d)
				}
				t.alignRefused = true
			case !t.aligned || abs(want-t.shift) >= durationTicks(alignTolerance, t.rate):
				t.want, t.wantSet = want, true
			}
		}
	}
	if !t.wantSet {
		return
	}
	if t.started && t.p.codec.video() && (!random || ts+t.want <= t.lastPTS) {
		return // at a later keyframe
	}
	if t.log != nil {
		t.log.Debug("webrtc: track aligned by sender reports", "track", t.p.track,
			"shift", time.Duration(t.want-t.shift)*time.Second/time.Duration(t.rate))
	}
	t.shift, t.wantSet, t.aligned = t.want, false, true
}

// clockOffset is the track's timeline (before its shift) minus the
// sender's wall clock at a sender report, in nanoseconds.
func (t *inTrack) clockOffset(r *ingest.SenderReport) (int64, bool) {
	if !t.tsSet || r.SSRC != t.ssrc {
		return 0, false
	}
	ticks := t.tsAbs + int64(int32(r.RTP-t.tsLast)) + t.origin
	rate := int64(t.rate)
	ns := ticks/rate*int64(time.Second) + ticks%rate*int64(time.Second)/rate
	return ns - r.NTP.UnixNano(), true
}

func durationTicks(d time.Duration, rate int) int64 {
	return int64(d/time.Second)*int64(rate) + int64(d%time.Second)*int64(rate)/int64(time.Second)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// unwrap places an RTP timestamp on the session's timeline.
func (t *inTrack) unwrap(ts uint32, now time.Time) int64 {
	if !t.tsSet {
		t.tsSet, t.tsLast, t.tsAbs = true, ts, int64(ts)
		t.origin = t.tl.offset(now, t.rate) - int64(ts)
	} else {
		t.tsAbs += int64(int32(ts - t.tsLast))
		t.tsLast = ts
	}
	return t.tsAbs + t.origin
}
