package whep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// Streams finds the video streams viewers play (*fragments.Store is one).
type Streams interface {
	Lookup(ref fragments.StreamRef) (*fragments.Stream, error)
}

// Config configures a Server.
type Config struct {
	Store  Streams
	Logger *slog.Logger
	// ICEServers are given to each viewer's PeerConnection (STUN/TURN).
	ICEServers []webrtc.ICEServer
	// MaxViewers bounds the viewers of the server (default 256); past it
	// Play answers 503.
	MaxViewers int
	// KeyframeWait is how long Play waits for a publisher's first keyframe
	// (default 5 s).
	KeyframeWait time.Duration
	// ConnectTimeout ends a viewer that has not connected by then
	// (default 20 s).
	ConnectTimeout time.Duration
	// RejoinWait is how long a viewer whose publisher left waits for the
	// next publisher of the stream (default 30 s).
	RejoinWait time.Duration
	// MaxLag is how far behind the live edge a viewer may fall (its
	// network too slow, or its connection stalled) before it skips to the
	// next keyframe (default 1 s).
	MaxLag time.Duration
}

// Viewer is one live viewer.
type Viewer interface {
	PeerConnection() *webrtc.PeerConnection
	// Close ends the viewer and waits until its resources are freed.
	Close() error
	// Done is closed when the viewer has ended, for any reason.
	Done() <-chan struct{}
}

// Error is an error of Play with the HTTP status that answers it.
type Error struct {
	Status int
	Msg    string
	Err    error // what caused it, if anything
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status a WHEP endpoint answers the error with.
func (e *Error) HTTPStatus() int { return e.Status }

func errorf(status int, cause error, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Server runs the live viewers of a server.
type Server struct {
	cfg Config

	mu      sync.Mutex
	viewers map[*viewer]struct{}
	pending int // Play calls under way, counted against MaxViewers
	closed  bool
}

// New returns a server of live viewers.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxViewers <= 0 {
		cfg.MaxViewers = 256
	}
	if cfg.KeyframeWait <= 0 {
		cfg.KeyframeWait = 5 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 20 * time.Second
	}
	if cfg.RejoinWait <= 0 {
		cfg.RejoinWait = 30 * time.Second
	}
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = time.Second
	}
	return &Server{cfg: cfg, viewers: map[*viewer]struct{}{}}
}

// Viewers returns how many viewers are running.
func (s *Server) Viewers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.viewers)
}

// Close ends every viewer and refuses new ones.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	list := make([]*viewer, 0, len(s.viewers))
	for v := range s.viewers {
		list = append(list, v)
	}
	s.mu.Unlock()
	for _, v := range list {
		v.Close()
	}
	return nil
}

// Play starts a viewer of stream's live media for the SDP offer, on a
// PeerConnection of api, and returns it with the complete SDP answer (host
// candidates gathered). Errors are *Error with the HTTP status to answer:
// 404 for an unknown stream or one with no publisher, 400 for a malformed
// offer, 406 when the offer has no codec the stream can be sent in, 503
// when the server is full or closing.
func (s *Server) Play(ctx context.Context, api *webrtc.API, stream, offer string) (Viewer, string, error) {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, "", errorf(http.StatusServiceUnavailable, nil, "the server is shutting down")
	case len(s.viewers)+s.pending >= s.cfg.MaxViewers:
		s.mu.Unlock()
		return nil, "", errorf(http.StatusServiceUnavailable, nil, "too many viewers (%d)", s.cfg.MaxViewers)
	}
	s.pending++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
	}()

	st, err := s.cfg.Store.Lookup(fragments.StreamRef{Name: stream})
	if errors.Is(err, registry.ErrResourceNotFound) {
		return nil, "", errorf(http.StatusNotFound, err, "no video stream %q", stream)
	}
	if err != nil {
		return nil, "", errorf(http.StatusBadRequest, err, "stream %q", stream)
	}
	offered, err := parseOffer(offer)
	if err != nil {
		return nil, "", errorf(http.StatusBadRequest, err, "malformed SDP offer")
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.KeyframeWait)
	sub, err := st.SubscribeUnits(wctx)
	cancel()
	switch {
	case errors.Is(err, fragments.ErrNotLive):
		return nil, "", errorf(http.StatusNotFound, err, "stream %q is not live", stream)
	case err != nil && ctx.Err() != nil:
		return nil, "", ctx.Err()
	case err != nil:
		return nil, "", errorf(http.StatusServiceUnavailable, err, "stream %q has no keyframe yet", stream)
	}
	v, answer, err := s.start(ctx, api, st, stream, sub, offer, offered)
	if err != nil {
		sub.Close()
		return nil, "", err
	}
	return v, answer, nil
}

