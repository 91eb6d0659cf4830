package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fhRequest is one request an HTTP endpoint receiver took: its request id
// and its records, decoded.
type fhRequest struct {
	ID      string
	Records [][]byte
}

// fhReceiver is an HTTP endpoint that speaks the Firehose HTTP endpoint
// delivery protocol on a loopback port, as a user's service would: it
// checks the headers and body of every request, answers with the
// request's id and a timestamp, and keeps what it took. What it finds
// wrong is kept in problems (the handler runs outside the test
// goroutine); wait fails the test on the first one.
type fhReceiver struct {
	accessKey string
	attrs     map[string]string // the common attributes expected
	gzip      bool              // Content-Encoding: gzip expected
	sourceARN string            // X-Amz-Firehose-Source-Arn expected ("" to skip)
	failFirst bool              // answer 503 to the first attempt of each request id

	mu       sync.Mutex
	status   int    // the status answered (0: 200)
	message  string // errorMessage of a non-200 answer
	requests []fhRequest
	problems []string
	srv      *http.Server
	addr     string
}

// startReceiver starts r on a loopback port, or on its previous address
// when it was stopped.
func (r *fhReceiver) start(t *testing.T) {
	t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	// The port was ours a moment ago; binding it again may race with the
	// kernel's release of the old socket for a short while.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("receiver listen %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	r.mu.Lock()
	r.srv, r.addr = srv, ln.Addr().String()
	r.mu.Unlock()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// stop closes the listener and every connection: the endpoint is down.
func (r *fhReceiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	srv.Close()
}

func (r *fhReceiver) url() string { return "http://" + r.addr + "/ingest" }

func (r *fhReceiver) answer(status int, message string) {
	r.mu.Lock()
	r.status, r.message = status, message
	r.mu.Unlock()
}

func (r *fhReceiver) problem(format string, args ...any) {
	r.mu.Lock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *fhReceiver) serve(w http.ResponseWriter, req *http.Request) {
	id := req.Header.Get("X-Amz-Firehose-Request-Id")
	reply := func(status int, msg string) {
		body := map[string]any{"requestId": id, "timestamp": time.Now().UnixMilli()}
		if msg != "" {
			body["errorMessage"] = msg
		}
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		w.Write(b)
	}
	if err := r.check(req); err != nil {
		r.problem("%s", err)
		reply(http.StatusBadRequest, err.Error())
		return
	}
	var rd io.Reader = req.Body
	if r.gzip {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			r.problem("request %s: gzip body: %v", id, err)
			reply(http.StatusBadRequest, "bad gzip")
			return
		}
		rd = zr
	}
	var body struct {
		RequestID *string `json:"requestId"`
		Timestamp *int64  `json:"timestamp"`
		Records   []struct {
			Data *[]byte `json:"data"`
		} `json:"records"`
	}
	if err := json.NewDecoder(rd).Decode(&body); err != nil {
		r.problem("request %s: body: %v", id, err)
		reply(http.StatusBadRequest, "bad body")
		return
	}
	if body.RequestID == nil || *body.RequestID != id || body.Timestamp == nil || len(body.Records) == 0 {
		r.problem("request %s: body requestId %v, timestamp %v, %d records", id, body.RequestID, body.Timestamp, len(body.Records))
		reply(http.StatusBadRequest, "bad body")
		return
	}
	got := fhRequest{ID: id}
	for i, rec := range body.Records {
		if rec.Data == nil {
			r.problem("request %s: record %d has no data", id, i)
			reply(http.StatusBadRequest, "record without data")
			return
		}
		got.Records = append(got.Records, *rec.Data)
	}
	r.mu.Lock()
	status, msg := r.status, r.message
	if r.failFirst && !slices.ContainsFunc(r.requests, func(q fhRequest) bool { return q.ID == id }) {
		status, msg = http.StatusServiceUnavailable, "busy, try again"
	}
	r.requests = append(r.requests, got)
	r.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	reply(status, msg)
}

// check verifies a request's method and headers.
func (r *fhReceiver) check(req *http.Request) error {
	h := req.Header
	id := h.Get("X-Amz-Firehose-Request-Id")
	r.mu.Lock()
	sourceARN := r.sourceARN // set once the stream's ARN is known
	r.mu.Unlock()
	switch {
	case req.Method != http.MethodPost || req.URL.Path != "/ingest":
		return fmt.Errorf("%s %s", req.Method, req.URL.Path)
	case h.Get("X-Amz-Firehose-Protocol-Version") != "1.0":
		return fmt.Errorf("protocol version %q", h.Get("X-Amz-Firehose-Protocol-Version"))
	case id == "":
		return errors.New("no request id")
	case h.Get("Content-Type") != "application/json":
		return fmt.Errorf("request %s: Content-Type %q", id, h.Get("Content-Type"))
	case h.Get("X-Amz-Firehose-Access-Key") != r.accessKey:
		return fmt.Errorf("request %s: access key %q", id, h.Get("X-Amz-Firehose-Access-Key"))
	case sourceARN != "" && h.Get("X-Amz-Firehose-Source-Arn") != sourceARN:
		return fmt.Errorf("request %s: source ARN %q", id, h.Get("X-Amz-Firehose-Source-Arn"))
	}
	if enc := h.Get("Content-Encoding"); (enc == "gzip") != r.gzip || (!r.gzip && enc != "") {
		return fmt.Errorf("request %s: Content-Encoding %q", id, enc)
	}
	var attrs struct {
		CommonAttributes map[string]string `json:"commonAttributes"`
	}
	if err := json.Unmarshal([]byte(h.Get("X-Amz-Firehose-Common-Attributes")), &attrs); err != nil || attrs.CommonAttributes == nil {
		return fmt.Errorf("request %s: common attributes %q", id, h.Get("X-Amz-Firehose-Common-Attributes"))
	}
	if len(attrs.CommonAttributes) != len(r.attrs) {
		return fmt.Errorf("request %s: common attributes %v, want %v", id, attrs.CommonAttributes, r.attrs)
	}
	for k, v := range r.attrs {
		if attrs.CommonAttributes[k] != v {
			return fmt.Errorf("request %s: common attributes %v, want %v", id, attrs.CommonAttributes, r.attrs)
		}
	}
	return nil
}

// taken returns the requests taken so far; it fails the test on a
// protocol problem.
func (r *fhReceiver) taken(t *testing.T) []fhRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) > 0 {
		t.Fatalf("the receiver found %d problems, the first: %s", len(r.problems), r.problems[0])
	}
	return append([]fhRequest(nil), r.requests...)
}

// waitRecords waits until the receiver has taken n records in all.
func (r *fhReceiver) waitRecords(t *testing.T, n int) []fhRequest {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		reqs := r.taken(t)
		got := 0
		for _, q := range reqs {
			got += len(q.Records)
		}
		if got >= n {
			return reqs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver took %d records in %d requests, want %d", got, len(reqs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
