package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/web/awsapi"
)

// Bodies share a server-wide budget, taken as their bytes arrive: when a
// body cannot get its share in time the request gets a retryable 503, and
// the budget a body held is given back when its handler returns.
func TestBodyBudget(t *testing.T) {
	lim := &bodyLimits{max: 1 << 20, wait: 50 * time.Millisecond, budget: newBudget(1<<20 + 1)}
	request := func(body io.Reader, length int64) (*limitedBody, *http.Request) {
		r := httptest.NewRequest("POST", "/", body)
		r.ContentLength = length
		b := lim.wrap(httptest.NewRecorder(), r)
		r.Body = b
		return b, r
	}

	// A slow body has sent 900,000 of its 1,000,000 bytes: the pipe's
	// write returns once they have been read.
	pr, pw := io.Pipe()
	slow, slowReq := request(pr, 1_000_000)
	slowDone := make(chan error, 1)
	go func() {
		_, release, err := awsapi.ReadBody(slowReq)
		release()
		slowDone <- err
	}()
	if _, err := pw.Write(make([]byte, 900_000)); err != nil {
		t.Fatal(err)
	}

	// Another body does not fit beside it.
	refused, r := request(bytes.NewReader(make([]byte, 500_000)), 500_000)
	_, release, err := awsapi.ReadBody(r)
	release()
	refused.release()
	var ae *awsapi.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Type != "ServiceUnavailable" {
		t.Fatalf("over budget: %v", err)
	}

	// The slow body completes; its handler returns and gives its share back.
	pw.Write(make([]byte, 100_000))
	pw.Close()
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	slow.release()
	b, r := request(bytes.NewReader(make([]byte, 500_000)), 500_000)
	body, release, err := awsapi.ReadBody(r)
	if err != nil || len(body) != 500_000 {
		t.Fatalf("after the budget came back: %d bytes, %v", len(body), err)
	}
	release()
	b.release()
	if !lim.budget.sem.TryAcquire(lim.budget.size) {
		t.Fatalf("budget not all back")
	}
}

// A body declared over the limit is refused before a byte of it is read,
// and the connection is closed after the answer.
func TestBodyDeclaredTooLarge(t *testing.T) {
	lim := &bodyLimits{max: 1 << 20, wait: time.Second, budget: newBudget(1<<20 + 1)}
	r := httptest.NewRequest("POST", "/", io.MultiReader(bytes.NewReader([]byte("x")), eofNever{}))
	r.ContentLength = 60_000_000
	w := httptest.NewRecorder()
	r.Body = lim.wrap(w, r)
	_, release, err := awsapi.ReadBody(r)
	release()
	var ae *awsapi.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared 60 MB: %v", err)
	}
	if w.Header().Get("Connection") != "close" {
		t.Fatal("connection not closed after refusing a body")
	}
}

// eofNever fails the test's reads if they get this far.
type eofNever struct{}

func (eofNever) Read([]byte) (int, error) { panic("read past a refused body") }

// The body deadline ends with the body: an answer streamed for longer than
// BodyTimeout, after a body read in time, is delivered whole, and the
// connection serves the next request.
func TestBodyTimeoutSparesStreamedAnswers(t *testing.T) {
	const timeout = 200 * time.Millisecond
	kinesis := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, release, err := awsapi.ReadBody(r)
		defer release()
		if err != nil {
			t.Errorf("body: %v", err)
			return
		}
		for i := 0; i < 8; i++ { // 8 x 100 ms: four times the body timeout
			time.Sleep(100 * time.Millisecond)
			if r.Context().Err() != nil {
				t.Errorf("request cancelled while answering: %v", r.Context().Err())
				return
			}
			w.Write(body)
			http.NewResponseController(w).Flush()
		}
	})
	srv := httptest.NewServer(NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Kinesis: kinesis, Auth: &awsapi.Auth{},
		BodyTimeout: timeout}))
	defer srv.Close()
	for i := 0; i < 2; i++ { // the second reuses the connection
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("ab"))
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.Stream")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != strings.Repeat("ab", 8) {
			t.Fatalf("answer %d: %q %v", i, got, err)
		}
	}
}

// A body the handler never reads is under the same time limit: net/http
// reads what is left to reuse the connection, and a client dripping it is
// cut.
func TestUnreadSlowBodyIsCut(t *testing.T) {
	srv := httptest.NewServer(NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Auth: &awsapi.Auth{}, BodyTimeout: 200 * time.Millisecond}))
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx")
	go func() {
		for {
			time.Sleep(20 * time.Millisecond)
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(time.Minute)) // generous: the server cuts it after 200 ms
	got, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after a minute: %q", got)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 200") {
		t.Fatalf("answer %q", got)
	}
}

// Under HTTP/2 (h2c, as the AWS SDK for JavaScript speaks it) the body time
// limit applies per stream: a body that stops arriving gets a 408 on its
// stream, and the connection, with the streams beside it, runs on.
func TestBodyTimeoutUnderHTTP2(t *testing.T) {
	kinesis := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, release, err := awsapi.ReadBody(r)
		defer release()
		if err != nil {
			awsapi.WriteError(w, r, slog.New(slog.DiscardHandler), nil, awsapi.JSON11, err)
			return
		}
		w.Write(body)
	})
	srv := httptest.NewUnstartedServer(NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Kinesis: kinesis, Auth: &awsapi.Auth{},
		BodyTimeout: 200 * time.Millisecond}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p}
	defer tr.CloseIdleConnections()
	var conns atomic.Int32
	post := func(body io.Reader, answered func()) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL, body)
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.Echo")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				if !i.Reused {
					conns.Add(1)
				}
			}}))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		answered() // the client's transport waits for its request body's end before the answer's
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 {
			t.Fatalf("answered over %s", resp.Proto)
		}
		return resp, string(b)
	}
	if _, got := post(strings.NewReader("first"), func() {}); got != "first" {
		t.Fatalf("first answer %q", got)
	}
	pr, pw := io.Pipe()
	go pw.Write([]byte("ab")) // then nothing more
	resp, got := post(pr, func() { pw.CloseWithError(errors.New("the client gives up")) })
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(got, "RequestTimeoutException") {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, got)
	}
	if _, got := post(strings.NewReader("after"), func() {}); got != "after" {
		t.Fatalf("answer after the cut stream: %q", got)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("the requests took %d connections: a cut stream ended its connection", n)
	}
}
