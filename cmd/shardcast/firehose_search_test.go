package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// fhIssues keeps what a test server finds wrong (its handlers run outside
// the test goroutine).
type fhIssues struct {
	mu   sync.Mutex
	list []string
}

func (i *fhIssues) add(format string, args ...any) {
	i.mu.Lock()
	i.list = append(i.list, fmt.Sprintf(format, args...))
	i.mu.Unlock()
}

func (i *fhIssues) check(t *testing.T) {
	t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.list) > 0 {
		t.Fatalf("the test server found %d problems, the first: %s", len(i.list), i.list[0])
	}
}

// bulkServer is a strict stand-in for an OpenSearch cluster's _bulk API:
// basic auth, NDJSON of index actions with _index and _id, one JSON
// object a document; it answers an item a document, as the cluster does.
type bulkServer struct {
	fhIssues
	docs map[string]map[string]string // index -> _id -> document
}

func (s *bulkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "firehose" || p != "s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		s.add("auth %q %q %v", u, p, ok)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/_bulk" || r.Header.Get("Content-Type") != "application/x-ndjson" {
		s.add("%s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if !bytes.HasSuffix(body, []byte("\n")) {
		s.add("the body does not end with a newline")
	}
	var items []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var action map[string]struct {
			Index string  `json:"_index"`
			ID    string  `json:"_id"`
			Type  *string `json:"_type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || len(action) != 1 {
			s.add("action %q: %v", sc.Bytes(), err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		a, ok := action["index"]
		if !ok || a.Index == "" || a.ID == "" || a.Type != nil {
			s.add("action %q", sc.Bytes())
		}
		if !sc.Scan() {
			s.add("an action without its document")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			s.add("document %q: %v", sc.Bytes(), err)
		}
		s.mu.Lock()
		if s.docs[a.Index] == nil {
			s.docs[a.Index] = map[string]string{}
		}
		result, status := "created", 201
		if _, ok := s.docs[a.Index][a.ID]; ok {
			result, status = "updated", 200
		}
		s.docs[a.Index][a.ID] = sc.Text()
		s.mu.Unlock()
		items = append(items, map[string]any{"index": map[string]any{"_index": a.Index, "_id": a.ID, "_version": 1, "result": result, "status": status}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"took": 3, "errors": false, "items": items})
}

// An OpenSearch destination through the server: documents are indexed
// under FIREHOSE_DEFAULT ids (one a record) in the day-rotated index; a
// record that is not JSON goes to the error output with the fields AWS
// adds for OpenSearch.
func TestFirehoseOpenSearchBulk(t *testing.T) {
	bulk := &bulkServer{docs: map[string]map[string]string{}}
	ts := httptest.NewServer(bulk)
	defer ts.Close()
	const domain = "arn:aws:es:us-east-1:123456789012:domain/logs"
	cfg := testConfig(t)
	cfg.Firehose.OpenSearch = map[string]FirehoseCluster{domain: {URL: ts.URL, Username: "firehose", Password: "s3cret"}}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	from := time.Now().UTC()
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("search"),
		AmazonopensearchserviceDestinationConfiguration: &types.AmazonopensearchserviceDestinationConfiguration{
			DomainARN: aws.String(domain), IndexName: aws.String("logs"), RoleARN: aws.String(fhRole),
			IndexRotationPeriod: types.AmazonopensearchserviceIndexRotationPeriodOneDay,
			BufferingHints:      &types.AmazonopensearchserviceBufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			DocumentIdOptions:   &types.DocumentIdOptions{DefaultDocumentIdFormat: types.DefaultDocumentIdFormatFirehoseDefault},
			RetryOptions:        &types.AmazonopensearchserviceRetryOptions{DurationInSeconds: aws.Int32(60)},
			S3BackupMode:        types.AmazonopensearchserviceS3BackupModeFailedDocumentsOnly,
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::search-errors"), RoleARN: aws.String(fhRole),
				CompressionFormat: types.CompressionFormatUncompressed},
		}}); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	want := map[string]bool{}
	for i := range 20 {
		doc := fmt.Sprintf(`{"n":%d,"msg":"line %d"}`, i, i)
		want[doc] = true
		recs = append(recs, []byte(doc))
	}
	recs = append(recs, []byte("not json"))
	putBatch(t, c, "search", recs)

	dir := filepath.Join(cfg.DataDir, "s3", "search-errors")
	waitFor(t, time.Minute, "the documents and the error output", func() bool {
		bulk.mu.Lock()
		n := 0
		for _, docs := range bulk.docs {
			n += len(docs)
		}
		bulk.mu.Unlock()
		return n >= len(want) && len(fhErrorRecords(t, dir, objects(t, dir))) >= 1
	})
	bulk.check(t)
	to := time.Now().UTC()
	bulk.mu.Lock()
	defer bulk.mu.Unlock()
	if len(bulk.docs) != 1 {
		t.Fatalf("indexes %v", bulk.docs)
	}
	for index, docs := range bulk.docs {
		if index != "logs-"+from.Format("2006-01-02") && index != "logs-"+to.Format("2006-01-02") {
			t.Fatalf("index %s, want logs-%s", index, from.Format("2006-01-02"))
		}
		if len(docs) != len(want) {
			t.Fatalf("%d documents, want %d", len(docs), len(want))
		}
		for _, d := range docs {
			if !want[d] {
				t.Fatalf("document %s was never put", d)
			}
		}
	}
	errs := fhErrorRecords(t, dir, objects(t, dir))
	if len(errs) != 1 || fhRawData(t, errs[0]) != "not json" || errs[0]["esDocumentId"] == "" || !strings.HasPrefix(fmt.Sprint(errs[0]["esIndexName"]), "logs-") {
		t.Fatalf("error output %v", errs)
	}
	for _, n := range objects(t, dir) {
		if !strings.HasPrefix(n, "AmazonOpenSearchService-failed/") {
			t.Fatalf("error object %s", n)
		}
	}
}

// hecServer is a strict stand-in for a Splunk HTTP Event Collector with
// indexer acknowledgement: raw events need the token and a channel; an
// ackId is acknowledged on the second query, and only then are its events
// indexed.
type hecServer struct {
	fhIssues
	token   string // the collector's token; another is refused (HEC code 4)
	next    int64
	pending map[int64][]byte
	asked   map[int64]int
	indexed []byte
	channel string
}

func (s *hecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Splunk "+s.token {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"text":"Invalid token","code":4}`)
		return
	}
	ch := r.Header.Get("X-Splunk-Request-Channel")
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch == "" || (s.channel != "" && ch != s.channel) {
		s.list = append(s.list, fmt.Sprintf("channel %q after %q", ch, s.channel))
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"text":"Data channel is missing","code":10}`)
		return
	}
	s.channel = ch
	switch r.URL.Path {
	case "/services/collector/raw":
		if len(body) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"text":"No data","code":5}`)
			return
		}
		s.next++
		s.pending[s.next] = body
		fmt.Fprintf(w, `{"text":"Success","code":0,"ackId":%d}`, s.next)
	case "/services/collector/ack":
		var q struct {
			Acks []int64 `json:"acks"`
		}
		if err := json.Unmarshal(body, &q); err != nil || len(q.Acks) == 0 {
			s.list = append(s.list, fmt.Sprintf("ack query %q", body))
		}
		acks := map[string]bool{}
		for _, id := range q.Acks {
			s.asked[id]++
			done := s.asked[id] >= 2
			if data, ok := s.pending[id]; ok && done {
				s.indexed = append(s.indexed, data...)
				delete(s.pending, id)
			}
			acks[strconv.FormatInt(id, 10)] = done
		}
		json.NewEncoder(w).Encode(map[string]any{"acks": acks})
	default:
		s.list = append(s.list, "path "+r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// A Splunk destination (Raw HEC endpoint) through the server: the events
// are sent with the token on one channel, acknowledged by the indexer,
// and what is indexed is exactly what was put, in order.
func TestFirehoseSplunkHEC(t *testing.T) {
	hec := &hecServer{token: "00000000-hec-token", pending: map[int64][]byte{}, asked: map[int64]int{}}
	ts := httptest.NewServer(hec)
	defer ts.Close()
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("hec"),
		SplunkDestinationConfiguration: &types.SplunkDestinationConfiguration{
			HECEndpoint: aws.String(ts.URL), HECEndpointType: types.HECEndpointTypeRaw, HECToken: aws.String("00000000-hec-token"),
			HECAcknowledgmentTimeoutInSeconds: aws.Int32(180),
			BufferingHints:                    &types.SplunkBufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			RetryOptions:                      &types.SplunkRetryOptions{DurationInSeconds: aws.Int32(60)},
			S3BackupMode:                      types.SplunkS3BackupModeFailedEventsOnly,
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::hec-errors"), RoleARN: aws.String(fhRole),
				CompressionFormat: types.CompressionFormatUncompressed},
		}}); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for b := range 3 {
		var recs [][]byte
		for i := range 10 {
			r := []byte(fmt.Sprintf("2026-01-01T00:00:00Z host=web%d event=%d\n", b, i))
			recs = append(recs, r)
			want = append(want, r...)
		}
		putBatch(t, c, "hec", recs)
	}
	waitFor(t, time.Minute, "the events indexed", func() bool {
		hec.mu.Lock()
		defer hec.mu.Unlock()
		return len(hec.indexed) >= len(want)
	})
	hec.check(t)
	hec.mu.Lock()
	got := string(hec.indexed)
	hec.mu.Unlock()
	if got != string(want) {
		t.Fatalf("indexed %q\nwant %q", got, want)
	}
	srv.firehose.Sync(t.Context())
	if names := objects(t, filepath.Join(cfg.DataDir, "s3", "hec-errors")); len(names) != 0 {
		t.Fatalf("error output: %v", names)
	}
}

