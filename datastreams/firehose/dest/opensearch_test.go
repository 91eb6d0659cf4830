package dest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// bulkServer is a _bulk endpoint that follows OpenSearch's: NDJSON of
// action and source lines, basic authentication, and a reply with one
// item per action in order. With no user it is an open cluster. A document whose "fail" field is a status
// is refused with that status, as a cluster refuses a document it cannot
// map (400) or take now (429).
type bulkServer struct {
	t          *testing.T
	user, pass string
	srv        *httptest.Server

	mu      sync.Mutex
	docs    map[string]map[string]json.RawMessage // index -> id -> source
	types   map[string]string                     // index -> _type seen
	nextID  int
	flaky   map[string]int // "fail" value -> failures left before accepting
	actions int
}

func newBulkServer(t *testing.T, user, pass string) *bulkServer {
	bs := &bulkServer{t: t, user: user, pass: pass,
		docs: map[string]map[string]json.RawMessage{}, types: map[string]string{}, flaky: map[string]int{}}
	bs.srv = httptest.NewServer(http.HandlerFunc(bs.serve))
	t.Cleanup(bs.srv.Close)
	return bs
}

func (bs *bulkServer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if u, p, ok := r.BasicAuth(); bs.user != "" && (!ok || u != bs.user || p != bs.pass) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials"}],"type":"security_exception","reason":"missing authentication credentials"},"status":401}`)
		return
	}
	if bs.user == "" && r.Header.Get("Authorization") != "" {
		bs.t.Errorf("bulk server: credentials sent to an open cluster")
	}
	if r.Method != http.MethodPost || r.URL.Path != "/_bulk" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" && ct != "application/json" {
		w.WriteHeader(http.StatusNotAcceptable)
		fmt.Fprintf(w, `{"error":"Content-Type header [%s] is not supported","status":406}`, ct)
		return
	}
	type itemResult struct {
		Index   string          `json:"_index"`
		ID      string          `json:"_id"`
		Version int             `json:"_version,omitempty"`
		Result  string          `json:"result,omitempty"`
		Status  int             `json:"status"`
		Error   json.RawMessage `json:"error,omitempty"`
	}
	var items []map[string]itemResult
	anyErr := false
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	bs.mu.Lock()
	defer bs.mu.Unlock()
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var action map[string]struct {
			Index *string `json:"_index"`
			Type  string  `json:"_type"`
			ID    string  `json:"_id"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			bs.badRequest(w, fmt.Sprintf("Malformed action/metadata line: %s", line))
			return
		}
		meta, ok := action["index"]
		if !ok || meta.Index == nil {
			bs.badRequest(w, fmt.Sprintf("unexpected action or no _index: %s", line))
			return
		}
		if !sc.Scan() {
			bs.badRequest(w, "The bulk request must be terminated by a newline [\\n]")
			return
		}
		src := append(json.RawMessage(nil), sc.Bytes()...)
		bs.actions++
		var doc map[string]any
		res := itemResult{Index: *meta.Index, ID: meta.ID}
		if err := json.Unmarshal(src, &doc); err != nil {
			res.Status = 400
			res.Error = json.RawMessage(`{"type":"mapper_parsing_exception","reason":"failed to parse"}`)
		} else if f, ok := doc["fail"].(string); ok && bs.flaky[f] != 0 {
			bs.flaky[f]--
			res.Status = 429
			res.Error = json.RawMessage(`{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}`)
		} else if f, ok := doc["fail"].(float64); ok {
			res.Status = int(f)
			res.Error = json.RawMessage(fmt.Sprintf(`{"type":"mapper_parsing_exception","reason":"refused with %d"}`, int(f)))
		}
		if res.Status != 0 {
			anyErr = true
			items = append(items, map[string]itemResult{"index": res})
			continue
		}
		if meta.Type != "" {
			bs.types[*meta.Index] = meta.Type
		}
		if res.ID == "" {
			bs.nextID++
			res.ID = fmt.Sprintf("auto%d", bs.nextID)
		}
		idx := bs.docs[res.Index]
		if idx == nil {
			idx = map[string]json.RawMessage{}
			bs.docs[res.Index] = idx
		}
		res.Result, res.Status, res.Version = "created", 201, 1
		if _, ok := idx[res.ID]; ok {
			res.Result, res.Status, res.Version = "updated", 200, 2
		}
		idx[res.ID] = src
		items = append(items, map[string]itemResult{"index": res})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 3, "errors": anyErr, "items": items})
}

func (bs *bulkServer) badRequest(w http.ResponseWriter, reason string) {
	bs.t.Errorf("bulk server: %s", reason)
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"error":{"type":"illegal_argument_exception","reason":%q},"status":400}`, reason)
}

