package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestFirehoseBoto3: boto3 (Debian's python3-boto3) creates a delivery
// stream, puts records one by one and in a batch, and the GZIP objects
// under the data directory hold exactly those records.
func TestFirehoseBoto3(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_firehose.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "fromboto")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("boto3: %s", res.Error)
	}
	want := []string{"deliverystream/fromboto", "ACTIVE 1 destinationId-000000000001", "True", "batch 0 10", "fromboto", "ResourceNotFoundException"}
	if !slices.Equal(res.Got, want) {
		t.Fatalf("boto3 %s:\n got %q\nwant %q", res.Boto3, res.Got, want)
	}
	dir := filepath.Join(cfg.DataDir, "s3", "fromboto")
	waitObjects(t, dir, 11*len("boto3-0\n")+1)
	got := countLines(t, dir)
	for i := range 11 {
		if l := fmt.Sprintf("boto3-%d", i); got[l] != 1 {
			t.Fatalf("%s delivered %d times", l, got[l])
		}
	}
	if len(got) != 11 {
		t.Fatalf("%d records delivered, want 11", len(got))
	}
}
