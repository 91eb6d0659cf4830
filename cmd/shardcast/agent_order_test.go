package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/agent"
)

// TestAgentOnceInOrderWithLostAnswers runs the agent in this process with
// a Kinesis client whose PutRecords answers are lost now and then after
// the server stored the call: the agent's producer reports those records
// (unknown outcome) instead of sending them again, the agent looks for
// them in the stream and sends only those not there, and every line is
// stored once, in file order per shard.
func TestAgentOnceInOrderWithLostAnswers(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	createStream(t, kc, "lossy", 2)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	const n = 3000
	writeLines(t, logPath, 0, n/2)
	lose := &loseAnswers{n: 4}
	a, err := agent.New(agent.Config{CheckpointFile: filepath.Join(dir, "cp.json"), Flows: []agent.Flow{{
		FilePattern: logPath, KinesisStream: "lossy", InitialPosition: "START_OF_FILE",
		MaxBufferAgeMillis: 20, MaxBufferSizeRecords: 200,
	}}}, agent.Options{Kinesis: losingClient(srv.URL(), lose), PollInterval: 10 * time.Millisecond,
		Linger: 5 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	}()
	writeLines(t, logPath, n/2, n)
	waitStream(t, kc, "lossy", n, nil)
	st := a.Status()[0]
	if lose.lost.Load() == 0 || st.Failed == 0 {
		t.Fatalf("%d answers lost, %d records reported failed: the test did not exercise the lost answers", lose.lost.Load(), st.Failed)
	}
	t.Logf("%d PutRecords calls, %d answers lost; status %+v", lose.calls.Load(), lose.lost.Load(), st)
}
