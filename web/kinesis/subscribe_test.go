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
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", awsapi.ContentTypeJSON11)
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

func TestSubscribeToShardEventStream(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	kr, _ := envelope.NewStatic(make([]byte, 32))
	e, err := datastreams.Open(datastreams.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(clk.Now), Keyring: kr, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(e, &awsapi.Auth{}, slog.New(slog.DiscardHandler)))
	// Closing the engine ends the subscriptions, and so the answers that
	// the server's Close waits for.
	defer func() { e.Close(); srv.Close() }()
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
