package webrtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/ingest"
)

// connectTimeout is how long a session may take from its answer to a
// connected peer before it is given up.
const connectTimeout = 15 * time.Second

// publisher is a WHIP session: one peer connection feeding one
// ingest.Session.
type publisher struct {
	stream string
	pc     *webrtc.PeerConnection
	sess   *ingest.Session
	plans  []plan
	tl     timeline
	log    *slog.Logger
	cfg    Config

	kick   chan struct{} // asks for a keyframe
	failed chan struct{} // closed when the connection failed or closed
	done   chan struct{} // closed when everything is freed
	stop   chan struct{} // closed by Close
	wg     sync.WaitGroup

	failOnce, stopOnce sync.Once
	mu                 sync.Mutex
	videoSSRCs         []uint32
	tracks             []*inTrack
	connected          bool
	closeErr           error
}

// PeerConnection is the session's peer connection.
func (p *publisher) PeerConnection() *webrtc.PeerConnection { return p.pc }

// Done is closed when the session has ended and freed everything.
func (p *publisher) Done() <-chan struct{} { return p.done }

// Close ends the session: the connection closes, the last fragment is
// stored. It waits for that.
func (p *publisher) Close() error {
	p.mu.Lock()
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Unlock()
	<-p.done
	return nil
}

func (p *publisher) fail() { p.failOnce.Do(func() { close(p.failed) }) }

// requestKeyframe asks the publisher for a keyframe (PLI), coalescing
// requests; the fragmenter calls it when a fragment runs long.
func (p *publisher) requestKeyframe() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// startPublisher negotiates a WHIP offer (already filtered by choose) and
// starts the session. It returns the complete answer.
func (h *Handler) startPublisher(ctx context.Context, stream, remote string, offer string, plans []plan, sess *ingest.Session,
	setKeyframe func(func())) (*publisher, string, error) {
	t := h.cfg.Transport
	p := &publisher{stream: stream, sess: sess, plans: plans, cfg: t.cfg,
		log:  h.log.With("stream", stream, "remote", remote),
		kick: make(chan struct{}, 1), failed: make(chan struct{}), done: make(chan struct{}), stop: make(chan struct{})}
	p.tl.ref = referenceTrack(plans)
	setKeyframe(p.requestKeyframe)
	pc, err := t.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("webrtc: peer connection: %w", err)
	}
	p.pc = pc
	byMid := map[string]plan{}
	for _, pl := range plans {
		byMid[pl.mid] = pl
	}
	pc.OnTrack(func(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		var pl plan
		found := false
		for _, tr := range pc.GetTransceivers() {
			if tr.Receiver() == recv {
				pl, found = byMid[tr.Mid()]
			}
		}
		if !found {
			// Only one accepted m-line of the kind: take it.
			for _, c := range plans {
				if c.codec.video() == (track.Kind() == webrtc.RTPCodecTypeVideo) {
					pl, found = c, true
				}
			}
		}
		if !found {
			return
		}
		p.startTrack(pl, track, recv)
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("webrtc: connection state", "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.mu.Lock()
			first := !p.connected
			p.connected = true
			p.mu.Unlock()
			if first {
				p.logPair()
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			p.fail()
		}
	})
	answer, err := negotiate(ctx, pc, offer)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	p.wg.Add(1)
	go p.control()
	go p.run()
	return p, capBitrate(answer, t.cfg.MaxBitrate), nil
}

// negotiate applies an offer and returns the complete answer, with every
// candidate gathered.
func negotiate(ctx context.Context, pc *webrtc.PeerConnection, offer string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", &statusError{code: 400, msg: "the offer cannot be used: " + err.Error()}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		if errors.Is(err, webrtc.ErrSenderWithNoCodecs) {
			return "", &statusError{code: 406, msg: "no acceptable codec; accepted are " + accepted}
		}
		return "", &statusError{code: 400, msg: "cannot answer the offer: " + err.Error()}
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("webrtc: local description: %w", err)
	}
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case <-gathered:
	case <-gctx.Done():
		return "", fmt.Errorf("webrtc: gathering candidates: %w", gctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// logPair logs the candidate pair the connection uses.
func (p *publisher) logPair() {
	for _, tr := range p.pc.GetTransceivers() {
		if r := tr.Receiver(); r != nil && r.Transport() != nil {
			if pair, err := r.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
				p.log.Info("webrtc: publisher connected", "local", pair.Local.String(), "remote", pair.Remote.String())
				return
			}
		}
	}
	p.log.Info("webrtc: publisher connected")
}

