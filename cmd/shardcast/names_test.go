package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	fhsdk "github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kvmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/pion/webrtc/v4"
)

// hostileNames are the names every entry point is sent: path traversal,
// separators, encoded separators, control characters, a name longer than
// any limit, Unicode look-alikes of letters, dots and slashes, the empty
// name, and names that are legal but special somewhere (CON on Windows,
// "." and "-" on command lines).
var hostileNames = []struct{ label, name string }{
	{"dotdot", ".."},
	{"traversal", "../../etc/passwd"},
	{"slash", "a/b"},
	{"backslash", `a\b`},
	{"pct-dotdot", "%2e%2e"},
	{"pct-traversal", "%2e%2e%2fescape"},
	{"dotdot-pct-slash", "..%2fescape"},
	{"nul", "a\x00b"},
	{"long", strings.Repeat("a", 300)},
	{"fullwidth", "ａｂｃ"},
	{"one-dot-leaders", "\u2024\u2024"},
	{"division-slash", "a\u2215b"},
	{"cyrillic-a", "\u0430bc"},
	{"empty", ""},
	{"newline", "a\nb"},
	{"CON", "CON"},
	{"dot", "."},
	{"dash", "-"},
}

// nameSecret is the content of a file beside the data directory that no
// answer may ever contain.
const nameSecret = "sentinel-secret-7f3a9c"

var awsName = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// legalFor returns the test of the names an API takes (AWS's pattern and
// length); video names also exclude the dot segments, which shardcast
// refuses although AWS's pattern allows them.
func legalFor(max int, video bool) func(string) bool {
	return func(n string) bool {
		if video && (n == "." || n == "..") {
			return false
		}
		return awsName.MatchString(n) && len(n) <= max
	}
}

// answer is what an entry point said to one name: a status (HTTP or
// RTSP; 0 when none came), the AWS error type, and a note.
type answer struct {
	status int
	code   string
	note   string
}

func (a answer) String() string {
	s := fmt.Sprint(a.status)
	if a.code != "" {
		s += " " + a.code
	}
	if a.note != "" {
		s += " (" + a.note + ")"
	}
	return s
}

// entryPoint sends one name to one place.
type entryPoint struct {
	name  string
	aws   bool // answers carry an AWS error shape
	legal func(string) bool
	call  func(name string) answer
}

// tap records every byte of every answer body, to look for the secret.
type tap struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (t *tap) add(b []byte) {
	t.mu.Lock()
	t.buf.Write(b)
	t.mu.Unlock()
}

func (t *tap) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

type tapClient struct {
	inner aws.HTTPClient
	tap   *tap
}

type tapBody struct {
	io.ReadCloser
	tap *tap
}

func (b tapBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.tap.add(p[:n])
	return n, err
}

func (c tapClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(r)
	if resp != nil && resp.Body != nil {
		resp.Body = tapBody{resp.Body, c.tap}
	}
	return resp, err
}

// withoutValidation drops the SDK's own check of required members, so
// that an empty name reaches the server too.
func withoutValidation(stack *middleware.Stack) error {
	stack.Initialize.Remove("OperationInputValidation")
	return nil
}

// sdkAnswer turns an SDK result into an answer.
func sdkAnswer(err error) answer {
	if err == nil {
		return answer{status: 200}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return answer{status: httpStatus(err), code: ae.ErrorCode()}
	}
	if s := httpStatus(err); s != 0 {
		return answer{status: s, note: "no AWS error shape"}
	}
	return answer{note: "not sent: " + err.Error()}
}

