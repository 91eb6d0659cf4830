package whep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback/rtpout"
)

// payloadMax is the RTP payload size we packetize to: below pion's 1200
// byte SRTP MTU with room for header extensions.
const payloadMax = 1100

// collapseStep is the RTP time between the cached units sent at once when
// a viewer joins: they decode at once and the newest is shown.
const collapseStep = int64(time.Millisecond)

// rejoinPoll is how often a viewer whose publisher left looks for the next.
const rejoinPoll = 250 * time.Millisecond

// sender is one outgoing track: the stored codec, its packetizer and the
// pion track it writes RTP to.
type sender struct {
	cap   webrtc.RTPCodecCapability
	codec codecs.Codec
	pk    *rtpout.Packetizer // RTP timestamps: its random base plus output time
	track *webrtc.TrackLocalStaticRTP
	rtp   *webrtc.RTPSender

	lastOut int64 // output time of the last unit sent, ns
	sent    bool
}

func newSender(pc *webrtc.PeerConnection, o offered, t fragments.Track, stream string) (*sender, error) {
	switch t.Codec.(type) {
	case *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1, *codecs.Opus: // what browsers decode: no AAC
	default:
		return nil, fmt.Errorf("whep: cannot send %T", t.Codec)
	}
	pk, err := rtpout.New(t, o.pt, payloadMax)
	if err != nil {
		return nil, fmt.Errorf("whep: %w", err)
	}
	s := &sender{cap: o.capability(), codec: t.Codec, pk: pk}
	kind := "video"
	if o.kind == "audio" {
		kind = "audio"
	}
	if s.track, err = webrtc.NewTrackLocalStaticRTP(s.cap, kind, "shardcast-"+stream); err != nil {
		return nil, err
	}
	if s.rtp, err = pc.AddTrack(s.track); err != nil {
		return nil, err
	}
	return s, nil
}

// negotiable tells whether the negotiated codecs of the sender's m-line
// include its codec.
func (s *sender) negotiable() bool {
	for _, c := range s.rtp.GetParameters().Codecs {
		if strings.EqualFold(c.MimeType, s.cap.MimeType) {
			return true
		}
	}
	return false
}

// write sends one unit at output time out (ns on the viewer's clock).
func (s *sender) write(data []byte, out int64) error {
	pkts, err := s.pk.Packets(data, toTicks(out, s.pk.ClockRate()))
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if err := s.track.WriteRTP(p); err != nil {
			return err
		}
	}
	s.lastOut, s.sent = out, true
	return nil
}

// toNs converts ticks of a clock to nanoseconds, in two steps so that
// large times do not overflow.
func toNs(ticks, clock int64) int64 {
	return ticks/clock*int64(time.Second) + ticks%clock*int64(time.Second)/clock
}

// toTicks converts nanoseconds to ticks of a clock.
func toTicks(ns, clock int64) int64 {
	sec, frac := ns/int64(time.Second), ns%int64(time.Second)
	return sec*clock + frac*clock/int64(time.Second)
}

// viewer is one live viewer: a PeerConnection fed by a goroutine that
// reads the stream's unit feed (run), and one per sender draining RTCP so
// pion's interceptors (NACK, reports) work.
type viewer struct {
	s        *Server
	stream   *fragments.Stream
	name     string
	pc       *webrtc.PeerConnection
	log      *slog.Logger
	video    *sender // nil when the viewer gets no video
	audio    *sender // nil when the viewer gets no audio
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	rtcpDone sync.WaitGroup

	connected, failed  chan struct{}
	connOnce, failOnce sync.Once

	// Run's alone.
	sub                *fragments.UnitSubscription
	videoIdx, audioIdx int   // tracks of sub sent, -1 for none
	backlog            int   // units of sub cached before sending began
	needKey            bool  // video waits for a keyframe
	shift              int64 // media time (ns) minus output time for live units
	shiftSet           bool
	nextOut            int64 // output time (ns) the next unit starts at, at least
	lastWall           time.Time
	lagSkips           int

	plis atomic.Int64 // keyframe requests of the viewer
}

func (v *viewer) once(o *sync.Once, c chan struct{}) { o.Do(func() { close(c) }) }

func (v *viewer) PeerConnection() *webrtc.PeerConnection { return v.pc }
func (v *viewer) Done() <-chan struct{}                  { return v.done }

// Close ends the viewer and waits for its goroutines.
func (v *viewer) Close() error {
	v.cancel()
	<-v.done
	return nil
}

func (v *viewer) start() {
	for _, s := range []*sender{v.video, v.audio} {
		if s == nil {
			continue
		}
		v.rtcpDone.Add(1)
		go v.readRTCP(s.rtp)
	}
	go v.run()
}

// readRTCP drains a sender's RTCP until the PeerConnection closes.
func (v *viewer) readRTCP(s *webrtc.RTPSender) {
	defer v.rtcpDone.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				// No way yet to ask the publisher for a keyframe.
				v.plis.Add(1)
			}
		}
	}
}

func (v *viewer) run() {
	defer v.finish()
	timer := time.NewTimer(v.s.cfg.ConnectTimeout)
	select {
	case <-v.connected:
		timer.Stop()
	case <-v.failed:
		v.log.Info("whep: viewer failed to connect")
		return
	case <-v.ctx.Done():
		return
	case <-timer.C:
		v.log.Info("whep: viewer did not connect in time", "timeout", v.s.cfg.ConnectTimeout)
		return
	}
	for {
		v.begin()
		if !v.follow() || !v.rejoin() {
			return
		}
	}
}

