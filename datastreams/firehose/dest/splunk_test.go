package dest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hecServer is an HTTP Event Collector that answers as Splunk's does: the
// "Splunk <token>" authorization, a request channel on every request of a
// token with indexer acknowledgement, an ackId per accepted request, and
// acknowledgements that turn true after ackAfter queries (never when
// ackAfter < 0). Replies carry HEC's text and numeric code.
type hecServer struct {
	t        *testing.T
	token    string
	useACK   bool
	ackAfter int
	srv      *httptest.Server

	mu       sync.Mutex
	busy     bool
	raw      [][]byte
	events   []map[string]any
	channels map[string]bool
	nextAck  int64
	queries  map[int64]int // ackId -> queries so far
}

func newHECServer(t *testing.T, token string, useACK bool, ackAfter int) *hecServer {
	hs := &hecServer{t: t, token: token, useACK: useACK, ackAfter: ackAfter,
		channels: map[string]bool{}, queries: map[int64]int{}}
	hs.srv = httptest.NewServer(http.HandlerFunc(hs.serve))
	t.Cleanup(hs.srv.Close)
	return hs
}

func hecAnswer(w http.ResponseWriter, status int, text string, code int) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"text":%q,"code":%d}`, text, code)
}

func (hs *hecServer) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		hecAnswer(w, 401, "Token is required", 2)
		return
	case len(auth) < 7 || auth[:7] != "Splunk ":
		hecAnswer(w, 401, "Invalid authorization", 3)
		return
	case auth[7:] != hs.token:
		hecAnswer(w, 403, "Invalid token", 4)
		return
	}
	channel := r.Header.Get("X-Splunk-Request-Channel")
	if hs.useACK && channel == "" {
		hecAnswer(w, 400, "Data channel is missing", 10)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hecAnswer(w, 400, "No data", 5)
		return
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.busy {
		hecAnswer(w, 503, "Server is busy", 9)
		return
	}
	switch r.URL.Path {
	case "/services/collector/raw":
		if len(body) == 0 {
			hecAnswer(w, 400, "No data", 5)
			return
		}
		hs.raw = append(hs.raw, body)
	case "/services/collector/event":
		dec := json.NewDecoder(bytes.NewReader(body))
		var got []map[string]any
		for n := 0; ; n++ {
			var ev map[string]any
			if err := dec.Decode(&ev); err == io.EOF {
				break
			} else if err != nil {
				hecAnswer(w, 400, "Invalid data format", 6)
				return
			}
			if _, ok := ev["event"]; !ok {
				w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"text":"Event field is required","code":12,"invalid-event-number":%d}`, n)
				return
			}
			got = append(got, ev)
		}
		if len(got) == 0 {
			hecAnswer(w, 400, "No data", 5)
			return
		}
		hs.events = append(hs.events, got...)
	case "/services/collector/ack":
		if !hs.useACK {
			hecAnswer(w, 400, "ACK is disabled", 14)
			return
		}
		if !hs.channels[channel] {
			hecAnswer(w, 400, "Invalid data channel", 11)
			return
		}
		var q struct {
			Acks []int64 `json:"acks"`
		}
		if err := json.Unmarshal(body, &q); err != nil || q.Acks == nil {
			hecAnswer(w, 400, "Invalid data format", 6)
			return
		}
		acks := map[string]bool{}
		for _, id := range q.Acks {
			hs.queries[id]++
			acks[strconv.FormatInt(id, 10)] = hs.ackAfter >= 0 && hs.queries[id] > hs.ackAfter
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"acks": acks})
		return
	default:
		hecAnswer(w, 404, "The requested URL was not found on this server.", 404)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if !hs.useACK {
		fmt.Fprint(w, `{"text":"Success","code":0}`)
		return
	}
	hs.channels[channel] = true
	id := hs.nextAck
	hs.nextAck++
	fmt.Fprintf(w, `{"text":"Success","code":0,"ackId":%d}`, id)
}

