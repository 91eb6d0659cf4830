package rtsp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/headers"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// Streams finds the video streams whose live media readers play
// (*fragments.Store is one).
type Streams interface {
	Lookup(ref fragments.StreamRef) (*fragments.Stream, error)
}

// Server accepts RTSP publishers, and readers of the streams' live media.
type Server struct {
	Address string // TCP address, e.g. ":8554"
	// TLSAddress, with TLSConfig, is a second TCP address that speaks
	// RTSP over TLS (rtsps://), TCP transport only, with the same streams
	// and Guard (rtsps.go); empty: none.
	TLSAddress     string
	TLSConfig      *tls.Config
	UDPRTPAddress  string // with UDPRTCPAddress, enables UDP transport (ports must be even and even+1)
	UDPRTCPAddress string
	ReadTimeout    time.Duration // a publisher silent this long is dropped (default 10s)
	// ReaderQueue is the packets queued for each reader, a power of two
	// (default 4096): a reader that falls this far behind skips to the
	// next keyframe.
	ReaderQueue int
	Manager     *ingest.Manager
	Logger      *slog.Logger
	// Listen and ListenPacket open the TCP listener and the UDP sockets
	// (default net.Listen and net.ListenPacket).
	Listen       func(network, address string) (net.Listener, error)
	ListenPacket func(network, address string) (net.PacketConn, error)
	// Guard decides who may publish and read; nil lets everyone in.
	Guard Guard
	// Refused, when set, is told of each request the guard refused (who
	// is the verified key id, "" when none verified), for the audit log.
	Refused func(who, action, stream, remote string)
	// Store holds the video streams whose live media readers play
	// (reserve.go); nil refuses every reader with 404.
	Store Streams

	srv     *gortsplib.Server
	ln      net.Listener    // the plain listener
	tlsLn   net.Listener    // the RTSPS listener, if any
	ctx     context.Context // ends when the server closes
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the live streams' goroutines
	mu      sync.Mutex
	pubs    map[*gortsplib.ServerSession]*publisher
	lives   map[string]*liveStream                   // by stream name
	readers map[*gortsplib.ServerSession]*liveStream // reader sessions
	closed  bool
}

// Guard is the server's view of the credentials and of the one decision on
// who may do what (web/awsapi's Auth is one).
type Guard interface {
	// Open reports that no credentials are configured: nothing is checked.
	Open() bool
	// Secret returns the secret key of an access key id: RTSP Basic and
	// Digest authentication use the key id as user and the secret as
	// password.
	Secret(keyID string) (string, bool)
	// Authorize decides whether who (a verified key id, "" for anonymous)
	// may do action on resource (a stream name).
	Authorize(who, action, resource string) error
}

