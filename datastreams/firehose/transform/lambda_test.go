package transform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

const (
	fnARN     = "arn:aws:lambda:us-east-1:123456789012:function:transform"
	streamARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s"
)

// function is a transform function served over HTTP the way shardcast
// calls one: it reads the Firehose event and answers like the usual
// Firehose transform functions do. Records holding "drop" are Dropped, those
// holding "fail" are ProcessingFailed, and the others come back upper-cased with a partition
// key. answer, when set, replaces the response of call n (1-based).
type function struct {
	mu     sync.Mutex
	events []event
	answer func(n int, ev event, ok []byte) (status int, body []byte)
}

func (f *function) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	n := len(f.events)
	answer := f.answer
	f.mu.Unlock()

	type result struct {
		RecordID string  `json:"recordId"`
		Result   string  `json:"result"`
		Data     *string `json:"data,omitempty"`
		Metadata any     `json:"metadata,omitempty"`
	}
	var results []result
	for _, rec := range ev.Records {
		data, _ := base64.StdEncoding.DecodeString(rec.Data)
		switch {
		case strings.Contains(string(data), "drop"):
			results = append(results, result{RecordID: rec.RecordID, Result: "Dropped"})
		case strings.Contains(string(data), "fail"):
			results = append(results, result{RecordID: rec.RecordID, Result: "ProcessingFailed", Data: &rec.Data})
		default:
			out := base64.StdEncoding.EncodeToString([]byte(strings.ToUpper(string(data))))
			results = append(results, result{
				RecordID: rec.RecordID, Result: "Ok", Data: &out,
				Metadata: map[string]any{"partitionKeys": map[string]string{"customer": string(data[:min(len(data), 16)])}},
			})
		}
	}
	// Answer in reverse order: ids, not positions, match results.
	for i, j := 0, len(results)-1; i < j; i, j = i+1, j-1 {
		results[i], results[j] = results[j], results[i]
	}
	ok, _ := json.Marshal(map[string]any{"records": results})
	status, body := http.StatusOK, ok
	if answer != nil {
		status, body = answer(n, ev, ok)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *function) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func lambdaPipeline(t *testing.T, f http.Handler, cfg Config, kv ...string) *Pipeline {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.LambdaEndpoints = map[string]string{fnARN: srv.URL + "/2015-03-31/functions/transform/invocations"}
	cfg.StreamARN = streamARN
	cfg.Region = "us-east-1"
	cfg.RetryBackoff = time.Millisecond
	cfg.Processing = procs(proc(TypeLambda, append([]string{"LambdaArn", fnARN}, kv...)...))
	return mustNew(t, cfg)
}

func TestLambdaTransforms(t *testing.T) {
	f := &function{}
	p := lambdaPipeline(t, f, Config{DynamicPartitioning: true})
	in := recs("alpha", "drop", "fail", "beta", "")
	out, failed := run(t, p, in)
	if got := datas(out); !reflect.DeepEqual(got, []string{"ALPHA", "BETA", ""}) {
		t.Errorf("out = %q", got)
	}
	if out[0].PartitionKeys["customer"] != "alpha" || out[1].PartitionKeys["customer"] != "beta" {
		t.Errorf("partition keys: %v %v", out[0].PartitionKeys, out[1].PartitionKeys)
	}
	if out[0].ID != "r0" || out[1].Arrival != in[3].Arrival {
		t.Errorf("record identity changed: %+v", out[0])
	}
	if len(failed) != 1 {
		t.Fatalf("failed = %+v", failed)
	}
	want := Failed{Record: in[2], OutputType: OutputProcessingFailed, Code: CodeLambdaProcessingFailed,
		Message: "ProcessingFailed status set for record", LambdaARN: fnARN, Attempts: 1}
	if !reflect.DeepEqual(failed[0], want) {
		t.Errorf("failed[0] = %+v, want %+v", failed[0], want)
	}
	if f.calls() != 1 {
		t.Fatalf("%d calls", f.calls())
	}
	ev := f.events[0]
	if ev.InvocationID == "" || ev.DeliveryStreamArn != streamARN || ev.Region != "us-east-1" || ev.SourceKinesisStreamArn != "" {
		t.Errorf("event = %+v", ev)
	}
	r := ev.Records[0]
	if r.RecordID != "r0" || r.ApproximateArrivalTimestamp != t0.UnixMilli() || r.Data != "YWxwaGE=" || r.KinesisRecordMetadata != nil {
		t.Errorf("event record = %+v", r)
	}
	if ev.Records[4].Data != "" {
		t.Errorf("empty record data = %q", ev.Records[4].Data)
	}

	// Without dynamic partitioning the function's keys are not kept.
	p = lambdaPipeline(t, &function{}, Config{})
	out, _ = run(t, p, recs("alpha"))
	if out[0].PartitionKeys != nil {
		t.Errorf("keys kept without dynamic partitioning: %v", out[0].PartitionKeys)
	}
}

