package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPutRecordsAuth measures what the one check costs on the hot
// path: PutRecords (500 records of 100 bytes a call, 4 shards, the file
// store with fsync, requests signed once and sent again and again by
// BENCH_CLIENTS clients) on a server with no credentials (nothing
// verified), with one key of all rights (every body hashed and its
// signature verified), and with a key bounded by a policy (verified, then
// the policy evaluated on the stream's ARN).
func BenchmarkPutRecordsAuth(b *testing.B) {
	policy := `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Action": ["kinesis:PutRecord*", "kinesis:Describe*", "kinesis:CreateStream", "kinesis:ListShards"], "Resource": "arn:aws:kinesis:*:*:stream/bench*"},
	  {"Effect": "Deny", "Action": "kinesis:*", "Resource": "arn:aws:kinesis:*:*:stream/secret*"}]}`
	for _, mode := range []string{"open", "key", "policy"} {
		b.Run(mode, func(b *testing.B) { benchPutRecordsAuth(b, mode, policy) })
	}
}

func benchPutRecordsAuth(b *testing.B, mode, policy string) {
	dir := b.TempDir()
	args := []string{"--data-dir", filepath.Join(dir, "data"), "--storage", "file"}
	switch mode {
	case "key":
		args = append(args, "--access-key-id", testCreds.AccessKeyID, "--secret-access-key", testCreds.SecretAccessKey)
	case "policy":
		var doc any
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			b.Fatal(err)
		}
		cfg, _ := json.Marshal(map[string]any{"auth": map[string]any{"keys": map[string]any{
			testCreds.AccessKeyID: map[string]any{"secret": testCreds.SecretAccessKey, "policy": doc}}}})
		path := filepath.Join(dir, "config.yaml") // JSON is YAML
		if err := os.WriteFile(path, cfg, 0o600); err != nil {
			b.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	p := startBuilt(b, benchBinary, args...)
	b.Cleanup(func() { p.stop(b) })
	createStream(b, benchClient(p.url), "bench", 4)
	clients := 64
	if v, _ := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); v > 0 {
		clients = v
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	reqs := make([]signedRequest, clients)
	for w := range reqs {
		recs := make([]map[string]any, 500)
		for i, e := range batch(500, 100, w) {
			recs[i] = map[string]any{"PartitionKey": *e.PartitionKey, "Data": e.Data}
		}
		body, err := json.Marshal(map[string]any{"StreamName": "bench", "Records": recs})
		if err != nil {
			b.Fatal(err)
		}
		reqs[w] = newSignedRequest(b, p.url, "PutRecords", "application/x-amz-json-1.1", body)
	}
	var calls atomic.Int64
	calls.Store(int64(b.N))
	b.ResetTimer()
	start, scpu0 := time.Now(), procCPU(b, p.cmd.Process.Pid)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for calls.Add(-1) >= 0 {
				status, body, err := reqs[w].send(hc)
				if err != nil || status != http.StatusOK {
					b.Errorf("put: %v %d %q", err, status, body)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	scpu := (procCPU(b, p.cmd.Process.Pid) - scpu0).Seconds()
	recs := float64(b.N * 500)
	b.ReportMetric(recs/secs, "records/s")
	b.ReportMetric(scpu*1e6/recs, "server_cpu_us/record")
	b.ReportMetric(0, "ns/op")
	_ = fmt.Sprint()
}
