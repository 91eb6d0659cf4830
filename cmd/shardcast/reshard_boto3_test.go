package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBoto3Reshard: boto3 (Debian's python3-boto3) splits, merges and
// rescales a stream, waits each change out with the stream_exists waiter
// (the server keeps the stream UPDATING for two seconds after each), lists
// shards with every ShardFilter type and by pages, reads closed shards to
// their end and finds the children named there.
func TestBoto3Reshard(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	cfg := testConfig(t)
	cfg.Auth.AccessKeyID, cfg.Auth.SecretAccessKey = testCreds.AccessKeyID, testCreds.SecretAccessKey
	cfg.Kinesis.UpdateDelay = 2 * time.Second
	srv := startServer(t, cfg)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_reshard.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "reshard")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("boto3: %s (%s)", res.Error, res.Code)
	}
	want := []string{
		"ACTIVE 2",
		"UPDATING 3", "ResourceInUseException", "ACTIVE 3",
		"ACTIVE 2",
		"none 0,1,2,3,4",
		"exclusive 2,3,4",
		"AT_LATEST 2,4",
		"AT_TRIM_HORIZON 0,1",
		"FROM_TRIM_HORIZON 0,1,2,3,4",
		"AT_TIMESTAMP before 0,1",
		"AT_TIMESTAMP split 1,2,3",
		"AT_TIMESTAMP merge 2,4",
		"FROM_TIMESTAMP split 1,2,3,4",
		"FROM_TIMESTAMP merge 2,4",
		"AFTER_SHARD_ID 3,4",
		"paged 0,1,2,3,4",
		"closed 0,1,3",
		"merged 1+3 100..max",
		"end 0 a/0 children 2:0,3:0",
		"end 1 b/0 children 4:1+3",
		"InvalidArgumentException",
		"scaled 2 4", "ACTIVE 4", "even",
		"scaled 4 2", "ACTIVE 2", "even",
	}
	if !slices.Equal(res.Got, want) {
		for i := range max(len(want), len(res.Got)) {
			var g, w string
			if i < len(res.Got) {
				g = res.Got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("step %d: boto3 saw %q, want %q", i, g, w)
			}
		}
		t.Fatalf("boto3 saw:\n%s", strings.Join(res.Got, "\n"))
	}
	t.Logf("boto3 %s", res.Boto3)
}