func TestLambdaKinesisSource(t *testing.T) {
	f := &function{}
	p := lambdaPipeline(t, f, Config{KinesisSource: true, SourceStreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/src"})
	in := recs("a")
	in[0].Source = &delivery.KinesisSource{ShardID: "shardId-000000000001", PartitionKey: "pk", SequenceNumber: "49590338271490256608559692538361571095921575989136588898", SubSequence: 0}
	run(t, p, in)
	ev := f.events[0]
	m := ev.Records[0].KinesisRecordMetadata
	if ev.SourceKinesisStreamArn != "arn:aws:kinesis:us-east-1:123456789012:stream/src" || m == nil ||
		m.ShardID != "shardId-000000000001" || m.PartitionKey != "pk" || m.SequenceNumber != in[0].Source.SequenceNumber ||
		m.ApproximateArrivalTimestamp != t0.UnixMilli() {
		t.Errorf("event = %+v, metadata %+v", ev, m)
	}
}

func TestLambdaRetriesThenSucceeds(t *testing.T) {
	f := &function{answer: func(n int, _ event, ok []byte) (int, []byte) {
		if n <= 2 {
			return http.StatusInternalServerError, []byte(`{"errorMessage":"cold start"}`)
		}
		return http.StatusOK, ok
	}}
	p := lambdaPipeline(t, f, Config{})
	out, failed := run(t, p, recs("a", "b"))
	if got := datas(out); !reflect.DeepEqual(got, []string{"A", "B"}) || len(failed) != 0 {
		t.Errorf("out = %q, failed %+v", got, failed)
	}
	if f.calls() != 3 {
		t.Errorf("%d calls, want 3", f.calls())
	}
	if f.events[0].InvocationID != f.events[2].InvocationID {
		t.Error("a retry changed the invocationId")
	}
}

func TestLambdaGivesUp(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int, ev event, ok []byte) (int, []byte)
		code   string
	}{
		{"http 500", func(int, event, []byte) (int, []byte) { return 500, []byte("boom") }, CodeLambdaFunctionError},
		{"http 429", func(int, event, []byte) (int, []byte) { return 429, nil }, CodeLambdaLimitExceeded},
		{"http 404", func(int, event, []byte) (int, []byte) { return 404, nil }, CodeLambdaNotFound},
		{"error payload", func(int, event, []byte) (int, []byte) {
			return 200, []byte(`{"errorMessage":"KeyError: 'x'","errorType":"KeyError"}`)
		}, CodeLambdaFunctionError},
		{"bad json", func(int, event, []byte) (int, []byte) { return 200, []byte(`{"records":[`) }, CodeLambdaJSON},
		{"no records", func(int, event, []byte) (int, []byte) { return 200, []byte(`{}`) }, CodeLambdaJSON},
		{"missing id", func(_ int, ev event, _ []byte) (int, []byte) {
			return 200, []byte(`{"records":[{"recordId":"` + ev.Records[0].RecordID + `","result":"Ok","data":""}]}`)
		}, CodeLambdaMissingRecordID},
		{"unknown id", func(_ int, ev event, _ []byte) (int, []byte) {
			return 200, []byte(`{"records":[{"recordId":"` + ev.Records[0].RecordID + `","result":"Ok","data":""},{"recordId":"zzz","result":"Ok","data":""}]}`)
		}, CodeLambdaMissingRecordID},
		{"duplicated id", func(_ int, ev event, _ []byte) (int, []byte) {
			id := ev.Records[0].RecordID
			return 200, []byte(`{"records":[{"recordId":"` + id + `","result":"Ok","data":""},{"recordId":"` + id + `","result":"Dropped"}]}`)
		}, CodeLambdaDuplicatedID},
		{"bad result", func(_ int, ev event, ok []byte) (int, []byte) {
			return 200, []byte(strings.ReplaceAll(string(ok), `"Ok"`, `"OK"`))
		}, CodeLambdaJSON},
		{"bad base64", func(_ int, ev event, ok []byte) (int, []byte) {
			return 200, []byte(strings.ReplaceAll(string(ok), `"QQ=="`, `"Q@=="`))
		}, CodeLambdaJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &function{answer: tt.answer}
			p := lambdaPipeline(t, f, Config{}, "NumberOfRetries", "2")
			in := recs("a", "b")
			out, failed := run(t, p, in)
			if len(out) != 0 || len(failed) != 2 {
				t.Fatalf("out %q, failed %+v", datas(out), failed)
			}
			for i, fl := range failed {
				if fl.Code != tt.code || fl.Attempts != 3 || fl.LambdaARN != fnARN || fl.OutputType != OutputProcessingFailed ||
					string(fl.Record.Data) != string(in[i].Data) || fl.Message == "" {
					t.Errorf("failed[%d] = %+v, want code %s after 3 attempts", i, fl, tt.code)
				}
			}
			if f.calls() != 3 {
				t.Errorf("%d calls, want 3 (1 + NumberOfRetries)", f.calls())
			}
		})
	}
}

