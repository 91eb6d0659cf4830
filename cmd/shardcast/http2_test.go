package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"
)

// protoRecorder is an HTTP client that remembers the protocol of every
// answer.
type protoRecorder struct {
	c      *http.Client
	mu     sync.Mutex
	protos map[string]int
}

func (p *protoRecorder) Do(r *http.Request) (*http.Response, error) {
	res, err := p.c.Do(r)
	if err == nil {
		p.mu.Lock()
		p.protos[res.Proto]++
		p.mu.Unlock()
	}
	return res, err
}

// only fails unless every answer so far came in proto.
func (p *protoRecorder) only(t *testing.T, proto string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.protos) != 1 || p.protos[proto] == 0 {
		t.Fatalf("answers by protocol %v, want only %s", p.protos, proto)
	}
}

func sdkOver(url string, hc *http.Client) (*kinesis.Client, *protoRecorder) {
	rec := &protoRecorder{c: hc, protos: map[string]int{}}
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:   sdkHTTPClient(rec),
		Retryer:      aws.NopRetryer{},
	}), rec
}

// putGetList writes records through c and reads them back.
func putGetList(t *testing.T, c *kinesis.Client, stream string) {
	t.Helper()
	createStream(t, c, stream, 1)
	var entries []types.PutRecordsRequestEntry
	for i := range 10 {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: bytes.Repeat([]byte{byte(i)}, 1000)})
	}
	out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
	if err != nil || *out.FailedRecordCount != 0 {
		t.Fatalf("PutRecords: %v", err)
	}
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil || len(shards.Shards) != 1 {
		t.Fatalf("ListShards: %v", err)
	}
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: shards.Shards[0].ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 10 || recs.Records[9].Data[0] != 9 {
		t.Fatalf("GetRecords: %v", err)
	}
}

// signedCall sends one signed Kinesis request through hc.
func signedCall(t *testing.T, hc *http.Client, url, op, contentType string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", contentType)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, testCreds, req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// cborListShards lists a stream's shards in CBOR through hc and checks the
// protocol of the answer.
func cborListShards(t *testing.T, hc *http.Client, url, stream, proto string) {
	t.Helper()
	body, _ := cbor.Marshal(map[string]any{"StreamName": stream})
	res := signedCall(t, hc, url, "ListShards", cborType, body)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct{ Shards []struct{ ShardId string } }
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != cborType || cbor.Unmarshal(b, &out) != nil || len(out.Shards) != 1 {
		t.Fatalf("CBOR ListShards: %d %x", res.StatusCode, b)
	}
	if res.Proto != proto {
		t.Fatalf("CBOR ListShards answered in %s, want %s", res.Proto, proto)
	}
}

// TestKinesisOverH2C drives the Kinesis API with the Go SDK over
// unencrypted HTTP/2 with prior knowledge (what the JavaScript SDK v3 and
// the Java async client do against an http:// endpoint), in JSON and in
// CBOR.
func TestKinesisOverH2C(t *testing.T) {
	srv := startServer(t, testConfig(t))
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	hc := &http.Client{Transport: &http.Transport{Protocols: p}}
	c, rec := sdkOver(srv.URL(), hc)
	putGetList(t, c, "h2c")
	rec.only(t, "HTTP/2.0")
	cborListShards(t, hc, srv.URL(), "h2c", "HTTP/2.0")
}

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and its
// key to certFile and keyFile.
func selfSigned(t *testing.T, cn, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write to temporary names and rename, as a certificate manager does.
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(file+".tmp", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// servedCert returns the common name of the certificate the server
// presents now.
func servedCert(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestKinesisOverTLS runs the server with --tls-cert/--tls-key: the Go SDK
// negotiates h2 through ALPN, HTTP/1.1 works too, HTTP/2 with prior
// knowledge and no ALPN (the Java async client's default) is served, and
// SIGHUP swaps the certificate (a bad new pair keeps the old one).
func TestKinesisOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := selfSigned(t, "first", certFile, keyFile)
	p := startBinary(t, "--data-dir", filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile, "--log-level", "info")
	defer p.stop(t)
	if !strings.HasPrefix(p.url, "https://127.0.0.1:") {
		t.Fatalf("printed URL %q, want https", p.url)
	}
	addr := strings.TrimPrefix(p.url, "https://")
	pool := x509.NewCertPool()
	pool.AddCert(first)
	tlsConfig := &tls.Config{RootCAs: pool}

	// HTTP/2 through ALPN.
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig.Clone(), ForceAttemptHTTP2: true}}
	c, rec := sdkOver(p.url, h2)
	putGetList(t, c, "tls-h2")
	rec.only(t, "HTTP/2.0")
	cborListShards(t, h2, p.url, "tls-h2", "HTTP/2.0")

	// HTTP/1.1: ALPN offers only http/1.1.
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig.Clone(), TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	c, rec = sdkOver(p.url, h1)
	putGetList(t, c, "tls-h1")
	rec.only(t, "HTTP/1.1")

	// HTTP/2 with prior knowledge over TLS without ALPN: the client's
	// transport thinks it speaks h2c; its connections are TLS without
	// NextProtos.
	pk := new(http.Protocols)
	pk.SetUnencryptedHTTP2(true)
	noALPN := &http.Client{Transport: &http.Transport{Protocols: pk, DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol != "" {
			t.Errorf("ALPN negotiated %q without being offered", tc.ConnectionState().NegotiatedProtocol)
		}
		return tc, nil
	}}}
	c, rec = sdkOver("http://"+addr, noALPN)
	putGetList(t, c, "tls-prior")
	rec.only(t, "HTTP/2.0")

	// Plain HTTP to the TLS port is told what is wrong.
	res, err := http.Post("http://"+addr+"/", jsonType, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || !strings.Contains(string(msg), "HTTP request to an HTTPS server") {
		t.Fatalf("plain HTTP to the TLS port: %d %q", res.StatusCode, msg)
	}

	// SIGHUP: the new pair is served on new connections.
	if cn := servedCert(t, addr); cn != "first" {
		t.Fatalf("served %q", cn)
	}
	selfSigned(t, "second", certFile, keyFile)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for servedCert(t, addr) != "second" {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not swap the certificate")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A bad pair: the server keeps the second and says why.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.stderrText(), "tls reload failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged for a bad pair: %s", p.stderrText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cn := servedCert(t, addr); cn != "second" {
		t.Fatalf("after a bad reload the server presents %q", cn)
	}
}

// TestTLSBadPairAtStart refuses to start with a pair it cannot read, and
// says which files.
func TestTLSBadPairAtStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.TLS.Cert, cfg.TLS.Key = filepath.Join(cfg.DataDir, "missing.pem"), filepath.Join(cfg.DataDir, "missing-key.pem")
	srv, err := newServer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start(); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("start with a missing certificate: %v", err)
	}
}
