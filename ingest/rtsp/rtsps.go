package rtsp

// RTSPS: RTSP over TLS on a second address. gortsplib's Server takes one
// TLS configuration for all its connections, so one server cannot speak
// both. Rather than a second gortsplib server (whose live streams would
// need their own ServerStreams, SSRCs and packets), the TLS is ended here:
// one listener hands the server the plain connections and the decrypted
// TLS ones alike, so publishers and readers of both share every stream,
// every live re-serve and the Guard. A session set up over TLS is held
// to TCP (interleaved): UDP would carry its media in the clear.

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
)

// overTLS reports whether a connection came in on the RTSPS address.
func overTLS(conn *gortsplib.ServerConn) bool {
	_, ok := conn.NetConn().(*tls.Conn)
	return ok
}

// refuseClearTransport answers a SETUP over TLS that asks for UDP with 461
// Unsupported Transport (a client then may retry over TCP); nil when the
// transport is fine.
func (s *Server) refuseClearTransport(ctx *gortsplib.ServerHandlerOnSetupCtx) *base.Response {
	if ctx.Transport == gortsplib.TransportTCP || !overTLS(ctx.Conn) {
		return nil
	}
	s.Logger.Info("rtsp: rtsps session refused UDP", "path", ctx.Path, "remote", ctx.Conn.NetConn().RemoteAddr().String())
	return &base.Response{StatusCode: base.StatusUnsupportedTransport}
}

// openListeners opens the plain listener and, with a TLSAddress, the
// RTSPS one, joined into one for gortsplib.
func (s *Server) openListeners(listen func(network, address string) (net.Listener, error), network, address string) (net.Listener, error) {
	ln, err := listen(network, address)
	if err != nil || s.TLSAddress == "" {
		s.ln = ln
		return ln, err
	}
	tnet := "tcp"
	if host, _, _ := net.SplitHostPort(s.TLSAddress); host == "0.0.0.0" {
		tnet = "tcp4" // as gortsplib does for the plain address
	}
	tln, err := listen(tnet, s.TLSAddress)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.ln, s.tlsLn = ln, tln
	return newJoinedListener(ln, tln, s.TLSConfig, s.ReadTimeout, s.Logger), nil
}

// joinedListener is the one listener gortsplib's server accepts from: the
// plain RTSP listener's connections as they are, and the RTSPS listener's
// as *tls.Conn once their handshake is done (each in its own goroutine,
// bounded by handshake, so that a slow client holds up nobody).
type joinedListener struct {
	plain, secure net.Listener
	cfg           *tls.Config
	handshake     time.Duration
	log           *slog.Logger

	conns  chan net.Conn
	errs   chan error
	ctx    context.Context // ends on Close: handshakes under way stop
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup
}

func newJoinedListener(plain, secure net.Listener, cfg *tls.Config, handshake time.Duration, log *slog.Logger) *joinedListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &joinedListener{plain: plain, secure: secure, cfg: cfg, handshake: handshake, log: log,
		conns: make(chan net.Conn), errs: make(chan error, 2), ctx: ctx, cancel: cancel}
	l.wg.Go(func() { l.acceptLoop(plain, l.hand) })
	l.wg.Go(func() {
		l.acceptLoop(secure, func(c net.Conn) { l.wg.Go(func() { l.handshakeConn(c) }) })
	})
	return l
}

// acceptLoop accepts from ln until it fails; the failure ends the server
// (as a failing plain listener did before RTSPS).
func (l *joinedListener) acceptLoop(ln net.Listener, next func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			l.errs <- err
			return
		}
		next(c)
	}
}

// hand passes a connection to the server, or closes it when the listener
// closed first.
func (l *joinedListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.ctx.Done():
		c.Close()
	}
}

func (l *joinedListener) handshakeConn(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(l.ctx, l.handshake)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		l.log.Debug("rtsps: handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		tc.Close()
		return
	}
	l.hand(tc)
}

// Accept returns the next connection of either listener.
func (l *joinedListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close closes both listeners and waits for the handshakes under way.
func (l *joinedListener) Close() error {
	var err error
	l.once.Do(func() {
		l.cancel()
		err = errors.Join(l.plain.Close(), l.secure.Close())
		l.wg.Wait()
	})
	return err
}

// Addr is the plain listener's address.
func (l *joinedListener) Addr() net.Addr { return l.plain.Addr() }
