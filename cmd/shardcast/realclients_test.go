package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"
	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// The real-client tests: clients nobody here wrote (the AWS SDK for
// JavaScript v3 under node and in Chromium, boto3, Go's own HTTP/2 client)
// run a put/get flow or read media, against the in-process server.

// putGetResult is what the scripts of the put/get flow print.
type putGetResult struct {
	Error   string   `json:"error"`
	Code    string   `json:"code"`
	Handler string   `json:"handler"`
	Boto3   string   `json:"boto3"`
	Sent    []string `json:"sent"`
	Got     []string `json:"got"`
	Shards  int      `json:"shards"`
}

func (r putGetResult) check(t *testing.T) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("client failed: %s (%s)", r.Error, r.Code)
	}
	if len(r.Sent) != 8 || !slices.Equal(r.Sent, r.Got) || r.Shards != 2 {
		t.Fatalf("put %q, read back %q from %d shards", r.Sent, r.Got, r.Shards)
	}
}

// signedServer is the in-process server with the test credentials
// configured, so that every client's SigV4 signature is checked.
func signedServer(t *testing.T) *testServer {
	t.Helper()
	cfg := testConfig(t)
	cfg.Auth.AccessKeyID, cfg.Auth.SecretAccessKey = testCreds.AccessKeyID, testCreds.SecretAccessKey
	return startServer(t, cfg)
}

// clientEnv is the environment of a client process: the endpoint, the
// stream and the test credentials, nothing from the user's AWS config.
func clientEnv(url, stream string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "SHARDCAST_URL=" + url, "STREAM=" + stream,
		"AWS_ACCESS_KEY_ID=" + testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + testCreds.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

// runClient runs a client script to its end and parses the JSON line it
// prints last.
func runClient(t *testing.T, cmd *exec.Cmd) putGetResult {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end: %s %s", cmd.Path, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res putGetResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("%s printed no outcome: %v\nstdout: %s\nstderr: %s", cmd.Path, err, out.String(), errOut.String())
	}
	if res.Error != "" {
		t.Logf("stderr of %s:\n%s", cmd.Path, errOut.String())
	}
	return res
}

// jsClientDir is the npm project of the JavaScript tests; make deps
// installs its pinned packages (npm ci).
func jsClientDir(t *testing.T) string {
	t.Helper()
	need(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "jsclient"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-kinesis")); err != nil {
		t.Fatalf("the JavaScript SDK is not installed in %s (make deps runs npm ci there): %v", dir, err)
	}
	return dir
}

// TestJSSDKNodeDefaultClient: the AWS SDK for JavaScript v3 under node,
// with its default Kinesis client, which speaks HTTP/2 with prior
// knowledge to an http:// endpoint (its NodeHttp2Handler), runs the
// put/get flow with signed requests.
func TestJSSDKNodeDefaultClient(t *testing.T) {
	dir := jsClientDir(t)
	srv := signedServer(t)
	cmd := exec.Command("node", "node-putget.mjs")
	cmd.Dir, cmd.Env = dir, clientEnv(srv.URL(), "js-node")
	res := runClient(t, cmd)
	res.check(t)
	if res.Handler != "NodeHttp2Handler" {
		t.Errorf("the SDK's default request handler is %q, not the HTTP/2 one this test is about", res.Handler)
	}
}

// TestBoto3PutGet: boto3 (Debian's python3-boto3, under Debian's python3)
// runs the put/get flow with signed requests.
func TestBoto3PutGet(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	srv := signedServer(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_putget.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "boto3")
	res := runClient(t, cmd)
	res.check(t)
	t.Logf("boto3 %s", res.Boto3)
}

// corsPage runs the bundled SDK against shardcast, from its own origin, and
// posts the outcome back to that origin.
const corsPage = `<!doctype html><html><body>
<script src="/sdk.js"></script>
<script>
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
if (!window.runPutGet) { report({error: 'the SDK bundle did not load'}); }
else window.runPutGet(%q, 'browser', {accessKeyId: %q, secretAccessKey: %q}).then(report, (e) => report({error: String(e)}));
</script></body></html>`

