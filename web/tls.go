package web

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
)

// TLSCert is the certificate and key the HTTP listener serves, read from
// their files and read again on Reload (shardcast reloads on SIGHUP); a
// handshake always sees one whole pair.
type TLSCert struct {
	certFile, keyFile string
	pair              atomic.Pointer[tls.Certificate]
}

// LoadTLSCert reads a PEM certificate chain and its key.
func LoadTLSCert(certFile, keyFile string) (*TLSCert, error) {
	c := &TLSCert{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again. When they do not hold a valid pair, the
// one being served stays and the error says why.
func (c *TLSCert) Reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls certificate %s, key %s: %w", c.certFile, c.keyFile, err)
	}
	c.pair.Store(&pair)
	return nil
}

// Config is the TLS configuration of the HTTP listener: ALPN offers h2
// and http/1.1, and every handshake takes the current pair. It is the one
// place TLS is set up; client certificates would grow here.
func (c *TLSCert) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.pair.Load(), nil
		},
	}
}

// TLSListener returns a listener whose connections speak TLS with cfg but
// look like plain ones to net/http, so that the server's HTTP/1.1 and
// prior-knowledge HTTP/2 (http.Protocols' UnencryptedHTTP2) serve them
// after the handshake: the protocol is the client's first bytes, not ALPN.
// A client that negotiated h2 sends the HTTP/2 preface and is served
// HTTP/2; so is one that sends the preface without ALPN, as the Java SDK's
// async client does by default (ASSUME_PROTOCOL); anything else is
// HTTP/1.1. The handshake happens on the connection's first read, under
// the server's read deadlines, not in Accept. Handlers see r.TLS nil.
func TLSListener(ln net.Listener, cfg *tls.Config) net.Listener {
	return tlsListener{ln, cfg}
}

type tlsListener struct {
	net.Listener
	cfg *tls.Config
}

func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := tls.Server(c, l.cfg)
	return tlsConn{Conn: tc, tc: tc}, nil
}

// tlsConn hides the *tls.Conn from net/http's type switch.
type tlsConn struct {
	net.Conn
	tc *tls.Conn
}

// Read completes the handshake first; a client that sent plain HTTP to
// the TLS port is told so, as net/http tells it.
func (c tlsConn) Read(p []byte) (int, error) {
	if err := c.tc.Handshake(); err != nil {
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader[:]) {
			io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
			re.Conn.Close()
		}
		return 0, err
	}
	return c.tc.Read(p)
}

func looksLikeHTTP(hdr []byte) bool {
	switch string(hdr) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "PRI *":
		return true
	}
	return false
}

// IsTLS reports whether c is a connection TLSListener accepted: requests
// on it came over TLS although net/http does not see it (awsapi's
// aws:SecureTransport condition key asks).
func IsTLS(c net.Conn) bool {
	_, ok := c.(tlsConn)
	return ok
}