func TestLambdaTimeoutAndCancel(t *testing.T) {
	// The handler reads the request first: the server notices a client
	// that gave up only once the body is consumed.
	block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	p := lambdaPipeline(t, block, Config{LambdaTimeout: 50 * time.Millisecond}, "NumberOfRetries", "0")
	_, failed := run(t, p, recs("a"))
	if len(failed) != 1 || failed[0].Code != CodeLambdaFunctionTimeout {
		t.Errorf("failed = %+v", failed)
	}

	down := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	p = lambdaPipeline(t, down, Config{}, "NumberOfRetries", "300")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, _, err := p.Process(ctx, recs("a"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Process after cancel: %v", err)
	}
}

func TestLambdaBatches(t *testing.T) {
	f := &function{}
	// 0.2 MB = 209715 bytes of records per invocation.
	p := lambdaPipeline(t, f, Config{}, "BufferSizeInMBs", "0.2")
	big := strings.Repeat("x", 100_000)
	in := recs(big+"1", big+"2", big+"3", big+"4", big+"5")
	out, failed := run(t, p, in)
	if len(out) != 5 || len(failed) != 0 {
		t.Fatalf("%d out, %d failed", len(out), len(failed))
	}
	for i, r := range out {
		if !strings.HasSuffix(string(r.Data), string(rune('1'+i))) {
			t.Errorf("out[%d] is out of order", i)
		}
	}
	var sizes []int
	for _, ev := range f.events {
		sizes = append(sizes, len(ev.Records))
	}
	sort.Ints(sizes)
	if !reflect.DeepEqual(sizes, []int{1, 2, 2}) {
		t.Errorf("invocation sizes %v, want [2 2 1]", sizes)
	}
	// Records of 1 MB each with BufferSizeInMBs 3: the 6 MB request limit
	// (base64 grows them by a third) splits first.
	f = &function{}
	p = lambdaPipeline(t, f, Config{}, "BufferSizeInMBs", "3")
	mb := strings.Repeat("y", 1_000_000)
	out, _ = run(t, p, recs(mb, mb, mb, mb, mb, mb))
	if len(out) != 6 {
		t.Fatalf("%d out", len(out))
	}
	for _, ev := range f.events {
		body, _ := json.Marshal(ev)
		if len(body) > maxPayload {
			t.Errorf("a request of %d bytes", len(body))
		}
	}
	if len(f.events) != 2 {
		t.Errorf("%d invocations, want 2 (3 records of 1 MB each)", len(f.events))
	}
}

func TestLambdaDuplicateIDs(t *testing.T) {
	f := &function{}
	p := lambdaPipeline(t, f, Config{})
	in := recs("a", "b")
	in[1].ID = in[0].ID
	out, _ := run(t, p, in)
	if got := datas(out); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("out = %q", got)
	}
	if f.events[0].Records[0].RecordID == f.events[0].Records[1].RecordID {
		t.Error("the event repeats a recordId")
	}
}