// TestJSSDKBrowserCORS: a page on one origin (a second loopback server)
// uses the AWS SDK for JavaScript v3, bundled by esbuild, in headless
// Chromium to run the put/get flow against shardcast on another origin:
// the browser sends preflights for the SDK's signed JSON requests and reads
// the answers only if shardcast's CORS headers allow it.
func TestJSSDKBrowserCORS(t *testing.T) {
	dir := jsClientDir(t)
	need(t, "chromium")
	bundle := filepath.Join(t.TempDir(), "sdk.js")
	esbuild := exec.Command(filepath.Join(dir, "node_modules", ".bin", "esbuild"), "browser-entry.mjs", "--bundle",
		"--format=iife", "--platform=browser", "--log-level=warning", "--outfile="+bundle)
	esbuild.Dir = dir
	if out, err := esbuild.CombinedOutput(); err != nil {
		t.Fatalf("esbuild: %v\n%s", err, out)
	}
	srv := signedServer(t)

	results := make(chan putGetResult, 1)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, corsPage, srv.URL(), testCreds.AccessKeyID, testCreds.SecretAccessKey)
		case "/sdk.js":
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
		case "/result":
			var res putGetResult
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &res); err != nil {
				res.Error = "bad report: " + string(b)
			}
			select {
			case results <- res:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer page.Close()
	// The page's origin differs from shardcast's by its port.
	if strings.TrimPrefix(page.URL, "http://") == strings.TrimPrefix(srv.URL(), "http://") {
		t.Fatal("page and API share an origin")
	}
	logs, _ := startChromium(t, page.URL+"/")
	var res putGetResult
	select {
	case res = <-results:
	case <-time.After(90 * time.Second):
		t.Fatalf("no report from the browser in 90 s; chromium said:\n%s", logs.String())
	}
	res.check(t)
}

// h2Only is a client transport that speaks only HTTP/2 with prior
// knowledge to http:// URLs (as the JavaScript SDK's NodeHttp2Handler
// does), and fails any answer that lacks the CORS headers.
type h2Only struct {
	tr      *http.Transport
	answers atomic.Int64
}

func newH2Only() *h2Only {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &h2Only{tr: &http.Transport{Protocols: p}}
}

func (c *h2Only) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.tr.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ProtoMajor != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s answered over %s", r.Method, r.URL.Path, resp.Proto)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s answered without Access-Control-Allow-Origin", r.Method, r.URL.Path)
	}
	c.answers.Add(1)
	return resp, nil
}

func (c *h2Only) Do(r *http.Request) (*http.Response, error) {
	return (&http.Client{Transport: c}).Do(r)
}