// begin starts sending a subscription: what it holds now is the cache
// since the keyframe, and is sent at once.
func (v *viewer) begin() {
	v.backlog = len(v.sub.C())
	v.needKey, v.shiftSet = true, false
	if !v.lastWall.IsZero() {
		// Keep RTP time moving with the wall clock across a gap.
		v.nextOut += int64(time.Since(v.lastWall))
	}
}

// follow sends the subscription's units until it ends: true when the
// publisher left, false when the viewer ends.
func (v *viewer) follow() bool {
	for {
		select {
		case <-v.ctx.Done():
			return false
		case <-v.failed:
			return false
		case u := <-v.sub.C():
			v.send(u)
		case <-v.sub.Done():
			for {
				select {
				case u := <-v.sub.C():
					v.send(u)
					continue
				default:
				}
				break
			}
			v.sub.Close()
			v.sub = nil
			return true
		}
	}
}

// rejoin waits for the next publisher of the stream; true when it sends
// the same video codec and the viewer goes on with it.
func (v *viewer) rejoin() bool {
	v.log.Info("whep: publisher left; waiting for the next one", "wait", v.s.cfg.RejoinWait)
	deadline := time.NewTimer(v.s.cfg.RejoinWait)
	defer deadline.Stop()
	tick := time.NewTicker(rejoinPoll)
	defer tick.Stop()
	for {
		select {
		case <-v.ctx.Done():
			return false
		case <-v.failed:
			return false
		case <-deadline.C:
			v.log.Info("whep: no publisher came back; ending the viewer")
			return false
		case <-tick.C:
		}
		sub, err := v.stream.SubscribeUnits(v.ctx)
		if errors.Is(err, fragments.ErrNotLive) {
			continue
		}
		if err != nil {
			if v.ctx.Err() != nil {
				return false
			}
			continue // no keyframe in time: look again
		}
		vi, ai := -1, -1
		for i, t := range sub.Tracks {
			switch {
			case v.video != nil && vi < 0 && sameCodec(t.Codec, v.video.codec):
				vi = i
			case v.audio != nil && ai < 0 && sameCodec(t.Codec, v.audio.codec):
				ai = i
			}
		}
		if v.video != nil && vi < 0 {
			v.log.Info("whep: the new publisher sends other video; ending the viewer")
			sub.Close()
			return false
		}
		if v.video == nil && ai < 0 {
			sub.Close()
			return false
		}
		v.sub, v.videoIdx, v.audioIdx = sub, vi, ai
		v.log.Info("whep: following the new publisher")
		return true
	}
}

// sameCodec tells whether a new publisher's codec can follow on the same
// RTP stream: the same codec (H.264 and H.265 carry new parameter sets in
// band), for VP9 the same profile.
func sameCodec(a, b codecs.Codec) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	if a, ok := a.(*codecs.VP9); ok {
		return a.Profile == b.(*codecs.VP9).Profile
	}
	return true
}

// send passes one unit to its track, on the viewer's output clock.
func (v *viewer) send(u fragments.Unit) {
	cached := v.backlog > 0
	if cached {
		v.backlog--
	}
	lead := v.videoIdx
	if lead < 0 {
		lead = v.audioIdx
	}
	var s *sender
	switch u.Track {
	case v.videoIdx:
		s = v.video
	case v.audioIdx:
		s = v.audio
	default:
		return
	}
	isLead := u.Track == lead
	if !cached && !u.Arrival.IsZero() && time.Since(u.Arrival) > v.s.cfg.MaxLag {
		// Fallen behind the live edge: skip to the next keyframe.
		if isLead && !v.needKey && !u.Random {
			v.needKey = true
			v.lagSkips++
			if v.lagSkips%100 == 1 {
				v.log.Info("whep: viewer behind the live edge; skipping to the next keyframe", "lag", time.Since(u.Arrival), "skips", v.lagSkips)
			}
		}
		if !u.Random || !isLead {
			return
		}
	}
	if isLead && v.needKey {
		if !u.Random {
			return
		}
		v.needKey = false
	}
	if v.needKey {
		return // audio waits for the picture
	}
	media := toNs(u.PTS, s.pk.ClockRate())
	var out int64
	switch {
	case cached && isLead:
		// Cached units, older than the live edge: drawn together so they
		// decode at once.
		out = v.nextOut
		v.nextOut += collapseStep
	case cached:
		return // cached audio is of the past
	case !v.shiftSet && isLead:
		v.shift, v.shiftSet = media-v.nextOut, true
		out = v.nextOut
	case !v.shiftSet:
		return // audio starts with the first live picture
	default:
		out = media - v.shift
	}
	if !isLead && s.sent && out <= s.lastOut {
		return // audio never goes back
	}
	if isLead && out+collapseStep > v.nextOut {
		v.nextOut = out + collapseStep
	}
	v.lastWall = time.Now()
	if err := s.write(u.Data, out); err != nil {
		v.log.Debug("whep: write", "err", err)
	}
}

// finish frees the viewer's resources, once run has returned.
func (v *viewer) finish() {
	v.cancel()
	if v.sub != nil {
		v.sub.Close()
	}
	v.pc.Close()
	v.rtcpDone.Wait()
	v.s.mu.Lock()
	delete(v.s.viewers, v)
	v.s.mu.Unlock()
	v.log.Info("whep: viewer ended", "lag_skips", v.lagSkips, "plis", v.plis.Load())
	close(v.done)
}
