package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/shardcast/shardcast/fragments"
)

// RTSPS (--rtsps): RTSP over TLS with the --tls-cert certificate, the same
// streams and credentials as plain RTSP, TCP only.

// rtspsServer starts the in-process server with credentials, TLS and RTSPS
// on loopback, with a fresh self-signed certificate; it returns the server
// and the certificate's file, which clients trust as their CA.
func rtspsServer(t *testing.T) (*testServer, string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	selfSigned(t, "rtsps-test", certFile, keyFile)
	srv := videoServer(t, false, func(c *Config) {
		withCreds(c)
		c.RTSPS = "127.0.0.1:0"
		c.TLS.Cert, c.TLS.Key = certFile, keyFile
		c.Video.FragmentMaxDuration = time.Second
	})
	return srv, certFile
}

// ffmpeg's RTSPS client (rtsps:// URLs, TCP only) never verifies the
// server's certificate: its RTSP demuxer and muxer open the TLS connection
// without options, so -tls_verify and -ca_file do not reach it (ffmpeg
// even refuses them as unused input options). The tests use it with the
// self-signed certificate as it is; Go's TLS client checks the
// certificate the RTSPS listener presents (TestRTSPSCertificate).

// ffmpegReadTLS decodes frames video frames of an RTSPS URL and returns
// what ffmpeg printed at level error.
func ffmpegReadTLS(t *testing.T, url string, frames int) (string, error) {
	t.Helper()
	need(t, "ffmpeg")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", url,
		"-frames:v", fmt.Sprint(frames), "-f", "null", "-")
	out, err := runWithin(cmd, 60*time.Second)
	return strings.TrimSpace(out), err
}

// tlsDataEndpoint asks a TLS server's GetDataEndpoint, trusting pool,
// and checks that the endpoint is https:// (handlers behind
// web.TLSListener see r.TLS nil: they learn of TLS from the connection).
func tlsDataEndpoint(t *testing.T, url string, pool *x509.CertPool, stream string) string {
	t.Helper()
	hc := sdkHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}))
	c := kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", HTTPClient: hc, BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:     aws.NopRetryer{}})
	out, err := c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String(stream), APIName: kvtypes.APINameListFragments})
	if err != nil {
		t.Fatal(err)
	}
	if *out.DataEndpoint != url {
		t.Fatalf("GetDataEndpoint of a TLS server: %s, want %s", *out.DataEndpoint, url)
	}
	return *out.DataEndpoint
}

// tlsArchivedClient is archivedClient over HTTPS, trusting pool.
func tlsArchivedClient(url string, pool *x509.CertPool) *kinesisvideoarchivedmedia.Client {
	hc := sdkHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}))
	return kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", HTTPClient: hc, BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:     aws.NopRetryer{}})
}

func certPool(t *testing.T, certFile string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", certFile)
	}
	return pool
}

