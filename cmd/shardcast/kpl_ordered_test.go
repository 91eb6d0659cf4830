package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// loseAnswers sends every PutRecords call to the server and, for every
// n-th, throws the server's answer away and returns an error instead: the
// records are stored, and the caller cannot know. Other calls pass.
type loseAnswers struct {
	n     int64
	calls atomic.Int64
	lost  atomic.Int64
	next  aws.HTTPClient
}

func (l *loseAnswers) Do(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutRecords") || l.calls.Add(1)%l.n != 0 {
		return l.next.Do(r)
	}
	res, err := l.next.Do(r)
	if err == nil {
		res.Body.Close()
		l.lost.Add(1)
	}
	return nil, errors.New("injected: connection reset after the request was sent")
}

// losingClient is a Kinesis client of srv whose PutRecords answers are
// lost now and then, with the SDK's retries on (the producer must turn
// them off for the call).
func losingClient(url string, lose *loseAnswers) *kinesis.Client {
	lose.next = sdkHTTPClient(awshttp.NewBuildableClient())
	return kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:  lose})
}

// TestKPLProducerOrderedUnknownOutcome puts records through an ordered
// producer without blind retries into a stream that enforces AWS's shard
// limits (entries are throttled), over a transport that loses the answer
// of every 20th PutRecords call after the server stored it. Per shard the
// stream holds the user records in Put order; each record is there once at
// most; a record reported delivered is there where its report says, one
// reported held back is not there, and only records reported with an
// unknown outcome may be there unreported.
func TestKPLProducerOrderedUnknownOutcome(t *testing.T) {
	cfg := testConfig(t)
	cfg.Kinesis.EnforceLimits = true
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "ordered", 2)
	lose := &loseAnswers{n: 20}
	d := newDeliveries()
	no := false
	p, err := producer.New(ctx, producer.Config{Kinesis: losingClient(srv.URL(), lose), StreamName: "ordered",
		OnDelivered: d.onDelivered, OnFailure: d.onFailure, Ordered: true, RetryUnknownOutcome: &no,
		Linger: 5 * time.Millisecond, ShardBytesPerSec: -1, ShardRecordsPerSec: -1,
		BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, MaxRetries: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 4 MB over two shards, in rounds ended by Flush (which lets a
	// held shard send again), as the agent sends batches.
	const n, round = 40_000, 4_000
	for i := range n {
		data := fmt.Appendf(nil, "record-%d", i)
		data = append(data, bytes.Repeat([]byte{' '}, 100-len(data))...)
		if err := p.PutTagged(ctx, "key-"+strconv.Itoa(i%64), data, i); err != nil {
			t.Fatal(err)
		}
		if (i+1)%round == 0 {
			if err := p.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()
	users, _, dropped := readUsers(t, c, "ordered")
	if d.outOfOrder != 0 || len(d.delivered)+len(d.failed) != n || dropped != 0 {
		t.Fatalf("%d reports out of order; %d delivered + %d failed of %d; %d aggregates dropped", d.outOfOrder, len(d.delivered), len(d.failed), n, dropped)
	}
	unknown, heldBack := 0, 0
	for _, f := range d.failed {
		switch {
		case errors.Is(f.Err, producer.ErrUnknownOutcome):
			unknown++
		case errors.Is(f.Err, producer.ErrHeldBack):
			heldBack++
		default:
			t.Fatalf("failure neither unknown nor held back: %v", f.Err)
		}
	}
	where := map[int][]userRead{}
	for _, u := range users {
		i, _ := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(u.data, "record-"), " "))
		where[i] = append(where[i], u)
	}
	for i, w := range where {
		if len(w) > 1 {
			t.Errorf("record %d stored %d times: %+v; delivered %+v failed %v", i, len(w), w, d.delivered[i], d.failed[i].Err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	seen := map[int]bool{}
	last := map[string]int{}
	storedUnknown := 0
	for _, u := range users {
		i, err := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(u.data, "record-"), " "))
		if err != nil {
			t.Fatalf("unexpected data %q", u.data)
		}
		if seen[i] {
			t.Fatalf("record %d stored twice", i)
		}
		seen[i] = true
		if prev, ok := last[u.shard]; ok && i < prev {
			t.Fatalf("shard %s: record %d after record %d", u.shard, i, prev)
		}
		last[u.shard] = i
		if e, ok := d.delivered[i]; ok {
			if e.ShardID != u.shard || e.SequenceNumber != u.seq || e.SubSequence != u.sub {
				t.Fatalf("record %d: reported %s %s/%d, read on %s %s/%d", i, e.ShardID, e.SequenceNumber, e.SubSequence, u.shard, u.seq, u.sub)
			}
			continue
		}
		if !errors.Is(d.failed[i].Err, producer.ErrUnknownOutcome) {
			t.Fatalf("record %d stored but reported %v", i, d.failed[i].Err)
		}
		storedUnknown++
	}
	for i := range d.delivered {
		if !seen[i] {
			t.Fatalf("record %d reported delivered, not in the stream", i)
		}
	}
	if lose.lost.Load() == 0 || unknown == 0 || storedUnknown == 0 || m.Retries == 0 {
		t.Fatalf("lost answers %d, unknown %d (stored %d), metrics %+v: the test did not exercise both paths", lose.lost.Load(), unknown, storedUnknown, m)
	}
	t.Logf("%d calls, %d answers lost; %d unknown (%d stored), %d held back; metrics %+v", lose.calls.Load(), lose.lost.Load(), unknown, storedUnknown, heldBack, m)
}