// fileState is what a snapshot knows of one path.
type fileState struct {
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func snapshotTree(t *testing.T, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = fileState{size: fi.Size(), mode: fi.Mode(), mtime: fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sentinels places files and directories around root/data that a
// traversal would reach, and returns the data directory.
func sentinels(t *testing.T, root string) string {
	t.Helper()
	for _, d := range []string{"data", "escape", "etc", "x"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/passwd", "secret.txt", "escape/keep"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(nameSecret+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "data")
}

// rawHTTP sends one HTTP/1.1 request with target written as given on the
// request line, and returns the status and AWS error type of the answer
// (status 0 when the connection closed without one).
func rawHTTP(t *testing.T, tp *tap, addr, method, target string, header map[string]string, body string) answer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, target, addr, len(body))
	for k, v := range header {
		req += k + ": " + v + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"+body); err != nil {
		return answer{note: "write: " + err.Error()}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return answer{note: "no answer: " + err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	tp.add(b)
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusCreated && loc != "" {
		// A WHIP or WHEP session of a legal name: end it, so that the
		// stream is not left live without media.
		rawHTTP(t, tp, addr, "DELETE", loc, nil, "")
	}
	var e struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(b, &e)
	return answer{status: resp.StatusCode, code: e.Type}
}

// rawRTSP sends one RTSP request with the path written as given and
// returns the status (0 when the connection closed without one).
func rawRTSP(t *testing.T, tp *tap, addr, method, path string) answer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := fmt.Sprintf("%s rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\n", method, addr, path)
	body := ""
	if method == "ANNOUNCE" {
		body = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=t\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"
		req += fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n", len(body))
	}
	if _, err := io.WriteString(conn, req+"\r\n"+body); err != nil {
		return answer{note: "write: " + err.Error()}
	}
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil {
		return answer{note: "closed without an answer"}
	}
	tp.add([]byte(status))
	length := 0
	for {
		line, err := r.ReadString('\n')
		tp.add([]byte(line))
		if err != nil || strings.TrimSpace(line) == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			fmt.Sscan(strings.TrimSpace(v), &length)
		}
	}
	if length > 0 {
		body := make([]byte, min(length, 1<<16))
		n, _ := io.ReadFull(r, body)
		tp.add(body[:n])
	}
	var code int
	fmt.Sscanf(status, "RTSP/1.0 %d", &code)
	return answer{status: code}
}

// sdpOffer returns a WebRTC offer of one H.264 video track in direction
// dir, as a WHIP (sendonly) or WHEP (recvonly) client sends it.
func sdpOffer(t *testing.T, dir webrtc.RTPTransceiverDirection) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// Every hostile name, sent to every API and protocol entry point, gets a
// client error (AWS-shaped on the APIs), or, where the API's pattern
// allows it, a success that the stores keep under their own ids: nothing
// outside the data directory is created or changed, no file or directory
// in it is named after what a client sent, and no answer carries the
// content of a file outside it.
func TestHostileNamesEverywhere(t *testing.T) {
	root := t.TempDir()
	cfg := testConfig(t)
	cfg.DataDir = sentinels(t, root)
	cfg.Video.AutoCreate = true
	cfg.Firehose.MaxBackoff = time.Second
	before := snapshotTree(t, root)
	srv := startServer(t, cfg)
	u := srv.URL()
	addr := strings.TrimPrefix(u, "http://")
	rtspAddr := srv.rtsp.Addr()

	tp := &tap{}
	hc := tapClient{sdkHTTPClient(awshttp.NewBuildableClient()), tp}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil })
	kc := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(u), Credentials: creds, HTTPClient: hc,
		Retryer: aws.NopRetryer{}, APIOptions: []func(*middleware.Stack) error{withoutValidation}})
	fc := fhsdk.New(fhsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(u), Credentials: creds, HTTPClient: hc,
		Retryer: aws.NopRetryer{}, APIOptions: []func(*middleware.Stack) error{withoutValidation}})
	vc := kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", BaseEndpoint: aws.String(u), Credentials: creds, HTTPClient: hc,
		Retryer: aws.NopRetryer{}, APIOptions: []func(*middleware.Stack) error{withoutValidation}})
	ac := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", BaseEndpoint: aws.String(u), Credentials: creds,
		HTTPClient: hc, Retryer: aws.NopRetryer{}, APIOptions: []func(*middleware.Stack) error{withoutValidation}})
	mc := kinesisvideomedia.New(kinesisvideomedia.Options{Region: "us-east-1", BaseEndpoint: aws.String(u), Credentials: creds, HTTPClient: hc,
		Retryer: aws.NopRetryer{}, APIOptions: []func(*middleware.Stack) error{withoutValidation}})

	kinesisLegal, videoLegal, firehoseLegal := legalFor(128, false), legalFor(256, true), legalFor(64, false)
	s3 := func(bucket string) *fhtypes.ExtendedS3DestinationConfiguration {
		return &fhtypes.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + bucket), RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"),
			BufferingHints: &fhtypes.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		}
	}
	var fhMu sync.Mutex
	var fhCreated []string // delivery streams to put a record through
	createFH := func(name string, dest *fhtypes.ExtendedS3DestinationConfiguration) answer {
		_, err := fc.CreateDeliveryStream(ctx, &fhsdk.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
			ExtendedS3DestinationConfiguration: dest})
		if err == nil {
			fhMu.Lock()
			fhCreated = append(fhCreated, name)
			fhMu.Unlock()
		}
		return sdkAnswer(err)
	}
	bucketIndex := 0
	// With no credentials configured any signature passes, but the APIs
	// still want one in the request.
	sig := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	whipOffer, whepOffer := sdpOffer(t, webrtc.RTPTransceiverDirectionSendonly), sdpOffer(t, webrtc.RTPTransceiverDirectionRecvonly)

	entries := []entryPoint{
		{"kinesis CreateStream", true, kinesisLegal, func(n string) answer {
			_, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(n), ShardCount: aws.Int32(1)})
			return sdkAnswer(err)
		}},
		{"kinesis DescribeStreamSummary", true, kinesisLegal, func(n string) answer {
			_, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(n)})
			return sdkAnswer(err)
		}},
		{"kinesis PutRecord", true, kinesisLegal, func(n string) answer {
			_, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(n), PartitionKey: aws.String("k"), Data: []byte("x")})
			return sdkAnswer(err)
		}},
		{"kinesis AddTagsToStream", true, kinesisLegal, func(n string) answer {
			_, err := kc.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String(n), Tags: map[string]string{"k": "v"}})
			return sdkAnswer(err)
		}},
		{"firehose CreateDeliveryStream name", true, firehoseLegal, func(n string) answer { return createFH(n, s3("names-bucket")) }},
		{"firehose CreateDeliveryStream bucket", true, func(n string) bool {
			return awsName.MatchString(n) && len(n) <= 255 && n != "." && n != ".."
		}, func(n string) answer {
			bucketIndex++
			return createFH(fmt.Sprintf("names-bucket-%d", bucketIndex), s3(n))
		}},
		{"kvs CreateStream", true, videoLegal, func(n string) answer {
			_, err := vc.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(n), DataRetentionInHours: aws.Int32(1)})
			return sdkAnswer(err)
		}},
		{"kvs DescribeStream", true, videoLegal, func(n string) answer {
			_, err := vc.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(n)})
			return sdkAnswer(err)
		}},
		{"kvs GetDataEndpoint", true, videoLegal, func(n string) answer {
			_, err := vc.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String(n), APIName: kvtypes.APINameGetMedia})
			return sdkAnswer(err)
		}},
		{"kvs GetHLSStreamingSessionURL", true, videoLegal, func(n string) answer {
			_, err := ac.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(n)})
			return sdkAnswer(err)
		}},
		{"kvs ListFragments", true, videoLegal, func(n string) answer {
			_, err := ac.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String(n)})
			return sdkAnswer(err)
		}},
		{"kvs GetMedia", true, videoLegal, func(n string) answer {
			out, err := mc.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(n),
				StartSelector: &kvmtypes.StartSelector{StartSelectorType: kvmtypes.StartSelectorTypeEarliest}})
			if err == nil {
				out.Payload.Close()
			}
			return sdkAnswer(err)
		}},
		{"kvs PutMedia", true, videoLegal, func(n string) answer {
			// Header values cannot hold a NUL or a line break: such a name
			// goes percent-encoded, as the server would have to decode it.
			v := n
			if strings.ContainsAny(v, "\x00\r\n") {
				v = url.PathEscape(v)
			}
			return rawHTTP(t, tp, addr, "POST", "/putMedia", map[string]string{"x-amzn-stream-name": v,
				"Authorization": sig("kinesisvideo"), "x-amzn-fragment-timecode-type": "ABSOLUTE", "x-amzn-producer-start-timestamp": "1700000000.000"}, "")
		}},
	}
	for form, esc := range map[string]func(string) string{"raw": func(n string) string { return n }, "escaped": url.PathEscape} {
		path := func(format string) func(string) string {
			return func(n string) string { return fmt.Sprintf(format, esc(n)) }
		}
		add := func(method, what string, p func(string) string, header map[string]string, body string, isAWS bool) {
			entries = append(entries, entryPoint{fmt.Sprintf("%s %s [%s]", method, what, form), isAWS, videoLegal, func(n string) answer {
				return rawHTTP(t, tp, addr, method, p(n), header, body)
			}})
		}
		for _, method := range []string{"ANNOUNCE", "DESCRIBE"} {
			entries = append(entries, entryPoint{fmt.Sprintf("RTSP %s rtsp://host/<n> [%s]", method, form), false, videoLegal, func(n string) answer {
				return rawRTSP(t, tp, rtspAddr, method, esc(n))
			}})
		}
		add("PUT", "/admin/v1/sources/<n>", path("/admin/v1/sources/%s"), map[string]string{"Content-Type": "application/json", "Authorization": sig("kinesisvideo")},
			`{"url":"rtsp://127.0.0.1:9/feed","transport":"tcp"}`, true)
		add("GET", "/hls/<n>/index.m3u8", path("/hls/%s/index.m3u8"), nil, "", false)
		add("GET", "/hls/v1/<n>", path("/hls/v1/%s"), nil, "", false)
		add("GET", "/dash/v1/<n>", path("/dash/v1/%s"), nil, "", false)
		add("GET", "/play/<n>", path("/play/%s"), nil, "", false)
		add("GET", "/publish/<n>", path("/publish/%s"), nil, "", false)
		add("POST", "/whip/<n>", path("/whip/%s"), map[string]string{"Content-Type": "application/sdp"}, whipOffer, false)
		add("POST", "/whep/<n>", path("/whep/%s"), map[string]string{"Content-Type": "application/sdp"}, whepOffer, false)
	}

	var table []string
	for _, e := range entries {
		var row []string
		for _, h := range hostileNames {
			a := e.call(h.name)
			row = append(row, h.label+"="+a.String())
			if msg := judge(e, h.name, a); msg != "" {
				t.Errorf("%s, name %s (%q): %s", e.name, h.label, h.name, msg)
			}
		}
		table = append(table, e.name+": "+strings.Join(row, " "))
	}
	t.Logf("answers:\n%s", strings.Join(table, "\n"))

	// Every delivery stream that was created delivers a record, or fails
	// to: either way it has tried to write where its bucket and prefix say.
	pfx := "names-prefix"
	if _, err := fc.CreateDeliveryStream(ctx, &fhsdk.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(pfx),
		ExtendedS3DestinationConfiguration: func() *fhtypes.ExtendedS3DestinationConfiguration {
			d := s3("names-bucket")
			d.Prefix, d.ErrorOutputPrefix = aws.String("../../x/"), aws.String("../../escape/")
			return d
		}()}); err != nil {
		t.Logf("CreateDeliveryStream with Prefix ../../x/: %v", err)
	} else {
		fhCreated = append(fhCreated, pfx)
	}
	for _, n := range fhCreated {
		if _, err := fc.PutRecord(ctx, &fhsdk.PutRecordInput{DeliveryStreamName: aws.String(n), Record: &fhtypes.Record{Data: []byte("rec\n")}}); err != nil {
			t.Errorf("firehose PutRecord %q: %v", n, err)
			continue
		}
		waitFor(t, 60*time.Second, "delivery stream "+n+" delivers or fails", func() bool {
			h := fhHealth(t, u, n)
			return h.DeliveredRecords > 0 || h.Failures > 0
		})
		t.Logf("delivery stream %q: %+v", n, fhHealth(t, u, n))
	}

	srv.Close()
	if strings.Contains(tp.String(), nameSecret) {
		t.Error("an answer carries the content of a file outside the data directory")
	}
	checkOutside(t, root, before, snapshotTree(t, root))
	checkInside(t, cfg.DataDir)
}