// ffmpeg publishes over RTSPS with credentials and the stream gets fragments; a wrong password is refused
// and creates nothing; ffmpeg and ffprobe read the stream back over RTSPS
// (a wrong password refused there too) and plain RTSP readers share it.
func TestRTSPSPublishAndRead(t *testing.T) {
	srv, ca := rtspsServer(t)
	addr := srv.rtsp.TLSAddr()
	if addr == "" || srv.bound["rtsps"] != addr {
		t.Fatalf("rtsps bound %q, server says %q", srv.bound["rtsps"], addr)
	}
	var banner strings.Builder
	srv.printURLs(&banner)
	if !strings.Contains(banner.String(), "rtsps://"+addr+"/<stream>") {
		t.Errorf("the banner does not name rtsps://%s:\n%s", addr, banner.String())
	}
	userinfo := testCreds.AccessKeyID + ":" + testCreds.SecretAccessKey + "@"

	// A wrong password: refused with a 401, nothing created.
	cmd := ffmpegCamera(t, "rtsps://"+testCreds.AccessKeyID+":wrong@"+addr+"/cam", 2, "tcp", "h264")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "401") {
		t.Fatalf("ffmpeg with a wrong password over RTSPS: %v %s, want a 401", err, out)
	}
	if _, err := srv.video.Lookup(fragments.StreamRef{Name: "cam"}); err == nil {
		t.Fatal("a refused publish created the stream")
	}

	cam := ffmpegCamera(t, "rtsps://"+userinfo+addr+"/cam", 8, "tcp", "h264")
	var camOut syncBuffer
	cam.Stdout, cam.Stderr = &camOut, &camOut
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	camDone := make(chan error, 1)
	go func() { camDone <- cam.Wait() }()
	t.Cleanup(func() { cam.Process.Kill(); <-camDone })
	waitPublishing(t, srv, "cam")
	for _, s := range srv.ingest.Sessions() {
		if s.Stream == "cam" && s.Protocol != "rtsps" {
			t.Errorf("publisher session protocol %q", s.Protocol)
		}
	}

	if out, err := ffmpegReadTLS(t, "rtsps://"+testCreds.AccessKeyID+":wrong@"+addr+"/cam", 10); err == nil || !strings.Contains(out, "401") {
		t.Fatalf("an RTSPS reader with a wrong password: %v %q, want a 401", err, out)
	}
	if out, err := ffmpegReadTLS(t, "rtsps://"+userinfo+addr+"/cam", 25); err != nil || out != "" {
		t.Fatalf("an RTSPS reader with credentials: %v\n%s", err, out)
	}
	need(t, "ffprobe")
	probe := exec.Command("ffprobe", "-v", "error", "-i", "rtsps://"+userinfo+addr+"/cam",
		"-select_streams", "v", "-read_intervals", "%+#3", "-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0")
	out, err := runWithin(probe, 60*time.Second)
	if first, _, _ := strings.Cut(strings.TrimSpace(out), "\n"); err != nil || strings.TrimSpace(first) != "1,I" {
		t.Fatalf("ffprobe over RTSPS: %v, first frame %q, want a keyframe\n%s", err, first, out)
	}
	// Plain RTSP readers see the same stream.
	if out, err := ffmpegRead(t, "rtsp://"+userinfo+srv.rtsp.Addr()+"/cam", "tcp", 10); err != nil || out != "" {
		t.Fatalf("a plain RTSP reader of the RTSPS publisher: %v\n%s", err, out)
	}

	select {
	case err := <-camDone:
		camDone <- err
		if err != nil {
			t.Fatalf("ffmpeg publishing over RTSPS: %v\n%s", err, camOut.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("the RTSPS camera did not end\n%s", camOut.String())
	}
	waitIdle(t, srv)
	if n := len(listAll(t, tlsArchivedClient(tlsDataEndpoint(t, srv.URL(), certPool(t, ca), "cam"), certPool(t, ca)), "cam", amtypes.FragmentSelectorTypeServerTimestamp)); n == 0 {
		t.Fatal("no fragments stored from the RTSPS publisher")
	}
}

// GStreamer's rtspclientsink publishes H.264 and AAC over RTSPS and the
// stream gets fragments. GStreamer verifies certificates against the
// system's trust store only (a CA file needs a GTlsDatabase object, which
// gst-launch cannot make), so it refuses the test's self-signed one until
// told not to validate it.
func TestRTSPSGStreamerCamera(t *testing.T) {
	srv, ca := rtspsServer(t)
	url := "rtsps://" + testCreds.AccessKeyID + ":" + testCreds.SecretAccessKey + "@" + srv.rtsp.TLSAddr() + "/gst"
	if out, err := runWithin(gstCamera(t, url, 25), 60*time.Second); err == nil || !strings.Contains(out, "Failed to connect") {
		t.Fatalf("GStreamer over RTSPS to an untrusted certificate: %v, want a refusal to connect\n%s", err, out)
	}
	if _, err := srv.video.Lookup(fragments.StreamRef{Name: "gst"}); err == nil {
		t.Fatal("a publisher that refused the certificate created the stream")
	}
	cam := gstCamera(t, url, 75)
	cam.Args = append(cam.Args, "tls-validation-flags=0") // a property of rtspclientsink, the pipeline's last element
	runGstCamera(t, cam, 75)
	waitIdle(t, srv)
	if n := len(listAll(t, tlsArchivedClient(srv.URL(), certPool(t, ca)), "gst", amtypes.FragmentSelectorTypeServerTimestamp)); n == 0 {
		t.Fatal("no fragments stored from the GStreamer camera over RTSPS")
	}
}

// RTSPS presents the --tls-cert certificate, which a client verifies
// (one trusting another CA refuses it), and serves the new one after a
// reload (SIGHUP), as HTTPS does.
func TestRTSPSCertificate(t *testing.T) {
	srv, ca := rtspsServer(t)
	addr := srv.rtsp.TLSAddr()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: certPool(t, ca), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("a client trusting the configured certificate: %v", err)
	}
	if st := conn.ConnectionState(); st.NegotiatedProtocol != "" {
		t.Errorf("RTSPS negotiated ALPN %q", st.NegotiatedProtocol)
	}
	conn.Close()
	dir := t.TempDir()
	other := filepath.Join(dir, "other.pem")
	selfSigned(t, "someone-else", other, filepath.Join(dir, "other-key.pem"))
	if conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: certPool(t, other), ServerName: "127.0.0.1"}); err == nil {
		conn.Close()
		t.Fatal("a client trusting another CA accepted the RTSPS certificate")
	}
	if got := servedCert(t, addr); got != "rtsps-test" {
		t.Fatalf("RTSPS presents %q, want rtsps-test", got)
	}
	selfSigned(t, "rtsps-renewed", srv.cfg.TLS.Cert, srv.cfg.TLS.Key)
	srv.reloadTLS()
	if got := servedCert(t, addr); got != "rtsps-renewed" {
		t.Fatalf("after a reload RTSPS presents %q, want rtsps-renewed", got)
	}
}

