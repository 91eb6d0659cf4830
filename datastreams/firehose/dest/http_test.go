package dest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// receivedRequest is one delivery request as a receiver saw it.
type receivedRequest struct {
	header    http.Header
	requestID string
	timestamp int64
	records   [][]byte
}

// receiver is a Firehose HTTP endpoint receiver: it checks every request
// against the delivery protocol and answers as reply says.
type receiver struct {
	t         *testing.T
	accessKey string
	srv       *httptest.Server

	mu       sync.Mutex
	requests []receivedRequest
	// reply answers request n (0-based) with a status and body; nil
	// answers the protocol's success.
	reply func(n int, r receivedRequest) (int, string)
}

func newReceiver(t *testing.T, accessKey string) *receiver {
	rc := &receiver{t: t, accessKey: accessKey}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) fail(w http.ResponseWriter, format string, args ...any) {
	rc.t.Errorf("receiver: "+format, args...)
	http.Error(w, "bad request", http.StatusBadRequest)
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rc.fail(w, "method %s", r.Method)
		return
	}
	for k, want := range map[string]string{
		"Content-Type":                    "application/json",
		"X-Amz-Firehose-Protocol-Version": "1.0",
		"X-Amz-Firehose-Source-Arn":       "arn:aws:firehose:us-east-1:000000000000:deliverystream/s",
		"X-Amz-Firehose-Access-Key":       rc.accessKey,
	} {
		if got := r.Header.Get(k); got != want {
			rc.fail(w, "header %s = %q, want %q", k, got, want)
			return
		}
	}
	var body io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			rc.fail(w, "gzip: %v", err)
			return
		}
		body = zr
	default:
		rc.fail(w, "content encoding %q", enc)
		return
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		rc.fail(w, "body: %v", err)
		return
	}
	var req struct {
		RequestID *string `json:"requestId"`
		Timestamp *int64  `json:"timestamp"`
		Records   []struct {
			Data *[]byte `json:"data"`
		} `json:"records"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		rc.fail(w, "body %q: %v", raw, err)
		return
	}
	if req.RequestID == nil || req.Timestamp == nil || req.Records == nil {
		rc.fail(w, "body without requestId, timestamp or records: %s", raw)
		return
	}
	if *req.RequestID != r.Header.Get("X-Amz-Firehose-Request-Id") {
		rc.fail(w, "body requestId %q, header %q", *req.RequestID, r.Header.Get("X-Amz-Firehose-Request-Id"))
		return
	}
	var attrs struct {
		CommonAttributes map[string]string `json:"commonAttributes"`
	}
	if err := json.Unmarshal([]byte(r.Header.Get("X-Amz-Firehose-Common-Attributes")), &attrs); err != nil || attrs.CommonAttributes == nil {
		rc.fail(w, "common attributes %q: %v", r.Header.Get("X-Amz-Firehose-Common-Attributes"), err)
		return
	}
	got := receivedRequest{header: r.Header.Clone(), requestID: *req.RequestID, timestamp: *req.Timestamp}
	for _, rec := range req.Records {
		if rec.Data == nil {
			rc.fail(w, "record without data")
			return
		}
		got.records = append(got.records, *rec.Data)
	}
	rc.mu.Lock()
	n := len(rc.requests)
	rc.requests = append(rc.requests, got)
	reply := rc.reply
	rc.mu.Unlock()
	status, answer := http.StatusOK, fmt.Sprintf(`{"requestId":%q,"timestamp":%d}`, got.requestID, time.Now().UnixMilli())
	if reply != nil {
		status, answer = reply(n, got)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (rc *receiver) got() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.requests...)
}

func testBatch(n int) delivery.Batch {
	b := delivery.Batch{
		RequestID:  "3f1b2c4d-0000-4000-8000-000000000001",
		StreamName: "s",
		StreamARN:  "arn:aws:firehose:us-east-1:000000000000:deliverystream/s",
	}
	at := time.Date(2016, 2, 25, 13, 0, 0, 0, time.UTC)
	for i := range n {
		b.Records = append(b.Records, delivery.Record{
			ID:      fmt.Sprintf("4954698668313554428650745793632167570019247115678515%04d.0", i),
			Data:    fmt.Appendf(nil, `{"n":%d,"text":"record %d"}`, i, i),
			Arrival: at.Add(time.Duration(i) * time.Minute),
		})
	}
	return b
}

func newTestEndpoint(t *testing.T, cfg HTTPEndpointConfig) *HTTPEndpoint {
	t.Helper()
	h, err := NewHTTPEndpoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func asDeliveryError(t *testing.T, err error) *delivery.Error {
	t.Helper()
	var e *delivery.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *delivery.Error", err, err)
	}
	return e
}

func TestHTTPEndpointDeliversGzipAndPlain(t *testing.T) {
	for _, enc := range []string{"GZIP", "NONE"} {
		t.Run(enc, func(t *testing.T) {
			rc := newReceiver(t, "secret-key")
			h := newTestEndpoint(t, HTTPEndpointConfig{
				URL: rc.srv.URL, AccessKey: "secret-key", ContentEncoding: enc,
				CommonAttributes: map[string]string{"env": "test", "team": "data"},
			})
			b := testBatch(5)
			b.Records[2].Data = []byte{} // empty records are allowed
			if err := h.Deliver(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			reqs := rc.got()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.requestID != b.RequestID {
				t.Errorf("request id %q, want %q", r.requestID, b.RequestID)
			}
			if (r.header.Get("Content-Encoding") == "gzip") != (enc == "GZIP") {
				t.Errorf("Content-Encoding %q with %s", r.header.Get("Content-Encoding"), enc)
			}
			if got := r.header.Get("X-Amz-Firehose-Common-Attributes"); got != `{"commonAttributes":{"env":"test","team":"data"}}` {
				t.Errorf("common attributes %s", got)
			}
			if len(r.records) != len(b.Records) {
				t.Fatalf("%d records, want %d", len(r.records), len(b.Records))
			}
			for i := range r.records {
				if !bytes.Equal(r.records[i], b.Records[i].Data) {
					t.Errorf("record %d = %q, want %q", i, r.records[i], b.Records[i].Data)
				}
			}
		})
	}
}

func TestHTTPEndpointRetryKeepsRequestID(t *testing.T) {
	rc := newReceiver(t, "k")
	rc.reply = func(n int, r receivedRequest) (int, string) {
		if n == 0 {
			return http.StatusInternalServerError, fmt.Sprintf(`{"requestId":%q,"timestamp":1,"errorMessage":"disk full"}`, r.requestID)
		}
		return http.StatusOK, fmt.Sprintf(`{"requestId":%q,"timestamp":2}`, r.requestID)
	}
	h := newTestEndpoint(t, HTTPEndpointConfig{URL: rc.srv.URL, AccessKey: "k", ContentEncoding: "GZIP"})
	b := testBatch(3)
	err := h.Deliver(context.Background(), b)
	e := asDeliveryError(t, err)
	if e.Code != CodeHTTPDestinationException || e.Permanent || e.Failed != nil {
		t.Fatalf("first attempt: %+v", e)
	}
	if !strings.Contains(e.Message, "disk full") {
		t.Errorf("the endpoint's errorMessage is not in %q", e.Message)
	}
	if err := h.Deliver(context.Background(), b); err != nil {
		t.Fatalf("retry: %v", err)
	}
	reqs := rc.got()
	if len(reqs) != 2 || reqs[0].requestID != b.RequestID || reqs[1].requestID != b.RequestID {
		t.Fatalf("request ids across the retry: %+v", reqs)
	}
}

func TestHTTPEndpointResponseContract(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      func(id string) string
		code      string
		permanent bool
	}{
		{"200 with another requestId", 200, func(string) string { return `{"requestId":"other","timestamp":1}` }, CodeHTTPInvalidResponse, false},
		{"200 without requestId", 200, func(string) string { return `{"timestamp":1}` }, CodeHTTPInvalidResponse, false},
		{"200 with a string timestamp", 200, func(id string) string { return fmt.Sprintf(`{"requestId":%q,"timestamp":"1"}`, id) }, CodeHTTPInvalidResponse, false},
		{"200 without timestamp", 200, func(id string) string { return fmt.Sprintf(`{"requestId":%q}`, id) }, CodeHTTPInvalidResponse, false},
		{"200 with no body", 200, func(string) string { return "" }, CodeHTTPInvalidResponse, false},
		{"201 with a good body", 201, func(id string) string { return fmt.Sprintf(`{"requestId":%q,"timestamp":1}`, id) }, CodeHTTPDestinationException, false},
		{"413", 413, func(id string) string {
			return fmt.Sprintf(`{"requestId":%q,"timestamp":1,"errorMessage":"Payload too large"}`, id)
		}, CodeHTTPDestinationException, true},
		{"400", 400, func(id string) string { return fmt.Sprintf(`{"requestId":%q,"timestamp":1}`, id) }, CodeHTTPDestinationException, false},
		{"503", 503, func(string) string { return "" }, CodeHTTPDestinationException, false},
		{"reply over 1 MiB", 200, func(string) string { return strings.Repeat(" ", HTTPMaxResponseBytes+1) }, CodeHTTPResponseTooLarge, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := newReceiver(t, "")
			rc.reply = func(_ int, r receivedRequest) (int, string) { return c.status, c.body(r.requestID) }
			h := newTestEndpoint(t, HTTPEndpointConfig{URL: rc.srv.URL})
			e := asDeliveryError(t, h.Deliver(context.Background(), testBatch(2)))
			if e.Code != c.code || e.Permanent != c.permanent || e.Failed != nil {
				t.Fatalf("got code %s permanent %v failed %v (%s), want %s permanent %v", e.Code, e.Permanent, e.Failed, e.Message, c.code, c.permanent)
			}
		})
	}
}

func TestHTTPEndpointDoesNotFollowRedirects(t *testing.T) {
	target := newReceiver(t, "")
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	h := newTestEndpoint(t, HTTPEndpointConfig{URL: redirect.URL})
	e := asDeliveryError(t, h.Deliver(context.Background(), testBatch(1)))
	if e.Code != CodeHTTPDestinationException || e.Permanent {
		t.Fatalf("redirect: %+v", e)
	}
	if n := len(target.got()); n != 0 {
		t.Fatalf("the redirect was followed: the target got %d requests", n)
	}
}

func TestHTTPEndpointTransportFailures(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		h := newTestEndpoint(t, HTTPEndpointConfig{URL: srv.URL, Timeout: 50 * time.Millisecond})
		e := asDeliveryError(t, h.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeHTTPRequestTimeout || e.Permanent {
			t.Fatalf("timeout: %+v", e)
		}
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		h := newTestEndpoint(t, HTTPEndpointConfig{URL: "http://" + addr + "/"})
		e := asDeliveryError(t, h.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeHTTPConnectionFailed || e.Permanent {
			t.Fatalf("refused: %+v", e)
		}
	})
	t.Run("reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			_ = conn.Close()
		}))
		t.Cleanup(srv.Close)
		h := newTestEndpoint(t, HTTPEndpointConfig{URL: srv.URL})
		e := asDeliveryError(t, h.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeHTTPConnectionReset || e.Permanent {
			t.Fatalf("reset: %+v", e)
		}
	})
}

func TestHTTPEndpointSplitsBigBatches(t *testing.T) {
	rc := newReceiver(t, "")
	b := testBatch(7)
	failPart := b.RequestID + "-" + b.Records[3].ID
	rc.reply = func(_ int, r receivedRequest) (int, string) {
		if r.requestID == failPart {
			return http.StatusServiceUnavailable, fmt.Sprintf(`{"requestId":%q,"timestamp":1,"errorMessage":"busy"}`, r.requestID)
		}
		return http.StatusOK, fmt.Sprintf(`{"requestId":%q,"timestamp":1}`, r.requestID)
	}
	h := newTestEndpoint(t, HTTPEndpointConfig{URL: rc.srv.URL, MaxRecords: 3})
	e := asDeliveryError(t, h.Deliver(context.Background(), b))
	if e.Permanent || fmt.Sprint(e.Failed) != "[3 4 5]" || !strings.Contains(e.Message, "busy") {
		t.Fatalf("partial failure: %+v", e)
	}
	reqs := rc.got()
	wantIDs := []string{b.RequestID + "-" + b.Records[0].ID, failPart, b.RequestID + "-" + b.Records[6].ID}
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.requestID != wantIDs[i] {
			t.Errorf("part %d id %q, want %q", i, r.requestID, wantIDs[i])
		}
	}
	if len(reqs[2].records) != 1 || !bytes.Equal(reqs[2].records[0], b.Records[6].Data) {
		t.Errorf("last part %q", reqs[2].records)
	}

	// The body limit splits too.
	rc2 := newReceiver(t, "")
	h2 := newTestEndpoint(t, HTTPEndpointConfig{URL: rc2.srv.URL, MaxBodyBytes: 400})
	if err := h2.Deliver(context.Background(), testBatch(6)); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range rc2.got() {
		total += len(r.records)
	}
	if len(rc2.got()) < 2 || total != 6 {
		t.Fatalf("%d requests with %d records", len(rc2.got()), total)
	}
}

func TestHTTPEndpointConfigChecks(t *testing.T) {
	for _, cfg := range []HTTPEndpointConfig{
		{URL: "ftp://x/"},
		{URL: "https://"},
		{URL: "https://x/", ContentEncoding: "BROTLI"},
	} {
		if _, err := NewHTTPEndpoint(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	h := newTestEndpoint(t, HTTPEndpointConfig{URL: "http://127.0.0.1:1/"})
	r := delivery.Record{ID: "7.0", Source: &delivery.KinesisSource{SubSequence: 2}}
	if f := h.RecordFields(r); f["dataId"] != "7.0" || f["subsequenceNumber"] != 2 {
		t.Errorf("record fields %v", f)
	}
	if h.ErrorOutputType() != "http-endpoint-failed" {
		t.Errorf("error output type %q", h.ErrorOutputType())
	}
}
