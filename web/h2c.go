package web

import (
	"bufio"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/net/http2"
)

// H2CUpgrade serves HTTP/2 on HTTP/1.1 connections that ask to switch with
// `Upgrade: h2c` (RFC 7540 section 3.2), the other way, beside prior
// knowledge (which net/http serves itself), that a client starts HTTP/2
// without TLS. RFC 9113 deprecates it, and net/http does not offer it, but
// some clients still use it. A request with a body is answered in HTTP/1.1,
// as a server may: the switch happens only before any body is read.
type H2CUpgrade struct {
	Handler http.Handler
	// Server is the HTTP server whose settings (timeouts, limits) the
	// upgraded connections use.
	Server *http.Server

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func (u *H2CUpgrade) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	settings, ok := h2cUpgrade(r)
	if !ok {
		u.Handler.ServeHTTP(w, r)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		u.Handler.ServeHTTP(w, r) // a writer that cannot hand over its connection
		return
	}
	if !u.track(conn) {
		conn.Close()
		return
	}
	defer u.untrack(conn)
	if _, err := rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	if err := rw.Flush(); err != nil {
		conn.Close()
		return
	}
	r.Body = http.NoBody
	// The request that asked for the switch is answered on stream 1.
	// net/http has no way to take over an upgraded connection, so x/net's
	// HTTP/2 server (deprecated in favour of net/http for TLS and prior
	// knowledge, the paths net/http serves itself) serves this one.
	//lint:ignore SA1019 no other server takes an h2c upgrade
	(&http2.Server{}).ServeConn(&bufferedConn{Conn: conn, r: rw.Reader}, &http2.ServeConnOpts{
		Context: r.Context(), BaseConfig: u.Server, Handler: u.Handler, UpgradeRequest: r, Settings: settings})
}

// h2cUpgrade reports whether r asks to switch to HTTP/2 in a way this
// server takes, and returns the decoded HTTP2-Settings.
func h2cUpgrade(r *http.Request) ([]byte, bool) {
	if r.ProtoMajor != 1 || r.Method == http.MethodOptions || r.ContentLength != 0 || r.Header.Get("Transfer-Encoding") != "" {
		return nil, false
	}
	if !headerHas(r.Header, "Upgrade", "h2c") || !headerHas(r.Header, "Connection", "upgrade") || !headerHas(r.Header, "Connection", "http2-settings") {
		return nil, false
	}
	vals := r.Header.Values("HTTP2-Settings")
	if len(vals) != 1 {
		return nil, false
	}
	settings, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vals[0], "="))
	if err != nil || len(settings)%6 != 0 {
		return nil, false
	}
	return settings, true
}

// headerHas reports whether a comma-separated header lists token.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func (u *H2CUpgrade) track(c net.Conn) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return false
	}
	if u.conns == nil {
		u.conns = map[net.Conn]struct{}{}
	}
	u.conns[c] = struct{}{}
	return true
}

func (u *H2CUpgrade) untrack(c net.Conn) {
	u.mu.Lock()
	delete(u.conns, c)
	u.mu.Unlock()
}

// Close closes every upgraded connection: net/http's Shutdown does not see
// connections it handed over.
func (u *H2CUpgrade) Close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.closed = true
	for c := range u.conns {
		c.Close()
	}
}

// bufferedConn reads first what the HTTP/1.1 server had buffered (the
// client may send its HTTP/2 preface right after the upgrade request).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