// rtspsExchange sends RTSP requests on one TLS connection, verifying the
// certificate with pool, and returns each answer's status line and body.
func rtspsExchange(t *testing.T, addr string, pool *x509.CertPool, reqs ...string) (status, bodies []string) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	for i, req := range reqs {
		if _, err := io.WriteString(conn, fmt.Sprintf(req, i+1)); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		length := 0
		for {
			h, err := r.ReadString('\n')
			if err != nil || strings.TrimSpace(h) == "" {
				break
			}
			if k, v, _ := strings.Cut(h, ":"); strings.EqualFold(k, "Content-Length") {
				fmt.Sscan(strings.TrimSpace(v), &length)
			}
		}
		body := make([]byte, length)
		io.ReadFull(r, body)
		status, bodies = append(status, strings.TrimSpace(line)), append(bodies, string(body))
	}
	return status, bodies
}

var sdpControl = regexp.MustCompile(`(?m)^a=control:(\S+)`)

// A session over RTSPS that asks for UDP, whose media would travel in the
// clear, is answered 461 Unsupported Transport; TCP (interleaved) is set up.
func TestRTSPSRefusesUDP(t *testing.T) {
	srv, ca := rtspsServer(t)
	addr := srv.rtsp.TLSAddr()
	cam := ffmpegCamera(t, "rtsps://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+addr+"/cam", 30, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	waitPublishing(t, srv, "cam")

	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(testCreds.AccessKeyID+":"+testCreds.SecretAccessKey)) + "\r\n"
	base := "rtsps://" + addr + "/cam"
	status, bodies := rtspsExchange(t, addr, certPool(t, ca), "DESCRIBE "+base+" RTSP/1.0\r\nCSeq: %d\r\n"+basic+"\r\n")
	m := sdpControl.FindAllStringSubmatch(bodies[0], -1)
	if !strings.Contains(status[0], " 200 ") || len(m) == 0 {
		t.Fatalf("DESCRIBE over RTSPS: %q\n%s", status[0], bodies[0])
	}
	track := m[len(m)-1][1]
	if !strings.Contains(track, "://") {
		track = base + "/" + track
	}
	setup := "SETUP " + track + " RTSP/1.0\r\nCSeq: %d\r\n" + basic + "Transport: %s\r\n\r\n"
	status, _ = rtspsExchange(t, addr, certPool(t, ca),
		"DESCRIBE "+base+" RTSP/1.0\r\nCSeq: %d\r\n"+basic+"\r\n",
		strings.Replace(setup, "%s", "RTP/AVP;unicast;client_port=40000-40001", 1),
		strings.Replace(setup, "%s", "RTP/AVP/TCP;unicast;interleaved=0-1", 1))
	if !strings.Contains(status[1], " 461 ") {
		t.Errorf("SETUP over RTSPS with UDP: %q, want 461 Unsupported Transport", status[1])
	}
	if !strings.Contains(status[2], " 200 ") {
		t.Errorf("SETUP over RTSPS with TCP: %q, want 200", status[2])
	}
}