// startTrack runs the readers of one incoming track.
func (p *publisher) startTrack(pl plan, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	it, err := newInTrack(pl, p.sess, &p.tl, p.requestKeyframe, func(err error) {
		p.log.Debug("webrtc: depacketize", "track", pl.track, "err", err)
	})
	if err != nil {
		p.log.Warn("webrtc: track refused", "codec", pl.codec.String(), "err", err)
		return
	}
	it.log = p.log
	p.mu.Lock()
	select {
	case <-p.stop:
		p.mu.Unlock()
		return
	default:
	}
	p.tracks = append(p.tracks, it)
	if pl.codec.video() {
		p.videoSSRCs = append(p.videoSSRCs, uint32(track.SSRC()))
	}
	p.wg.Add(2)
	p.mu.Unlock()
	p.log.Info("webrtc: track", "codec", track.Codec().MimeType, "payload_type", track.PayloadType(), "ssrc", track.SSRC())
	if pl.codec.video() {
		p.requestKeyframe()
	}
	// RTCP must be read for the interceptors to work; sender reports give
	// producer time and line the tracks up.
	ssrc := uint32(track.SSRC())
	go func() {
		defer p.wg.Done()
		for {
			pkts, _, err := recv.ReadRTCP()
			if err != nil {
				return
			}
			it.onRTCP(pkts, ssrc)
		}
	}()
	go func() {
		defer p.wg.Done()
		for {
			// Read into a packet of the track's own (reused), not ReadRTP,
			// which allocates a buffer and a packet each time.
			pkt := it.newPacket()
			n, _, err := track.Read(pkt.buf[:])
			if err != nil {
				p.fail()
				return
			}
			if err := pkt.Unmarshal(pkt.buf[:n]); err != nil {
				it.release(pkt)
				continue
			}
			pkt.at = time.Now()
			it.pushPacket(pkt)
		}
	}()
}

// control asks for keyframes (at the start, on request, every keyframe
// interval) and sends the bitrate cap (REMB) each second.
func (p *publisher) control() {
	defer p.wg.Done()
	kf := time.NewTicker(p.cfg.KeyframeInterval)
	defer kf.Stop()
	remb := time.NewTicker(time.Second)
	defer remb.Stop()
	// At most one PLI per pliGap: a burst of loss is one request, and a
	// request inside the gap is sent when it ends.
	const pliGap = 200 * time.Millisecond
	var lastPLI time.Time
	later := time.NewTimer(time.Hour)
	later.Stop()
	defer later.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.failed:
			return
		case <-p.kick:
			if wait := pliGap - time.Since(lastPLI); wait > 0 {
				later.Reset(wait)
				continue
			}
			p.sendPLI()
			lastPLI = time.Now()
		case <-later.C:
			p.sendPLI()
			lastPLI = time.Now()
		case <-kf.C:
			p.sendPLI()
			lastPLI = time.Now()
		case <-remb.C:
			p.mu.Lock()
			ssrcs := append([]uint32(nil), p.videoSSRCs...)
			p.mu.Unlock()
			if len(ssrcs) > 0 {
				p.pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(p.cfg.MaxBitrate), SSRCs: ssrcs}})
			}
		}
	}
}

func (p *publisher) sendPLI() {
	p.mu.Lock()
	ssrcs := append([]uint32(nil), p.videoSSRCs...)
	p.mu.Unlock()
	if len(ssrcs) == 0 {
		return
	}
	pkts := make([]rtcp.Packet, 0, len(ssrcs))
	for _, s := range ssrcs {
		pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: s})
	}
	if err := p.pc.WriteRTCP(pkts); err != nil {
		p.log.Debug("webrtc: PLI", "err", err)
	}
}

// run waits for the end: Close, a failed or closed connection, a
// connection that never came up, or one disconnected too long. Then it
// frees everything.
func (p *publisher) run() {
	connectBy := time.NewTimer(connectTimeout)
	defer connectBy.Stop()
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()
	var downSince time.Time
	reason := ""
loop:
	for {
		select {
		case <-p.stop:
			reason = "closed"
			break loop
		case <-p.failed:
			reason = "connection " + p.pc.ConnectionState().String()
			break loop
		case <-connectBy.C:
			p.mu.Lock()
			up := p.connected
			p.mu.Unlock()
			if !up {
				reason = "never connected"
				break loop
			}
		case now := <-check.C:
			switch p.pc.ConnectionState() {
			case webrtc.PeerConnectionStateDisconnected:
				if downSince.IsZero() {
					downSince = now
				} else if now.Sub(downSince) > p.cfg.DisconnectTimeout {
					reason = "disconnected"
					break loop
				}
			default:
				downSince = time.Time{}
			}
		}
	}
	p.fail()
	p.mu.Lock() // startTrack adds to wg only before stop, under mu
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Unlock()
	p.closeErr = p.pc.Close()
	p.wg.Wait()
	p.sess.Close()
	var lost, dropped, units int64
	p.mu.Lock()
	for _, t := range p.tracks {
		lost += t.lostPackets.Load()
		dropped += t.droppedFrames.Load()
		units += t.units.Load()
	}
	p.mu.Unlock()
	p.log.Info("webrtc: publisher ended", "reason", reason, "units", units, "lost_packets", lost, "gaps", dropped)
	close(p.done)
}