// A collector that refuses the token: with RetryOptions.DurationInSeconds
// 0 the events go to the error output under splunk-failed/ with
// Splunk.InvalidToken, the collector's reply and their EventId.
func TestFirehoseSplunkGivesUp(t *testing.T) {
	hec := &hecServer{token: "the-right-token", pending: map[int64][]byte{}, asked: map[int64]int{}}
	ts := httptest.NewServer(hec)
	defer ts.Close()
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("hecbad"),
		SplunkDestinationConfiguration: &types.SplunkDestinationConfiguration{
			HECEndpoint: aws.String(ts.URL + "/services/collector"), HECEndpointType: types.HECEndpointTypeRaw, HECToken: aws.String("a-wrong-token"),
			BufferingHints: &types.SplunkBufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			RetryOptions:   &types.SplunkRetryOptions{DurationInSeconds: aws.Int32(0)},
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::hecbad"), RoleARN: aws.String(fhRole),
				CompressionFormat: types.CompressionFormatUncompressed},
		}}); err != nil {
		t.Fatal(err)
	}
	putBatch(t, c, "hecbad", [][]byte{[]byte("event one\n"), []byte("event two\n")})
	dir := filepath.Join(cfg.DataDir, "s3", "hecbad")
	var errs []map[string]any
	waitFor(t, time.Minute, "the error output", func() bool {
		errs = fhErrorRecords(t, dir, objects(t, dir))
		return len(errs) >= 2
	})
	hec.check(t)
	for i, e := range errs {
		if fhRawData(t, e) != []string{"event one\n", "event two\n"}[i] || e["errorCode"] != "Splunk.InvalidToken" ||
			!strings.Contains(fmt.Sprint(e["errorMessage"]), "Invalid token") || e["EventId"] == nil || e["EventId"] == "" {
			t.Fatalf("error record %d: %v", i, e)
		}
	}
	for _, n := range objects(t, dir) {
		if !strings.HasPrefix(n, "splunk-failed/") {
			t.Fatalf("error object %s", n)
		}
	}
	hec.mu.Lock()
	defer hec.mu.Unlock()
	if len(hec.indexed) != 0 || len(hec.pending) != 0 {
		t.Fatalf("events taken with a wrong token: %q %v", hec.indexed, hec.pending)
	}
}
