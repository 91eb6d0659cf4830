package rtsp

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// testTLS is a server TLS configuration with a fresh self-signed
// certificate for 127.0.0.1, and a client one that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtsps"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// options sends OPTIONS on conn and returns the answer's status line.
func options(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, "OPTIONS rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// The RTSPS address answers over TLS, the plain one in the clear; a
// client stalled in its handshake and one speaking plain RTSP to the TLS
// address hold up neither, and Close ends the stalled handshake.
func TestRTSPSListener(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	r := newRig(t, func(s *Server) { s.TLSAddress, s.TLSConfig = "127.0.0.1:0", serverTLS })
	tlsAddr := r.server.TLSAddr()
	if tlsAddr == "" || tlsAddr == r.server.Addr() {
		t.Fatalf("TLSAddr %q, Addr %q", tlsAddr, r.server.Addr())
	}

	stalled, err := net.Dial("tcp", tlsAddr) // never says hello
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	clear, err := net.Dial("tcp", tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer clear.Close()
	io.WriteString(clear, "OPTIONS rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n")

	conn, err := tls.Dial("tcp", tlsAddr, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if st := options(t, conn); !strings.Contains(st, " 200 ") {
		t.Errorf("OPTIONS over TLS: %q", st)
	}
	plain, err := net.Dial("tcp", r.server.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if st := options(t, plain); !strings.Contains(st, " 200 ") {
		t.Errorf("OPTIONS in the clear: %q", st)
	}
	// The plain RTSP sent to the TLS address got no RTSP answer.
	clear.SetReadDeadline(time.Now().Add(20 * time.Second))
	if b, _ := io.ReadAll(clear); strings.Contains(string(b), "RTSP/1.0") {
		t.Errorf("plain RTSP on the TLS address was answered: %q", b)
	}
	r.server.Close()
	stalled.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := stalled.Read(make([]byte, 1)); err == nil {
		t.Error("the stalled handshake's connection is still open after Close")
	}
}

// An RTSPS address without a TLS configuration does not start.
func TestRTSPSNeedsTLSConfig(t *testing.T) {
	s := &Server{Address: "127.0.0.1:0", TLSAddress: "127.0.0.1:0"}
	if err := s.Start(); err == nil {
		s.Close()
		t.Fatal("started without a TLS configuration")
	}
}
