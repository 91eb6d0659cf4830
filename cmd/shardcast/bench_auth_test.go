package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
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
	secs, scpu := sendAll(b, p.cmd.Process.Pid, putRecordsRequests(b, p.url, clients, 100, "json"))
	recs := float64(b.N * 500)
	b.ReportMetric(recs/secs, "records/s")
	b.ReportMetric(scpu*1e6/recs, "server_cpu_us/record")
	b.ReportMetric(0, "ns/op")
}