// judge returns what is wrong with answer a of entry point e to name.
func judge(e entryPoint, name string, a answer) string {
	switch {
	case a.status == 503 && strings.Contains(e.name, "/whep/") && e.legal(name):
		return "" // a stream with no keyframe yet: WHEP's "try again"
	case a.status >= 500:
		return "server error " + a.String()
	case a.status == 0 && strings.HasPrefix(a.note, "not sent"):
		return "" // the client library refused it; nothing reached the server
	case a.status == 0:
		if strings.ContainsAny(name, "\x00\r\n") {
			return "" // no request line can carry it: the connection closes
		}
		return "no answer: " + a.note
	case a.status/100 == 2 || a.status/100 == 3:
		if !e.legal(name) {
			return "accepted an illegal name: " + a.String()
		}
	case a.status/100 == 4:
		if e.aws && a.code == "" && !(strings.HasSuffix(e.name, "[raw]") && strings.ContainsAny(name, "\x00\r\n")) {
			return "a client error without an AWS error type: " + a.String()
		}
	default:
		return "unexpected answer " + a.String()
	}
	return ""
}

// checkOutside fails on any path outside root/data that appeared,
// disappeared or changed between two snapshots of root.
func checkOutside(t *testing.T, root string, before, after map[string]fileState) {
	t.Helper()
	inData := func(rel string) bool {
		return rel == "data" || strings.HasPrefix(rel, "data"+string(filepath.Separator))
	}
	for rel, a := range after {
		if inData(rel) {
			continue
		}
		b, ok := before[rel]
		switch {
		case !ok:
			t.Errorf("created outside the data directory: %s", filepath.Join(root, rel))
		case b != a:
			t.Errorf("changed outside the data directory: %s (%+v, was %+v)", filepath.Join(root, rel), a, b)
		}
	}
	for rel := range before {
		if _, ok := after[rel]; !ok && !inData(rel) {
			t.Errorf("removed outside the data directory: %s", filepath.Join(root, rel))
		}
	}
}

