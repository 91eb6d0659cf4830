package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/shardcast/shardcast/fragments"
)

// withCreds configures the test credential.
func withCreds(c *Config) {
	c.Auth.AccessKeyID, c.Auth.SecretAccessKey = testCreds.AccessKeyID, testCreds.SecretAccessKey
}

// A server started with the default settings (ports aside) and no
// credentials listens on loopback only, HTTP, RTSP and RTSP's UDP ports
// alike, and says so: connecting to its ports at this machine's other
// address fails.
func TestDefaultStartListensOnLoopbackOnly(t *testing.T) {
	rtp, rtcp := freeUDPPair(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTP, cfg.RTSP, cfg.WebRTC = ":0", ":0", ":0"
	cfg.RTSPUDPRTP, cfg.RTSPUDPRTCP = fmt.Sprintf(":%d", rtp), fmt.Sprintf(":%d", rtcp)
	srv := startServer(t, cfg)
	for _, name := range []string{"http", "rtsp", "rtsp-udp-rtp", "rtsp-udp-rtcp", "webrtc", "webrtc-tcp"} {
		addr, ok := srv.bound[name]
		if !ok {
			t.Fatalf("%s did not listen: %v", name, srv.bound)
		}
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			t.Errorf("%s listens on %s, want loopback", name, addr)
		}
	}
	other := nonLoopbackIP(t).String()
	for _, name := range []string{"http", "rtsp", "webrtc-tcp"} {
		_, port, _ := net.SplitHostPort(srv.bound[name])
		if c, err := net.Dial("tcp", net.JoinHostPort(other, port)); err == nil {
			c.Close()
			t.Errorf("%s answered at %s, this machine's non-loopback address", name, c.RemoteAddr())
		}
	}
	if host, _, _ := net.SplitHostPort(srv.cfg.WebRTC); host != "127.0.0.1" {
		t.Errorf("webrtc address %q, want 127.0.0.1", srv.cfg.WebRTC)
	}
	var banner bytes.Buffer
	srv.printURLs(&banner)
	if !strings.Contains(banner.String(), "loopback only") {
		t.Errorf("the banner does not say it listens on loopback only:\n%s", banner.String())
	}
}

// With credentials, or with --insecure-open, addresses bind as asked:
// HTTP and RTSP answer at this machine's non-loopback address.
func TestListenAsAskedWithCredentialsOrInsecureOpen(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"credentials":   withCreds,
		"insecure-open": func(c *Config) { c.InsecureOpen = true },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.HTTP, cfg.RTSP = ":0", ":0"
			mutate(&cfg)
			srv := startServer(t, cfg)
			for _, l := range []string{"http", "rtsp"} {
				host, _, _ := net.SplitHostPort(srv.bound[l])
				if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
					t.Errorf("%s listens on %s, want every interface", l, srv.bound[l])
				}
			}
			_, port, _ := net.SplitHostPort(srv.bound["http"])
			res, err := http.Get("http://" + net.JoinHostPort(nonLoopbackIP(t).String(), port) + "/healthz")
			if err != nil {
				t.Fatalf("http at the non-loopback address: %v", err)
			}
			res.Body.Close()
			_, port, _ = net.SplitHostPort(srv.bound["rtsp"])
			if status, _ := rtspRequest(t, net.JoinHostPort(nonLoopbackIP(t).String(), port), "OPTIONS", "cam"); !strings.Contains(status, " 200 ") {
				t.Errorf("RTSP OPTIONS at the non-loopback address: %q", status)
			}
		})
	}
}