func (bs *bulkServer) count() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	n := 0
	for _, idx := range bs.docs {
		n += len(idx)
	}
	return n
}

func newTestOpenSearch(t *testing.T, cfg OpenSearchConfig) *OpenSearch {
	t.Helper()
	o, err := NewOpenSearch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func TestRotatedIndexNames(t *testing.T) {
	at := time.Date(2016, 2, 25, 13, 0, 0, 0, time.UTC)
	for period, want := range map[string]string{
		RotateNone:  "myindex",
		RotateHour:  "myindex-2016-02-25-13",
		RotateDay:   "myindex-2016-02-25",
		RotateWeek:  "myindex-2016-w08",
		RotateMonth: "myindex-2016-02",
	} {
		if got := RotatedIndex("myindex", period, at); got != want {
			t.Errorf("%s: %s, want %s", period, got, want)
		}
	}
	// Weeks start on Sunday: 2016-02-27 (Saturday) is still w08, 02-28
	// (Sunday) is w09; the days before the year's first Sunday are w00.
	// Arrival times are taken in UTC.
	for at, want := range map[time.Time]string{
		time.Date(2016, 2, 27, 23, 0, 0, 0, time.UTC):                    "i-2016-w08",
		time.Date(2016, 2, 28, 0, 0, 0, 0, time.UTC):                     "i-2016-w09",
		time.Date(2016, 1, 2, 0, 0, 0, 0, time.UTC):                      "i-2016-w00",
		time.Date(2016, 1, 3, 0, 0, 0, 0, time.UTC):                      "i-2016-w01",
		time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC):                      "i-2017-w01",
		time.Date(2016, 2, 28, 1, 0, 0, 0, time.FixedZone("x", 2*60*60)): "i-2016-w08",
	} {
		if got := RotatedIndex("i", RotateWeek, at); got != want {
			t.Errorf("%v: %s, want %s", at, got, want)
		}
	}
}