// storeComponent matches the path components the stores make under the
// data directory: fixed names, hex ids, shard ids, numbered segments, and
// the year/month/day/hour directories of delivered objects.
var storeComponent = regexp.MustCompile(`^(?:[a-z][a-z0-9]*(?:\.(?:db|json|log|key))?|[0-9a-f]{20}|shardId-\d{12}|\d+(?:\.seg)?)$`)

// dirObject matches an object the directory object store writes for a
// delivery stream: <stream>-<version>-<yyyy-mm-dd-hh-mm-ss>-<uuid>.
var dirObject = regexp.MustCompile(`^([a-zA-Z0-9_.-]+)-\d+-\d{4}(?:-\d{2}){5}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$`)

// checkInside fails on any path component under dir that the stores do
// not make: the only client-chosen components allowed are bucket
// directories (s3/<bucket>) and delivered objects named after their
// delivery stream, and those only with names their APIs take.
func checkInside(t *testing.T, dir string) {
	t.Helper()
	bucket := legalFor(255, true)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		last := parts[len(parts)-1]
		switch {
		case len(parts) == 2 && parts[0] == "s3" && d.IsDir():
			if !bucket(last) {
				t.Errorf("a bucket directory named %q: %s", last, p)
			}
		case parts[0] == "s3" && !d.IsDir() && dirObject.MatchString(last):
			if m := dirObject.FindStringSubmatch(last); !legalFor(64, false)(m[1]) {
				t.Errorf("an object named after delivery stream %q: %s", m[1], p)
			}
		case len(parts) == 3 && parts[0] == "streams" && strings.HasSuffix(last, ".json"):
			// The catalog's definition of a stream, by its escaped name.
			name, err := url.PathUnescape(strings.TrimSuffix(last, ".json"))
			if err != nil || strings.HasPrefix(last, ".") || !legalFor(128, false)(name) {
				t.Errorf("a definition file named %q: %s", last, p)
			}
		case !storeComponent.MatchString(last):
			t.Errorf("a path component the stores do not make: %q (%s)", last, p)
		}
		return nil
	})
}
