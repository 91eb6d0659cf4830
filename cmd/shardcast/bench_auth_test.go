package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// BenchmarkPutRecordsAuth measures what the one check costs on the hot
// path: BenchmarkPutRecords' load (the Go SDK, which signs every call,
// 500 records of 100 bytes a call, 4 shards, the file store with fsync)
// on three servers side by side: one with no credentials (nothing
// verified), one with a key of all rights (every body hashed and its
// signature verified) and one with a key bounded by a policy (verified,
// then the policy evaluated on the stream's ARN). Runs of b.N calls
// alternate between them, BENCH_AUTH_ROUNDS rounds (default 5) in
// rotating order, because this machine's rate drifts by more than the
// difference; it reports each server's median records/s and server CPU
// per record, and the median of each round's ratio to the open server,
// as a cost in percent.
func BenchmarkPutRecordsAuth(b *testing.B) {
	policy := `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Action": ["kinesis:PutRecord*", "kinesis:Describe*", "kinesis:CreateStream", "kinesis:ListShards"], "Resource": "arn:aws:kinesis:*:*:stream/bench*"},
	  {"Effect": "Deny", "Action": "kinesis:*", "Resource": "arn:aws:kinesis:*:*:stream/secret*"}]}`
	modes := []string{"open", "key", "policy"}
	servers := map[string]*proc{}
	for _, m := range modes {
		servers[m] = authBenchServer(b, m, policy)
		createStream(b, benchClient(servers[m].url), "bench", 4)
	}
	rounds := 5
	if v, _ := strconv.Atoi(os.Getenv("BENCH_AUTH_ROUNDS")); v > 0 {
		rounds = v
	}
	rates, cpu := map[string][]float64{}, map[string][]float64{}
	var keyCost, policyCost []float64
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		got := map[string]float64{}
		for i := range modes {
			m := modes[(r+i)%len(modes)]
			run := sdkPutRecordsRun(b, servers[m], 100, b.N)
			got[m] = run.recordsPerSec
			rates[m] = append(rates[m], got[m])
			cpu[m] = append(cpu[m], run.serverCores/run.recordsPerSec*1e6)
		}
		keyCost = append(keyCost, 100*(1-got["key"]/got["open"]))
		policyCost = append(policyCost, 100*(1-got["policy"]/got["open"]))
		b.Logf("round %d: open %.0f, key %.0f, policy %.0f records/s", r+1, got["open"], got["key"], got["policy"])
	}
	for _, m := range modes {
		b.ReportMetric(median(rates[m]), m+"_records/s")
		b.ReportMetric(median(cpu[m]), m+"_server_cpu_us/record")
	}
	b.ReportMetric(median(keyCost), "key_cost_%")
	b.ReportMetric(median(policyCost), "policy_cost_%")
	b.ReportMetric(0, "ns/op")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// authBenchServer starts the built server with no credentials ("open"),
// a key of all rights ("key") or a key bounded by policy ("policy").
func authBenchServer(b *testing.B, mode, policy string) *proc {
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
	if a := os.Getenv("BENCH_PPROF"); a != "" && mode != "open" {
		args = append(args, "--pprof", a)
	}
	p := startBuilt(b, benchBinary, args...)
	b.Cleanup(func() { p.stop(b) })
	return p
}
