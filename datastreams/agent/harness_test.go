package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// recorder stands in for the producer's delivery in the tailing tests: it
// keeps what the agent sends, in order, and reports each record delivered
// on Flush. The producer itself is tested with its service in
// cmd/shardcast's agent tests.
type recorder struct {
	mu      sync.Mutex
	cfg     producer.Config
	pending []producer.Delivered
	got     []string
	seq     int
}

func (r *recorder) PutTagged(ctx context.Context, pk string, data []byte, tag any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, producer.Delivered{PartitionKey: pk, Data: data, Tag: tag})
	return nil
}

func (r *recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	for i := range batch {
		r.seq++
		batch[i].ShardID, batch[i].SequenceNumber = "shardId-000000000000", fmt.Sprintf("%056d", r.seq)
		r.got = append(r.got, string(batch[i].Data))
	}
	r.mu.Unlock()
	for _, d := range batch {
		r.cfg.OnDelivered(d)
	}
	return nil
}

func (r *recorder) Close(ctx context.Context) error { return nil }

func (r *recorder) records() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// runner is an agent running in the test with a recorder.
type runner struct {
	t      *testing.T
	rec    *recorder
	a      *Agent
	cancel context.CancelFunc
	done   chan error
}

func testFlow(dir string) Flow {
	return Flow{FilePattern: filepath.Join(dir, "app.log*"), DeliveryStream: "logs", InitialPosition: "START_OF_FILE", MaxBufferAgeMillis: 5}
}

func startAgent(t *testing.T, dir string, rec *recorder, flows ...Flow) *runner {
	t.Helper()
	cfg := Config{CheckpointFile: filepath.Join(dir, "checkpoint.json"), Flows: flows}
	opts := Options{
		Firehose:      firehose.New(firehose.Options{Region: "us-east-1"}),
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval:  5 * time.Millisecond,
		RotationGrace: 100 * time.Millisecond,
		newSink: func(ctx context.Context, c producer.Config) (sink, error) {
			rec.mu.Lock()
			rec.cfg = c
			rec.mu.Unlock()
			return rec, nil
		},
	}
	a, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{t: t, rec: rec, a: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *runner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		r.t.Errorf("Run: %v", err)
	}
}

// waitFor waits (generously) until the recorder holds want.
func (r *runner) waitFor(want []string) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := r.rec.records()
		if len(got) >= len(want) || time.Now().After(deadline) {
			if strings.Join(got, "") != strings.Join(want, "") {
				r.t.Fatalf("records differ:\ngot  %q\nwant %q", got, want)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lines(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %d\n", i))
	}
	return out
}