// TestH2CMedia: the streamed answers over HTTP/2 with prior knowledge, on
// one connection: a GetMedia that waits for the camera and follows it
// (aws-sdk-go-v2 on an HTTP/2-only transport), and, beside it, an LL-HLS
// blocking playlist reload for the next part (_HLS_msn, _HLS_part).
func TestH2CMedia(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "h2c"
	h2 := newH2Only()
	defer h2.tr.CloseIdleConnections()
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil })
	control := kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: h2,
		Credentials: creds, Retryer: aws.NopRetryer{}})
	if _, err := control.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream over h2c: %v", err)
	}
	endpoint := func(api kvtypes.APIName) *string {
		ep, err := control.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String(stream), APIName: api})
		if err != nil {
			t.Fatalf("GetDataEndpoint over h2c: %v", err)
		}
		return ep.DataEndpoint
	}
	media := kinesisvideomedia.New(kinesisvideomedia.Options{Region: "us-east-1", BaseEndpoint: endpoint(kvtypes.APINameGetMedia),
		HTTPClient: h2, Credentials: creds, Retryer: aws.NopRetryer{}})
	archived := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1",
		BaseEndpoint: endpoint(kvtypes.APINameGetHlsStreamingSessionUrl), HTTPClient: h2, Credentials: creds, Retryer: aws.NopRetryer{}})

	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 8, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	get := func(u string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := h2.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	var sessionURL string
	for deadline := time.Now().Add(20 * time.Second); sessionURL == ""; {
		s, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
			StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeLive})
		switch {
		case err == nil:
			sessionURL = *s.HLSStreamingSessionURL
		case time.Now().After(deadline):
			t.Fatalf("no LIVE session over h2c 20 s after the camera started: %v", err)
		default:
			time.Sleep(100 * time.Millisecond)
		}
	}
	// GetMedia from NOW, while the camera publishes: it must stream the
	// fragments as they commit, beside the blocking reload below.
	mediaCtx, stopMedia := context.WithCancel(ctx)
	defer stopMedia()
	out, err := media.GetMedia(mediaCtx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
		StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeNow}})
	if err != nil {
		t.Fatalf("GetMedia over h2c: %v", err)
	}
	defer out.Payload.Close()
	chunks := make(chan int, 1)
	go func() {
		r := newEBMLReader(out.Payload)
		n := 0
		for n < 3 {
			if _, err := r.next(); err != nil {
				t.Logf("GetMedia stream after %d chunks: %v", n, err)
				break
			}
			n++
		}
		chunks <- n
	}()

	mv, err := playlist.Unmarshal([]byte(get(sessionURL)))
	if err != nil {
		t.Fatal(err)
	}
	mediaURL := sessionURL[:strings.LastIndexByte(sessionURL, '/')+1] + mv.(*playlist.Multivariant).Variants[0].URI
	pl, err := playlist.Unmarshal([]byte(get(mediaURL)))
	if err != nil {
		t.Fatal(err)
	}
	pm := pl.(*playlist.Media)
	if pm.ServerControl == nil || !pm.ServerControl.CanBlockReload {
		t.Fatalf("LIVE playlist cannot block reloads")
	}
	next, nparts := pm.MediaSequence+len(pm.Segments), len(pm.Parts)
	blocked := get(mediaURL + "&_HLS_msn=" + strconv.Itoa(next) + "&_HLS_part=" + strconv.Itoa(nparts+1))
	bl, err := playlist.Unmarshal([]byte(blocked))
	if err != nil {
		t.Fatal(err)
	}
	if b := bl.(*playlist.Media); b.MediaSequence+len(b.Segments) == next && len(b.Parts) <= nparts+1 {
		t.Errorf("blocking reload over h2c for part %d of %d returned without it:\n%s", nparts+1, next, blocked)
	}

	select {
	case n := <-chunks:
		if n < 3 {
			t.Errorf("GetMedia over h2c streamed %d chunks, want 3", n)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("GetMedia over h2c streamed no 3 chunks in 60 s")
	}
	stopMedia()
	if err := cam.Wait(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("ffmpeg: %v", err)
	}
	t.Logf("%d answers over HTTP/2", h2.answers.Load())
}

// TestH2CUpgrade has curl ask to switch to HTTP/2 with `Upgrade: h2c`: a
// request without a body is answered over HTTP/2 on the same connection,
// one with a body in HTTP/1.1 (the switch happens before any body).
func TestH2CUpgrade(t *testing.T) {
	need(t, "curl")
	srv := startServer(t, testConfig(t))
	version := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got := version(srv.URL() + "/healthz"); got != "2 200" {
		t.Fatalf("upgraded GET: %q, want HTTP/2 200", got)
	}
	if got := version("-X", "POST", "-H", "X-Amz-Target: Kinesis_20131202.ListStreams", "-d", "{}", srv.URL()+"/"); !strings.HasPrefix(got, "1.1 ") {
		t.Fatalf("POST with a body: %q, want HTTP/1.1", got)
	}
}