// Without credentials, an address that reaches beyond the machine is
// refused at start with a message that says what to do; --insecure-open
// (flag, environment or YAML) accepts it.
func TestOpenAddressWithoutCredentialsIsRefused(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, addr := range []string{"0.0.0.0:8080", "[::]:8080", "192.0.2.7:8080", "camera-host:8080"} {
		_, err := loadConfig([]string{"--http", addr}, noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--insecure-open") || !strings.Contains(err.Error(), "--access-key-id") {
			t.Errorf("--http %s without credentials: %v, want a refusal naming --access-key-id and --insecure-open", addr, err)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"--rtsp", "0.0.0.0:0", "--storage", "memory"}, noEnv, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), `rtsp address "0.0.0.0:0" reaches beyond this machine`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", ":8080"} {
		if _, err := loadConfig([]string{"--http", addr}, noEnv, io.Discard); err != nil {
			t.Errorf("--http %s: %v", addr, err)
		}
	}
	if cfg, err := loadConfig([]string{"--http", "0.0.0.0:8080", "--insecure-open"}, noEnv, io.Discard); err != nil || !cfg.InsecureOpen {
		t.Errorf("--insecure-open: %v", err)
	}
	env := func(k string) string {
		if k == "SHARDCAST_INSECURE_OPEN" {
			return "true"
		}
		return ""
	}
	if _, err := loadConfig([]string{"--http", "0.0.0.0:8080"}, env, io.Discard); err != nil {
		t.Errorf("SHARDCAST_INSECURE_OPEN=true: %v", err)
	}
	if _, err := loadConfig([]string{"--http", "0.0.0.0:8080", "--access-key-id", "AKID", "--secret-access-key", "s"}, noEnv, io.Discard); err != nil {
		t.Errorf("with credentials: %v", err)
	}
}

// rtspRequest sends one raw RTSP request on a new connection and returns
// the status line and headers of the answer.
func rtspRequest(t *testing.T, addr, method, path string, header ...string) (string, http.Header) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := fmt.Sprintf("%s rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\n", method, addr, path)
	for _, h := range header {
		req += h + "\r\n"
	}
	body := ""
	if method == "ANNOUNCE" {
		body = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=t\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n"
		req += fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n", len(body))
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, req+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	h := http.Header{}
	for {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(line) == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		h.Add(k, strings.TrimSpace(v))
	}
	return strings.TrimSpace(status), h
}