// start negotiates the viewer's PeerConnection for sub and runs it.
func (s *Server) start(ctx context.Context, api *webrtc.API, st *fragments.Stream, stream string, sub *fragments.UnitSubscription, rawOffer string, offer []offered) (*viewer, string, error) {
	vi, ai := -1, -1
	var have []string
	for i, t := range sub.Tracks {
		have = append(have, codecName(t.Codec))
		switch t.Codec.(type) {
		case *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1:
			if vi < 0 {
				vi = i
			}
		case *codecs.Opus:
			if ai < 0 {
				ai = i
			}
		}
	}
	var vOff, aOff offered
	if vi >= 0 {
		var ok bool
		if vOff, ok = pickVideo(offer, sub.Tracks[vi].Codec); !ok {
			want := codecName(sub.Tracks[vi].Codec)
			if want == "H.264" {
				want += " with packetization-mode=1"
			}
			return nil, "", errorf(http.StatusNotAcceptable, nil, "stream %q has %s video; the offer has no %s (it offers video: %s)",
				stream, codecName(sub.Tracks[vi].Codec), want, offerNames(offer, "video"))
		}
	}
	if ai >= 0 {
		var ok bool
		if aOff, ok = pickAudio(offer, sub.Tracks[ai].Codec); !ok {
			if vi < 0 {
				return nil, "", errorf(http.StatusNotAcceptable, nil, "stream %q has Opus audio; the offer has no Opus (it offers audio: %s)", stream, offerNames(offer, "audio"))
			}
			ai = -1 // video only
		}
	}
	if vi < 0 && ai < 0 {
		return nil, "", errorf(http.StatusNotAcceptable, nil, "stream %q has %s: nothing WebRTC can carry (AAC is not transcoded)", stream, strings.Join(have, ", "))
	}

	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: s.cfg.ICEServers})
	if err != nil {
		return nil, "", errorf(http.StatusInternalServerError, err, "new PeerConnection")
	}
	ctxV, cancel := context.WithCancel(context.Background())
	v := &viewer{s: s, stream: st, name: stream, pc: pc, sub: sub, videoIdx: vi, audioIdx: ai,
		ctx: ctxV, cancel: cancel, done: make(chan struct{}), connected: make(chan struct{}), failed: make(chan struct{}),
		log: s.cfg.Logger.With("stream", stream, "viewer", fmt.Sprintf("%p", pc))}
	fail := func(status int, err error, format string, args ...any) (*viewer, string, error) {
		cancel()
		pc.Close()
		return nil, "", errorf(status, err, format, args...)
	}
	if vi >= 0 {
		if v.video, err = newSender(pc, vOff, sub.Tracks[vi], stream); err != nil {
			return fail(http.StatusInternalServerError, err, "video track")
		}
	}
	if ai >= 0 {
		if v.audio, err = newSender(pc, aOff, sub.Tracks[ai], stream); err != nil {
			return fail(http.StatusInternalServerError, err, "audio track")
		}
	}
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		switch state {
		case webrtc.PeerConnectionStateConnected:
			v.once(&v.connOnce, v.connected)
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			v.once(&v.failOnce, v.failed)
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: rawOffer}); err != nil {
		return fail(http.StatusBadRequest, err, "SDP offer refused")
	}
	for _, snd := range []*sender{v.video, v.audio} {
		if snd != nil && !snd.negotiable() {
			return fail(http.StatusNotAcceptable, nil, "the server's WebRTC media engine cannot send %s", snd.cap.MimeType)
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(http.StatusBadRequest, err, "no answer to the offer")
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(http.StatusInternalServerError, err, "set local description")
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(http.StatusServiceUnavailable, ctx.Err(), "gathering ICE candidates")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fail(http.StatusServiceUnavailable, nil, "the server is shutting down")
	}
	s.viewers[v] = struct{}{}
	s.mu.Unlock()
	v.start()
	v.log.Info("whep: viewer started", "video", codecOf(v.video), "audio", codecOf(v.audio))
	return v, pc.LocalDescription().SDP, nil
}

func codecOf(s *sender) string {
	if s == nil {
		return "none"
	}
	return s.cap.MimeType
}
