package kinesis

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/fxamacker/cbor/v2"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/web/awsapi"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// post sends one Kinesis request to srv.
func post(t *testing.T, srv *httptest.Server, op, body string) *http.Response {
	t.Helper()
	return postAs(t, srv, op, awsapi.ContentTypeJSON11, body)
}

func postAs(t *testing.T, srv *httptest.Server, op, contentType, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("X-Amz-Date", "20260301T120000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readEvent(t *testing.T, r io.Reader) eventstream.Message {
	t.Helper()
	msg, err := eventstream.NewDecoder().Decode(r, nil)
	if err != nil {
		t.Fatalf("decode event: %v", err)
	}
	return msg
}

func header(m eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

// subscribeEnv is an engine with a one-shard stream s and an ACTIVE
// consumer, served by a handler.
func subscribeEnv(t *testing.T) (*datastreams.Engine, *httptest.Server, *clock, string) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	kr, _ := envelope.NewStatic(make([]byte, 32))
	e, err := datastreams.Open(datastreams.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(clk.Now), Keyring: kr, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(e, &awsapi.Auth{}, slog.New(slog.DiscardHandler)))
	// Closing the engine ends the subscriptions, and so the answers that
	// the server's Close waits for.
	t.Cleanup(func() { e.Close(); srv.Close() })
	if err := e.CreateStream(datastreams.CreateStreamInput{Name: "s", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := e.RegisterConsumer(context.Background(), "arn:aws:kinesis:us-east-1:000000000000:stream/s", "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	for d, _ := e.DescribeConsumer(datastreams.ConsumerRef{ARN: c.ARN}); d.Status != datastreams.ConsumerActive; d, _ = e.DescribeConsumer(datastreams.ConsumerRef{ARN: c.ARN}) {
		time.Sleep(time.Millisecond)
	}
	return e, srv, clk, c.ARN
}

func TestSubscribeToShardEventStream(t *testing.T) {
	e, srv, clk, arn := subscribeEnv(t)
	c := datastreams.Consumer{ARN: arn}
	subscribe := `{"ConsumerARN":"` + c.ARN + `","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}}`

	// Errors before the stream are JSON errors.
	resp := post(t, srv, "SubscribeToShard", `{"ConsumerARN":"`+c.ARN+`","ShardId":"shardId-000000000000"}`)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 400 || !strings.Contains(string(b), `"__type":"ValidationException"`) ||
		!strings.Contains(string(b), "Value null at 'startingPosition' failed to satisfy constraint: Member must not be null") {
		t.Fatalf("no StartingPosition: %d %s", resp.StatusCode, b)
	}

	first := post(t, srv, "SubscribeToShard", subscribe)
	if first.StatusCode != 200 || first.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" {
		t.Fatalf("answer %d %s", first.StatusCode, first.Header.Get("Content-Type"))
	}
	m := readEvent(t, first.Body)
	if header(m, ":message-type") != "event" || header(m, ":event-type") != "initial-response" {
		t.Fatalf("first message %v", m.Headers)
	}
	m = readEvent(t, first.Body)
	var ev struct {
		Records                    []map[string]any
		ContinuationSequenceNumber *string
		MillisBehindLatest         *int64
	}
	if err := json.Unmarshal(m.Payload, &ev); err != nil || header(m, ":event-type") != "SubscribeToShardEvent" ||
		header(m, ":content-type") != "application/json" || ev.Records == nil || len(ev.Records) != 0 ||
		ev.ContinuationSequenceNumber == nil || ev.MillisBehindLatest == nil {
		t.Fatalf("first event %v %s: %v", m.Headers, m.Payload, err)
	}
	out, err := e.PutRecords(context.Background(), datastreams.StreamRef{Name: "s"}, []datastreams.PutEntry{{PartitionKey: "k", Data: []byte("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	m = readEvent(t, first.Body)
	json.Unmarshal(m.Payload, &ev)
	if len(ev.Records) != 1 || ev.Records[0]["Data"] != "aGk=" || ev.Records[0]["PartitionKey"] != "k" ||
		ev.Records[0]["SequenceNumber"] != out.Results[0].SequenceNumber || *ev.ContinuationSequenceNumber != out.Results[0].SequenceNumber {
		t.Fatalf("record event %s", m.Payload)
	}

	// A second subscription at once is refused, as a JSON error.
	resp = post(t, srv, "SubscribeToShard", subscribe)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "ResourceInUseException" {
		t.Fatalf("second subscription: %d %s", resp.StatusCode, b)
	}
	// Five seconds on, one takes over: the first stream ends with an
	// exception event.
	clk.Add(5 * time.Second)
	second := post(t, srv, "SubscribeToShard", subscribe)
	if second.StatusCode != 200 {
		t.Fatalf("takeover: %d", second.StatusCode)
	}
	// (Five seconds is also the heartbeat: events without records may
	// come first.)
	for m = readEvent(t, first.Body); header(m, ":message-type") == "event"; m = readEvent(t, first.Body) {
	}
	if header(m, ":message-type") != "exception" || header(m, ":exception-type") != "ResourceInUseException" ||
		!strings.Contains(string(m.Payload), `"message":"Another active subscription exists for this consumer`) {
		t.Fatalf("taken over: %v %s", m.Headers, m.Payload)
	}
	if _, err := eventstream.NewDecoder().Decode(first.Body, nil); err != io.EOF {
		t.Fatalf("after the exception: %v", err)
	}
}

// A CBOR request gets CBOR event payloads: raw record bytes, AWS's
// timestamps (tag 1), and CBOR errors before the stream.
func TestSubscribeToShardCBOR(t *testing.T) {
	e, srv, _, arn := subscribeEnv(t)
	req, _ := cbor.Marshal(map[string]any{"ConsumerARN": arn, "ShardId": "shardId-000000000000", "StartingPosition": map[string]any{"Type": "TRIM_HORIZON"}})
	if _, err := e.PutRecords(context.Background(), datastreams.StreamRef{Name: "s"}, []datastreams.PutEntry{{PartitionKey: "k", Data: []byte{0, 1, 0xff}}}); err != nil {
		t.Fatal(err)
	}
	resp := postAs(t, srv, "SubscribeToShard", awsapi.ContentTypeCBOR11, string(req))
	if resp.StatusCode != 200 {
		t.Fatalf("answer %d", resp.StatusCode)
	}
	if m := readEvent(t, resp.Body); header(m, ":event-type") != "initial-response" {
		t.Fatalf("first message %v", m.Headers)
	}
	m := readEvent(t, resp.Body)
	var ev struct {
		Records []struct {
			Data                        []byte
			PartitionKey                string
			ApproximateArrivalTimestamp cbor.RawMessage
		}
		ContinuationSequenceNumber string
	}
	if err := cbor.Unmarshal(m.Payload, &ev); err != nil || header(m, ":content-type") != awsapi.ContentTypeCBOR11 {
		t.Fatalf("event %v %x: %v", m.Headers, m.Payload, err)
	}
	if len(ev.Records) != 1 || string(ev.Records[0].Data) != "\x00\x01\xff" || ev.Records[0].PartitionKey != "k" ||
		ev.Records[0].ApproximateArrivalTimestamp[0] != 0xc1 || ev.ContinuationSequenceNumber == "" {
		t.Fatalf("CBOR event %+v", ev)
	}
	// An error before the stream is a CBOR error.
	bad, _ := cbor.Marshal(map[string]any{"ConsumerARN": arn, "ShardId": "shardId-000000000009", "StartingPosition": map[string]any{"Type": "LATEST"}})
	resp = postAs(t, srv, "SubscribeToShard", awsapi.ContentTypeCBOR11, string(bad))
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := cbor.Unmarshal(b, &out); err != nil || resp.StatusCode != 400 || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("CBOR error: %d %x %v", resp.StatusCode, b, err)
	}
}