// authorize checks the credentials of req (RTSP Basic or Digest) and asks
// the guard whether they may do action on stream. It returns nil when they
// may, else the 401 to answer with gortsplib's authentication error: a
// request without credentials is then challenged (WWW-Authenticate offers
// Basic and Digest), one with wrong credentials gets the 401 and the
// connection is closed.
func (s *Server) authorize(conn *gortsplib.ServerConn, req *base.Request, action, stream string) (*base.Response, error) {
	if s.Guard == nil || s.Guard.Open() {
		return nil, nil
	}
	var h headers.Authorization
	user, offered := "-", false
	if h.Unmarshal(req.Header["Authorization"]) == nil && h.Username != "" {
		user, offered = h.Username, true
	}
	secret, known := s.Guard.Secret(user)
	who := ""
	// VerifyCredentials is called even without credentials: it makes the
	// connection's Digest nonce, which the challenge carries.
	if ok := conn.VerifyCredentials(req, user, secret); ok && known {
		who = user
	}
	if err := s.Guard.Authorize(who, action, stream); err != nil {
		remote := conn.NetConn().RemoteAddr().String()
		if s.Refused != nil {
			s.Refused(who, action, stream, remote)
		}
		if offered {
			s.Logger.Warn("rtsp: credentials refused", "stream", stream, "action", action, "user", user, "remote", remote)
		} else {
			s.Logger.Debug("rtsp: credentials asked for", "stream", stream, "action", action, "remote", remote)
		}
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	return nil, nil
}

type publisher struct {
	stream   string
	sess     *ingest.Session
	bindings []*binding
	errs     int
}

// Start listens.
func (s *Server) Start() error {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.ReadTimeout <= 0 {
		s.ReadTimeout = 10 * time.Second
	}
	if s.TLSAddress != "" && s.TLSConfig == nil {
		return errors.New("rtsp: an RTSPS address needs a TLS configuration")
	}
	if s.ReaderQueue <= 0 {
		s.ReaderQueue = defaultReaderQueue
	}
	s.pubs = map[*gortsplib.ServerSession]*publisher{}
	s.lives = map[string]*liveStream{}
	s.readers = map[*gortsplib.ServerSession]*liveStream{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	listen, listenPacket := s.Listen, s.ListenPacket
	if listen == nil {
		listen = net.Listen
	}
	if listenPacket == nil {
		listenPacket = net.ListenPacket
	}
	srv := &gortsplib.Server{
		Handler:        s,
		RTSPAddress:    s.Address,
		UDPRTPAddress:  s.UDPRTPAddress,
		UDPRTCPAddress: s.UDPRTCPAddress,
		ReadTimeout:    s.ReadTimeout,
		WriteTimeout:   s.ReadTimeout,
		// Keyframes arrive as bursts of datagrams: give the UDP sockets room.
		UDPReadBufferSize: 1 << 20,
		// A reader's queue takes the packets since the latest keyframe at
		// once when it starts (reserve.go).
		WriteQueueSize: s.ReaderQueue,
		Listen: func(network, address string) (net.Listener, error) {
			return s.openListeners(listen, network, address)
		},
		ListenPacket: listenPacket,
	}
	// A server that failed to start has closed what it opened, and must not
	// be closed again.
	if err := srv.Start(); err != nil {
		s.cancel()
		return fmt.Errorf("rtsp: %w", err)
	}
	s.srv = srv
	s.Logger.Info("rtsp listening", "addr", s.Address, "udp_rtp", s.UDPRTPAddress, "udp_rtcp", s.UDPRTCPAddress, "rtsps", s.TLSAddress)
	return nil
}

// Addr is the bound TCP address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// TLSAddr is the bound RTSPS address; empty without one.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// Close stops the server; publishers' last fragments are stored, readers
// are disconnected.
func (s *Server) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.srv != nil {
		s.srv.Close()
	}
	s.closeLive()
	s.mu.Lock()
	pubs := s.pubs
	s.pubs = map[*gortsplib.ServerSession]*publisher{}
	s.mu.Unlock()
	for _, p := range pubs {
		p.sess.Close()
	}
}

func pathStream(path string) string { return strings.Trim(path, "/") }

// OnConnOpen logs connections.
func (s *Server) OnConnOpen(ctx *gortsplib.ServerHandlerOnConnOpenCtx) {
	s.Logger.Debug("rtsp: connection opened", "remote", ctx.Conn.NetConn().RemoteAddr().String())
}

// OnConnClose logs connections.
func (s *Server) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	s.Logger.Debug("rtsp: connection closed", "remote", ctx.Conn.NetConn().RemoteAddr().String(), "reason", ctx.Error)
}

