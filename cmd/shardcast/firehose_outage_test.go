package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// fhDestinationHealth is what GET /admin/v1/firehose says of a delivery
// stream's first destination.
type fhDestinationHealth struct {
	Failing          bool   `json:"failing"`
	LastError        string `json:"lastError"`
	Failures         int64  `json:"failures"`
	DeliveredRecords int64  `json:"deliveredRecords"`
}

func fhHealth(t *testing.T, url, name string) fhDestinationHealth {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/admin/v1/firehose", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []struct {
		Name         string                `json:"name"`
		Destinations []fhDestinationHealth `json:"destinations"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, s := range out {
		if s.Name == name && len(s.Destinations) > 0 {
			return s.Destinations[0]
		}
	}
	t.Fatalf("admin: no delivery stream %s in %+v", name, out)
	return fhDestinationHealth{}
}

func fhFailure(t *testing.T, c *firehose.Client, name string) *types.FailureDescription {
	t.Helper()
	d, err := c.DescribeDeliveryStream(context.Background(), &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return d.DeliveryStreamDescription.FailureDescription
}

// The HTTP endpoint goes down for 30 s while records keep coming, then
// comes back on the same address: every acknowledged record is delivered,
// in the order put, none twice within one request; a request sent again
// carries the same id and the same records. The stream reports the
// failure (DescribeDeliveryStream's FailureDescription, the admin
// endpoint's failing and lastError) while the endpoint is down and clears
// it once delivery works again.
func TestFirehoseHTTPEndpointOutage(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Firehose.MaxBackoff = 2 * time.Second
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{accessKey: "k", attrs: map[string]string{"a": "b"}}
	rcv.start(t)
	fhCreateHTTPStream(t, c, "outage", fhHTTPDest(rcv, "outage-errors", 300))

	var (
		mu      sync.Mutex
		acked   []string
		putErrs []error
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var recs []types.Record
			var lines []string
			for j := range 10 {
				l := fmt.Sprintf("o-%06d-%d", i, j)
				lines = append(lines, l)
				recs = append(recs, types.Record{Data: []byte(l)})
			}
			out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("outage"), Records: recs})
			mu.Lock()
			if err == nil && aws.ToInt32(out.FailedPutCount) != 0 {
				err = fmt.Errorf("PutRecordBatch: %d failed", aws.ToInt32(out.FailedPutCount))
			}
			if err != nil {
				putErrs = append(putErrs, err)
			} else {
				acked = append(acked, lines...)
			}
			mu.Unlock()
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	rcv.waitRecords(t, 100) // delivery works
	rcv.stop()
	down := time.Now()
	waitFor(t, time.Minute, "FailureDescription while the endpoint is down", func() bool {
		f := fhFailure(t, c, "outage")
		return f != nil && aws.ToString(f.Details) != ""
	})
	h := fhHealth(t, srv.URL(), "outage")
	if !h.Failing || h.LastError == "" || h.Failures == 0 {
		t.Fatalf("admin while the endpoint is down: %+v", h)
	}
	t.Logf("while down: %s; admin: %+v", aws.ToString(fhFailure(t, c, "outage").Details), h)
	time.Sleep(30*time.Second - time.Since(down))
	rcv.start(t)
	time.Sleep(2 * time.Second) // puts go on after the endpoint is back
	close(stop)
	wg.Wait()

	mu.Lock()
	want := slices.Clone(acked)
	errs := putErrs
	mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("%d puts failed while the endpoint was down, the first: %v", len(errs), errs[0])
	}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w] = true
	}
	var reqs []fhRequest
	waitFor(t, time.Minute, fmt.Sprintf("all %d acknowledged records delivered", len(want)), func() bool {
		reqs = rcv.taken(t)
		seen := map[string]bool{}
		for _, q := range reqs {
			for _, r := range q.Records {
				seen[string(r)] = true
			}
		}
		for _, w := range want {
			if !seen[w] {
				return false
			}
		}
		return true
	})

	// Within a request, no record twice; a repeated request id carries
	// the same records; first deliveries come in the order put.
	byID := map[string][]string{}
	repeated := 0
	var order []string
	first := map[string]bool{}
	for _, q := range reqs {
		inReq := map[string]bool{}
		var recs []string
		for _, r := range q.Records {
			s := string(r)
			if inReq[s] {
				t.Fatalf("request %s holds %s twice", q.ID, s)
			}
			if !wanted[s] {
				t.Fatalf("request %s holds %q, never put", q.ID, s)
			}
			inReq[s] = true
			recs = append(recs, s)
			if !first[s] {
				first[s] = true
				order = append(order, s)
			}
		}
		if prev, ok := byID[q.ID]; ok {
			repeated++
			if !slices.Equal(prev, recs) {
				t.Fatalf("request %s sent again with other records", q.ID)
			}
		}
		byID[q.ID] = recs
	}
	if !slices.Equal(order, want) {
		t.Fatalf("records first delivered out of the order put (%d delivered, %d put)", len(order), len(want))
	}
	t.Logf("%d records put and delivered in %d requests; %d requests repeated (at-least-once across attempts)", len(want), len(reqs), repeated)

	waitFor(t, time.Minute, "the failure cleared", func() bool {
		return fhFailure(t, c, "outage") == nil && !fhHealth(t, srv.URL(), "outage").Failing
	})
}

// An endpoint URL that answers nothing, then UpdateDestination to one that
// works: the records put meanwhile reach the new endpoint, none lost.
func TestFirehoseHTTPEndpointUpdateWhileFailing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Firehose.MaxBackoff = time.Second
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	dead := &fhReceiver{attrs: map[string]string{}}
	dead.start(t)
	dead.stop() // its port now refuses connections
	fhCreateHTTPStream(t, c, "moved", fhHTTPDest(dead, "moved-errors", 300))
	var want []string
	var recs [][]byte
	for i := range 20 {
		r := fmt.Sprintf("moved-%02d", i)
		want = append(want, r)
		recs = append(recs, []byte(r))
	}
	putBatch(t, c, "moved", recs[:10])
	waitFor(t, time.Minute, "the stream failing", func() bool { return fhFailure(t, c, "moved") != nil })

	live := &fhReceiver{accessKey: "new-key", attrs: map[string]string{}}
	live.start(t)
	ctx := context.Background()
	if _, err := c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{DeliveryStreamName: aws.String("moved"),
		CurrentDeliveryStreamVersionId: aws.String("1"), DestinationId: aws.String("destinationId-000000000001"),
		HttpEndpointDestinationUpdate: &types.HttpEndpointDestinationUpdate{
			EndpointConfiguration: &types.HttpEndpointConfiguration{Url: aws.String(live.url()), AccessKey: aws.String("new-key")}}}); err != nil {
		t.Fatal(err)
	}
	putBatch(t, c, "moved", recs[10:])
	var got []string
	for _, q := range live.waitRecords(t, len(want)) {
		for _, r := range q.Records {
			got = append(got, string(r))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
	waitFor(t, time.Minute, "the failure cleared", func() bool { return fhFailure(t, c, "moved") == nil })
}

// Records acknowledged while the endpoint is down survive a restart of
// the server: once both are back, every one is delivered.
func TestFirehoseHTTPEndpointRestartWhileDown(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Storage == "memory" {
		cfg.Storage = "file"
	}
	cfg.Firehose.MaxBackoff = time.Second
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	rcv := &fhReceiver{attrs: map[string]string{}}
	rcv.start(t)
	fhCreateHTTPStream(t, c, "kept", fhHTTPDest(rcv, "kept-errors", 300))
	putBatch(t, c, "kept", [][]byte{[]byte("before-0"), []byte("before-1")})
	rcv.waitRecords(t, 2)
	rcv.stop()
	putBatch(t, c, "kept", [][]byte{[]byte("down-0"), []byte("down-1")})
	waitFor(t, time.Minute, "the stream failing", func() bool { return fhFailure(t, c, "kept") != nil })
	srv.Close()

	rcv.start(t)
	srv = startServer(t, cfg)
	c = firehoseClient(srv.URL())
	putBatch(t, c, "kept", [][]byte{[]byte("after-0")})
	want := []string{"before-0", "before-1", "down-0", "down-1", "after-0"}
	waitFor(t, time.Minute, "every record delivered", func() bool {
		seen := map[string]bool{}
		for _, q := range rcv.taken(t) {
			for _, r := range q.Records {
				seen[string(r)] = true
			}
		}
		for _, w := range want {
			if !seen[w] {
				return false
			}
		}
		return true
	})
	var first []string
	seen := map[string]bool{}
	for _, q := range rcv.taken(t) {
		for _, r := range q.Records {
			if !seen[string(r)] {
				seen[string(r)] = true
				first = append(first, string(r))
			}
		}
	}
	if !slices.Equal(first, want) {
		t.Fatalf("first deliveries %q, want %q", first, want)
	}
}