func newTestSplunk(t *testing.T, cfg SplunkConfig) *Splunk {
	t.Helper()
	if cfg.AckPoll == 0 {
		cfg.AckPoll = time.Millisecond
	}
	s, err := NewSplunk(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSplunkRawWithDelayedAck(t *testing.T) {
	hs := newHECServer(t, "tok-1", true, 3)
	s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL, EndpointType: HECRaw, Token: "tok-1"})
	b := testBatch(4)
	for i := range b.Records {
		b.Records[i].Data = fmt.Appendf(nil, "line %d\n", i)
	}
	if err := s.Deliver(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.raw) != 1 || string(hs.raw[0]) != "line 0\nline 1\nline 2\nline 3\n" {
		t.Fatalf("raw bodies %q", hs.raw)
	}
	if hs.queries[0] != 4 {
		t.Errorf("%d ack queries, want 4 (the ack turned true on the 4th)", hs.queries[0])
	}
	if len(s.Channel()) != 36 {
		t.Errorf("channel %q is not a GUID", s.Channel())
	}
	if f := s.RecordFields(b.Records[1]); f["EventId"] != b.Records[1].ID {
		t.Errorf("record fields %v", f)
	}
	if s.ErrorOutputType() != "splunk-failed" {
		t.Errorf("error output type %q", s.ErrorOutputType())
	}
}

func TestSplunkEventEndpoint(t *testing.T) {
	hs := newHECServer(t, "tok", true, 0)
	// A HECEndpoint given with the collector path is cut back to its base.
	s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL + "/services/collector", EndpointType: HECEvent, Token: "tok"})
	b := testBatch(3)
	for i := range b.Records {
		b.Records[i].Data = fmt.Appendf(nil, `{"time":1456405200,"sourcetype":"firehose","event":{"n":%d}}`, i)
	}
	if err := s.Deliver(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	hs.mu.Lock()
	events := hs.events
	hs.mu.Unlock()
	if len(events) != 3 || events[2]["event"].(map[string]any)["n"] != 2.0 {
		t.Fatalf("events %v", events)
	}

	b.Records[1].Data = []byte(`{"time":1}`)
	e := asDeliveryError(t, s.Deliver(context.Background(), b))
	if e.Code != CodeSplunkInvalidDataFormat || e.Permanent {
		t.Fatalf("event without event field: %+v", e)
	}
}

func TestSplunkAckTimeout(t *testing.T) {
	hs := newHECServer(t, "tok", true, -1)
	s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL, EndpointType: HECRaw, Token: "tok", AckTimeout: 30 * time.Millisecond})
	e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(2)))
	if e.Code != CodeSplunkAckTimeout || e.Permanent || e.Failed != nil {
		t.Fatalf("never acknowledged: %+v", e)
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.queries[0] == 0 {
		t.Error("no ack query was made")
	}
}

func TestSplunkRefusals(t *testing.T) {
	t.Run("invalid token", func(t *testing.T) {
		hs := newHECServer(t, "right", true, 0)
		s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL, EndpointType: HECRaw, Token: "wrong"})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkInvalidToken || e.Permanent {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("acknowledgement off", func(t *testing.T) {
		hs := newHECServer(t, "tok", false, 0)
		s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL, EndpointType: HECRaw, Token: "tok"})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkDisabledAck {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("busy", func(t *testing.T) {
		hs := newHECServer(t, "tok", true, 0)
		hs.mu.Lock()
		hs.busy = true
		hs.mu.Unlock()
		s := newTestSplunk(t, SplunkConfig{Endpoint: hs.srv.URL, EndpointType: HECRaw, Token: "tok"})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkIndexerBusy || e.Permanent {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("ack on another collector", func(t *testing.T) {
		// A load balancer without sticky sessions: the data reaches one
		// collector and the ack query another that never saw the channel.
		data := newHECServer(t, "tok", true, 0)
		other := newHECServer(t, "tok", true, 0)
		mux := http.NewServeMux()
		mux.HandleFunc("/services/collector/raw", data.serve)
		mux.HandleFunc("/services/collector/ack", other.serve)
		lb := httptest.NewServer(mux)
		t.Cleanup(lb.Close)
		s := newTestSplunk(t, SplunkConfig{Endpoint: lb.URL, EndpointType: HECRaw, Token: "tok"})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkStickySessions {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("not a collector", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		s := newTestSplunk(t, SplunkConfig{Endpoint: srv.URL, EndpointType: HECRaw, Token: "tok"})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkURLNotFound {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		s := newTestSplunk(t, SplunkConfig{Endpoint: srv.URL, EndpointType: HECRaw, Token: "tok", Timeout: 30 * time.Millisecond})
		e := asDeliveryError(t, s.Deliver(context.Background(), testBatch(1)))
		if e.Code != CodeSplunkConnectionTimeout {
			t.Fatalf("%+v", e)
		}
	})
}

func TestSplunkConfigChecks(t *testing.T) {
	for _, cfg := range []SplunkConfig{
		{Endpoint: "https://s:8088", EndpointType: "Json"},
		{Endpoint: "s:8088", EndpointType: HECRaw},
	} {
		if _, err := NewSplunk(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