func TestOpenSearchIndexesWithStableIDs(t *testing.T) {
	bs := newBulkServer(t, "admin", "pw")
	o := newTestOpenSearch(t, OpenSearchConfig{Endpoint: bs.srv.URL, IndexName: "logs",
		IndexRotationPeriod: RotateHour, Username: "admin", Password: "pw"})
	b := testBatch(90) // arrivals span 13:00 to 14:29: two hourly indexes
	b.Records[5].Data = []byte("{\n  \"pretty\": true\n}\n")
	if err := o.Deliver(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	bs.mu.Lock()
	docs13, docs14 := maps.Clone(bs.docs["logs-2016-02-25-13"]), bs.docs["logs-2016-02-25-14"]
	bs.mu.Unlock()
	if len(docs13) != 60 || len(docs14) != 30 {
		t.Fatalf("indexes: %d / %d docs", len(docs13), len(docs14))
	}
	if got := string(docs13[b.Records[0].ID]); got != string(b.Records[0].Data) {
		t.Errorf("doc %s = %s", b.Records[0].ID, got)
	}
	if got := string(docs13[b.Records[5].ID]); got != `{"pretty":true}` {
		t.Errorf("multi-line doc = %s", got)
	}
	// A retry of the same batch overwrites: the ids are the records'.
	if err := o.Deliver(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if bs.count() != 90 {
		t.Fatalf("%d docs after a retry, want 90", bs.count())
	}
	f := o.RecordFields(b.Records[70])
	if f["esDocumentId"] != b.Records[70].ID || f["esIndexName"] != "logs-2016-02-25-14" || f["esTypeName"] != "" {
		t.Errorf("record fields %v", f)
	}
	if o.ErrorOutputType() != "AmazonOpenSearchService-failed" {
		t.Errorf("error output type %q", o.ErrorOutputType())
	}
}

func TestOpenSearchNoDocumentIDAndType(t *testing.T) {
	bs := newBulkServer(t, "", "")
	o := newTestOpenSearch(t, OpenSearchConfig{Endpoint: bs.srv.URL + "/", IndexName: "ev",
		IndexRotationPeriod: RotateNone, TypeName: "_doc", DocumentIDFormat: DocumentIDNone, Elasticsearch: true})
	b := testBatch(4)
	for range 2 {
		if err := o.Deliver(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	bs.mu.Lock()
	typ := bs.types["ev"]
	bs.mu.Unlock()
	if bs.count() != 8 || typ != "_doc" {
		t.Fatalf("%d docs, type %q: the cluster assigns ids, so a retry duplicates", bs.count(), typ)
	}
	if o.ErrorOutputType() != "elasticsearch-failed" {
		t.Errorf("error output type %q", o.ErrorOutputType())
	}
}

func TestOpenSearchPartialFailures(t *testing.T) {
	bs := newBulkServer(t, "", "")
	bs.mu.Lock()
	bs.flaky["hot"] = 1
	bs.mu.Unlock()
	o := newTestOpenSearch(t, OpenSearchConfig{Endpoint: bs.srv.URL, IndexName: "p", IndexRotationPeriod: RotateNone})
	b := testBatch(6)
	b.Records[1].Data = []byte(`not json`)
	b.Records[3].Data = []byte(`{"fail":"hot"}`)
	b.Records[4].Data = []byte(`{"fail":400}`)

	err := o.Deliver(context.Background(), b)
	e := asDeliveryError(t, err)
	if fmt.Sprint(e.Failed) != "[1 3 4]" || e.Permanent {
		t.Fatalf("first attempt: failed %v permanent %v (%s)", e.Failed, e.Permanent, e.Message)
	}
	var be *BulkError
	if !errors.As(err, &be) {
		t.Fatalf("%T is not a *BulkError", err)
	}
	for i, want := range map[int]string{1: CodeInvalidDocument, 3: "429", 4: "400"} {
		if code, msg := be.RecordCode(i); code != want || msg == "" {
			t.Errorf("record %d: code %s (%s), want %s", i, code, msg, want)
		}
	}
	bs.mu.Lock()
	actions := bs.actions
	bs.mu.Unlock()
	if actions != 5 {
		t.Errorf("the cluster got %d actions: the record that is not JSON must not be sent", actions)
	}

	// The engine retries the failed records: the throttled one goes in,
	// and what is left can never be indexed.
	retry := b
	retry.Records = []delivery.Record{b.Records[1], b.Records[3], b.Records[4]}
	e = asDeliveryError(t, o.Deliver(context.Background(), retry))
	if fmt.Sprint(e.Failed) != "[0 2]" || !e.Permanent || e.Code != "400" {
		t.Fatalf("retry: failed %v permanent %v code %s", e.Failed, e.Permanent, e.Code)
	}
	if bs.count() != 4 {
		t.Fatalf("%d docs indexed, want 4", bs.count())
	}

	// When every record fails, Failed is nil (the whole batch).
	all := b
	all.Records = []delivery.Record{b.Records[4]}
	e = asDeliveryError(t, o.Deliver(context.Background(), all))
	if e.Failed != nil || !e.Permanent {
		t.Fatalf("all failed: %+v", e)
	}
}

func TestOpenSearchClusterRefusals(t *testing.T) {
	bs := newBulkServer(t, "admin", "right")
	o := newTestOpenSearch(t, OpenSearchConfig{Endpoint: bs.srv.URL, IndexName: "x", Username: "admin", Password: "wrong"})
	e := asDeliveryError(t, o.Deliver(context.Background(), testBatch(2)))
	if e.Code != "401" || e.Permanent || e.Failed != nil || !strings.Contains(e.Message, "security_exception") {
		t.Fatalf("bad credentials: %+v", e)
	}

	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"took":1,"errors":false,"items":[]}`)
	}))
	t.Cleanup(garbled.Close)
	o2 := newTestOpenSearch(t, OpenSearchConfig{Endpoint: garbled.URL, IndexName: "x"})
	e = asDeliveryError(t, o2.Deliver(context.Background(), testBatch(2)))
	if e.Code != "OS.InvalidResponse" || e.Permanent || e.Failed != nil {
		t.Fatalf("reply without items: %+v", e)
	}
}