// With credentials configured, RTSP publishing and reading need them:
// without, a 401 that offers Basic and Digest; with wrong ones, a 401;
// ffmpeg publishing with them in the URL succeeds, without them fails.
func TestRTSPNeedsCredentials(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { withCreds(c); c.Video.FragmentMaxDuration = time.Second })
	addr := srv.rtsp.Addr()

	for _, method := range []string{"ANNOUNCE", "DESCRIBE"} {
		status, h := rtspRequest(t, addr, method, "cam")
		if !strings.Contains(status, " 401 ") {
			t.Fatalf("%s without credentials: %q, want 401", method, status)
		}
		auth := strings.Join(h.Values("WWW-Authenticate"), "\n")
		if !strings.Contains(auth, "Basic ") || !strings.Contains(auth, "Digest ") {
			t.Errorf("%s: WWW-Authenticate %q, want Basic and Digest", method, auth)
		}
	}
	basic := func(user, pass string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	if status, _ := rtspRequest(t, addr, "DESCRIBE", "cam", basic(testCreds.AccessKeyID, "wrong")); !strings.Contains(status, " 401 ") {
		t.Errorf("DESCRIBE with a wrong password: %q, want 401", status)
	}
	if status, _ := rtspRequest(t, addr, "DESCRIBE", "cam", basic(testCreds.AccessKeyID, testCreds.SecretAccessKey)); !strings.Contains(status, " 404 ") {
		t.Errorf("DESCRIBE with Basic credentials: %q, want 404 (authorized; no such stream)", status)
	}

	// ffmpeg without credentials, and with a wrong password: refused, and
	// no stream is created.
	for _, u := range []string{"rtsp://" + addr + "/cam", "rtsp://" + testCreds.AccessKeyID + ":wrong@" + addr + "/cam"} {
		cmd := ffmpegCamera(t, u, 2, "tcp", "h264")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("ffmpeg published to %s", u)
		}
		if !strings.Contains(string(out), "401") {
			t.Errorf("ffmpeg to %s: %s, want a 401", u, out)
		}
	}
	if _, err := srv.video.Lookup(fragments.StreamRef{Name: "cam"}); err == nil {
		t.Fatal("a refused publish created the stream")
	}
	// With them (Digest, as ffmpeg prefers), the publish is stored.
	runCamera(t, ffmpegCamera(t, "rtsp://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+addr+"/cam", 3, "tcp", "h264"))
	waitIdle(t, srv)
	if _, err := srv.video.Lookup(fragments.StreamRef{Name: "cam"}); err != nil {
		t.Fatalf("the publish with credentials was not stored: %v", err)
	}
	if n := len(listAll(t, archivedClient(t, srv.URL(), "cam"), "cam", amtypes.FragmentSelectorTypeServerTimestamp)); n == 0 {
		t.Fatal("no fragments stored")
	}
}

// presign returns u presigned with creds as the SDK's PresignHTTP does.
func presign(t *testing.T, u string, creds aws.Credentials, service string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "600")
	req.URL.RawQuery = q.Encode()
	out, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", service, "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, u string, user, pass string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var segmentURI = regexp.MustCompile(`(?m)^(segment\.mp4\?[^\s]+)$`)

// With credentials configured, the plain HLS URLs and the player refuse
// anonymous readers (401 asking for Basic) and serve with HTTP Basic and
// with presigned URLs, whose segments carry the signature (ffmpeg and
// `aws s3 presign` included). KVS session URLs are unaffected.
func TestPlainHLSNeedsCredentials(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { withCreds(c); c.Video.FragmentMaxDuration = time.Second })
	cam := ffmpegCamera(t, "rtsp://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+srv.rtsp.Addr()+"/cam", 8, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	playlist := srv.URL() + "/hls/cam/index.m3u8"
	// Wait (untimed) for the first segments under Basic credentials.
	var body string
	for !segmentURI.MatchString(body) {
		code, _, b := get(t, playlist, testCreds.AccessKeyID, testCreds.SecretAccessKey)
		if code != 200 && code != 404 {
			t.Fatalf("playlist with Basic: %d %s", code, b)
		}
		body = b
		time.Sleep(100 * time.Millisecond)
	}
	seg := srv.URL() + "/hls/cam/" + segmentURI.FindStringSubmatch(body)[1]
	if code, _, b := get(t, seg, testCreds.AccessKeyID, testCreds.SecretAccessKey); code != 200 {
		t.Fatalf("segment with Basic: %d %s", code, b)
	}

	for _, u := range []string{playlist, seg, srv.URL() + "/play/cam"} {
		code, h, b := get(t, u, "", "")
		if code != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") || !strings.Contains(b, "NotAuthorizedException") {
			t.Errorf("anonymous %s: %d %q %s, want 401 asking for Basic", u, code, h.Get("WWW-Authenticate"), b)
		}
		if code, _, _ := get(t, u, testCreds.AccessKeyID, "wrong"); code != 401 {
			t.Errorf("wrong password %s: %d, want 401", u, code)
		}
		if code, _, _ := get(t, presign(t, u, aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}, "kinesisvideo"), "", ""); code != 401 {
			t.Errorf("badly presigned %s: %d, want 401", u, code)
		}
	}
	// Opened with Basic, the page's player gets a presigned playlist.
	if code, _, b := get(t, srv.URL()+"/play/cam", testCreds.AccessKeyID, testCreds.SecretAccessKey); code != 200 || !strings.Contains(b, `"/hls/cam/index.m3u8?X-Amz-Algorithm=AWS4-HMAC-SHA256`) {
		t.Errorf("player with Basic: %d %s", code, b)
	}

	// Presigned by the SDK's signer and by the AWS CLI.
	cliURL, stderr, code := newCLI(t, srv.URL()).run("s3", "presign", "s3://hls/cam/index.m3u8", "--expires-in", "600")
	if code != 0 {
		t.Fatalf("aws s3 presign: %s", stderr)
	}
	for name, u := range map[string]string{"sdk": presign(t, playlist, testCreds, "kinesisvideo"), "cli": strings.TrimSpace(cliURL)} {
		code, _, b := get(t, u, "", "")
		if code != 200 || !segmentURI.MatchString(b) {
			t.Fatalf("%s presigned playlist: %d %s", name, code, b)
		}
		s := segmentURI.FindStringSubmatch(b)[1]
		if !strings.Contains(s, "X-Amz-Signature=") {
			t.Fatalf("%s: segment URI %q does not carry the signature", name, s)
		}
		if code, _, b := get(t, srv.URL()+"/hls/cam/"+s, "", ""); code != 200 {
			t.Fatalf("%s presigned segment: %d %s", name, code, b)
		}
	}
	code, _, page := get(t, presign(t, srv.URL()+"/play/cam", testCreds, "kinesisvideo"), "", "")
	m := regexp.MustCompile(`data-playlist="([^"]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(m[1], "X-Amz-Signature") {
		t.Fatalf("presigned player: %d %s", code, page)
	}
	pl, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, b := get(t, srv.URL()+pl.RequestURI(), "", ""); code != 200 || !segmentURI.MatchString(b) {
		t.Fatalf("the presigned player's playlist: %d %s", code, b)
	}

	// A real player follows a presigned playlist, or one with Basic
	// credentials in its URL, to its segments.
	need(t, "ffmpeg")
	for _, u := range []string{presign(t, playlist, testCreds, "kinesisvideo"),
		strings.Replace(playlist, "http://", "http://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@", 1)} {
		out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", u, "-frames:v", "10", "-f", "null", "-").CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg reading %s: %v\n%s", u, err, out)
		}
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// The /play page works with credentials in a real browser: opened with
// Basic credentials or with a presigned URL, the page is handed a presigned
// playlist whose media URIs carry the signature, so the status, playlist,
// init segments and parts it fetches are all authorized, none anonymous.
func TestPlayerPageWithCredentialsChromium(t *testing.T) {
	need(t, "chromium")
	cfg := testConfig(t)
	withCreds(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	// Count the media requests served, by the credentials they carried.
	var mu sync.Mutex
	served := map[string]int{}
	inner := srv.handler
	srv.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		inner.ServeHTTP(rec, r)
		if !strings.HasPrefix(r.URL.Path, "/hls/cam/") || strings.HasSuffix(r.URL.Path, ".m3u8") || rec.code != http.StatusOK {
			return
		}
		kind := "anonymous"
		if _, _, ok := r.BasicAuth(); ok {
			kind = "basic"
		} else if r.URL.Query().Has("X-Amz-Signature") {
			kind = "presigned"
		}
		mu.Lock()
		served[kind]++
		mu.Unlock()
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cam := ffmpegCamera(t, "rtsp://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+srv.rtsp.Addr()+"/cam", 90, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	for kind, u := range map[string]string{
		"basic":     strings.Replace(srv.URL(), "http://", "http://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@", 1) + "/play/cam",
		"presigned": presign(t, srv.URL()+"/play/cam", testCreds, "kinesisvideo"),
	} {
		_, stop := startChromium(t, u)
		// Either way the player is handed a presigned playlist, so what it
		// fetches carries the signature.
		mu.Lock()
		before := served["presigned"]
		mu.Unlock()
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			n, all := served["presigned"]-before, fmt.Sprint(served)
			mu.Unlock()
			if n >= 10 {
				break
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("%s: the player fetched %d media resources in 60 s (%s)", kind, n, all)
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop()
	}
	mu.Lock()
	defer mu.Unlock()
	if served["anonymous"] != 0 {
		t.Errorf("media served to anonymous requests: %v", served)
	}
}