// --rtsps: flag, environment and YAML; it needs a certificate; without
// credentials it binds loopback like the other listeners, and an address
// beyond the machine is refused.
func TestRTSPSConfig(t *testing.T) {
	noEnv := func(string) string { return "" }
	_, err := loadConfig([]string{"--rtsps", "127.0.0.1:8322", "--storage", "memory"}, noEnv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("--rtsps without a certificate: %v, want a refusal naming --tls-cert", err)
	}
	var stderr strings.Builder
	if code := run([]string{"--rtsps", "127.0.0.1:0", "--storage", "memory"}, noEnv, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "needs a certificate") {
		t.Errorf("run --rtsps without a certificate: exit %d, %q", code, stderr.String())
	}
	tlsArgs := []string{"--tls-cert", "/c.pem", "--tls-key", "/k.pem"}
	if cfg, err := loadConfig(append([]string{"--rtsps", ":8322"}, tlsArgs...), noEnv, io.Discard); err != nil || cfg.RTSPS != ":8322" {
		t.Errorf("--rtsps: %q %v", cfg.RTSPS, err)
	}
	env := func(k string) string {
		if k == "SHARDCAST_RTSPS" {
			return "127.0.0.1:9322"
		}
		return ""
	}
	if cfg, err := loadConfig(tlsArgs, env, io.Discard); err != nil || cfg.RTSPS != "127.0.0.1:9322" {
		t.Errorf("SHARDCAST_RTSPS: %q %v", cfg.RTSPS, err)
	}
	yml := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(yml, []byte("rtsps: 127.0.0.1:7322\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := loadConfig(append([]string{"--config", yml}, tlsArgs...), noEnv, io.Discard); err != nil || cfg.RTSPS != "127.0.0.1:7322" {
		t.Errorf("YAML rtsps: %q %v", cfg.RTSPS, err)
	}
	if _, err := loadConfig(append([]string{"--rtsps", "0.0.0.0:8322"}, tlsArgs...), noEnv, io.Discard); err == nil ||
		!strings.Contains(err.Error(), `rtsps address "0.0.0.0:8322" reaches beyond this machine`) {
		t.Errorf("--rtsps 0.0.0.0 without credentials: %v, want a refusal", err)
	}

	// Without credentials ":0" binds loopback, and nothing answers on this
	// machine's other addresses.
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	selfSigned(t, "rtsps-test", certFile, keyFile)
	cfg := testConfig(t)
	cfg.RTSPS, cfg.TLS.Cert, cfg.TLS.Key = ":0", certFile, keyFile
	srv := startServer(t, cfg)
	host, port, _ := net.SplitHostPort(srv.bound["rtsps"])
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("rtsps listens on %q, want loopback", srv.bound["rtsps"])
	}
	if c, err := net.Dial("tcp", net.JoinHostPort(nonLoopbackIP(t).String(), port)); err == nil {
		c.Close()
		t.Fatalf("rtsps answered on %s", c.RemoteAddr())
	}
}

// The --insecure-open warning is logged at start and again every
// openWarnEvery (shortened here) while the server runs, and no more once
// it is closed.
func TestInsecureOpenWarningRepeats(t *testing.T) {
	cfg := testConfig(t)
	cfg.InsecureOpen = true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv, err := newServer(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	srv.openWarnEvery = 20 * time.Millisecond
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			srv.Close()
		}
	})
	count := func() int { return strings.Count(logs.String(), "anyone who can reach this server can publish") }
	for count() < 4 {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "every=20ms") {
		t.Errorf("the repeated warning does not say how often it repeats:\n%s", logs.String())
	}
	srv.Close()
	closed = true
	n := count()
	time.Sleep(100 * time.Millisecond)
	if m := count(); m != n {
		t.Errorf("the warning went on after Close: %d, then %d", n, m)
	}
}

// nonLoopbackIP is an IPv4 address of this machine other than loopback,
// which other machines could reach it at.
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP
		}
	}
	t.Fatalf("this machine has no non-loopback IPv4 address to test reachability from: %v", addrs)
	return nil
}