// OnAnnounce starts a publisher session for the path's stream.
func (s *Server) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	remote := ctx.Conn.NetConn().RemoteAddr().String()
	name := pathStream(ctx.Path)
	refuse := func(code base.StatusCode, reason string, args ...any) (*base.Response, error) {
		s.Logger.Warn("rtsp: publish refused", append([]any{"stream", name, "remote", remote, "reason", reason}, args...)...)
		return &base.Response{StatusCode: code}, fmt.Errorf("%s", reason)
	}
	if res, err := s.authorize(ctx.Conn, ctx.Request, ingest.ActionPublish, name); res != nil {
		return res, err
	}
	if err := fragments.CheckStreamName(name); err != nil {
		return refuse(base.StatusBadRequest, "the path is not a stream name", "err", err)
	}
	tracks, bindings := bind(ctx.Description)
	if len(tracks) == 0 {
		return refuse(base.StatusUnsupportedMediaType, "no supported track: publish H.264 or H.265 video, AAC or Opus audio")
	}
	protocol := "rtsp"
	if overTLS(ctx.Conn) {
		protocol = "rtsps"
	}
	sess, err := s.Manager.Start(ingest.Request{Stream: name, Protocol: protocol, Remote: remote, Tracks: tracks})
	switch {
	case errors.Is(err, ingest.ErrNoStream):
		return refuse(base.StatusNotFound, "no such stream, and creating streams on publish is off")
	case errors.Is(err, ingest.ErrBusy):
		return refuse(base.StatusBadRequest, "the stream already has a publisher")
	case errors.Is(err, ingest.ErrClosed):
		return refuse(base.StatusServiceUnavailable, "the server is shutting down")
	case err != nil:
		return refuse(base.StatusInternalServerError, "cannot start the session", "err", err)
	}
	s.mu.Lock()
	s.pubs[ctx.Session] = &publisher{stream: name, sess: sess, bindings: bindings}
	s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSetup accepts the publisher's transports, and sets up readers.
func (s *Server) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res := s.refuseClearTransport(ctx); res != nil {
		return res, nil, nil
	}
	s.mu.Lock()
	_, ok := s.pubs[ctx.Session]
	s.mu.Unlock()
	if !ok {
		return s.setupReader(ctx)
	}
	return &base.Response{StatusCode: base.StatusOK}, nil, nil
}

// OnRecord starts receiving media.
func (s *Server) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	s.mu.Lock()
	p := s.pubs[ctx.Session]
	s.mu.Unlock()
	if p == nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, errors.New("RECORD without ANNOUNCE")
	}
	onError := func(err error) {
		s.mu.Lock()
		p.errs++
		n := p.errs
		s.mu.Unlock()
		if n <= 3 || n%1000 == 0 {
			s.Logger.Warn("rtsp: depacketize", "stream", p.stream, "err", err, "count", n)
		}
	}
	for _, b := range p.bindings {
		cb, err := b.handler(p.sess, ctx.Session, onError)
		if err != nil {
			return &base.Response{StatusCode: base.StatusInternalServerError}, err
		}
		ctx.Session.OnPacketRTP(b.media, b.format, cb)
		ctx.Session.OnPacketRTCP(b.media, b.onRTCP)
	}
	s.Logger.Info("rtsp: recording", "stream", p.stream, "transport", ctx.Session.SetuppedTransport().String())
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionClose ends the publisher's session, storing its last fragment,
// or a reader's.
func (s *Server) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	s.mu.Lock()
	p := s.pubs[ctx.Session]
	delete(s.pubs, ctx.Session)
	s.mu.Unlock()
	if p != nil {
		s.Logger.Info("rtsp: publisher left", "stream", p.stream, "reason", ctx.Error)
		p.sess.Close()
		return
	}
	s.readerLeft(ctx.Session, ctx.Error)
}

// OnPacketsLost counts losses (UDP).
func (s *Server) OnPacketsLost(ctx *gortsplib.ServerHandlerOnPacketsLostCtx) {
	s.Logger.Debug("rtsp: packets lost", "lost", ctx.Lost)
}

// OnDecodeError logs malformed packets.
func (s *Server) OnDecodeError(ctx *gortsplib.ServerHandlerOnDecodeErrorCtx) {
	s.Logger.Debug("rtsp: decode error", "err", ctx.Error)
}
