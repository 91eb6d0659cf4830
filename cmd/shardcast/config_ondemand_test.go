package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/autoscale"
)

func TestConfigOnDemandScaling(t *testing.T) {
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.onDemand(); got != (autoscale.Config{}).WithDefaults() {
		t.Fatalf("defaults: %+v", got)
	}
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("kinesis:\n  on_demand_split_after: 1m\n  on_demand_merge_threshold: 0.05\n"), 0o644)
	e := env(map[string]string{"SHARDCAST_KINESIS_ONDEMAND_MERGE_AFTER": "1h"})
	cfg, err = loadConfig([]string{"--config", path, "--kinesis-ondemand-split-threshold", "0.9", "--kinesis-ondemand-check", "2s"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := autoscale.Config{Tick: 2 * time.Second, SplitAfter: time.Minute, MergeAfter: time.Hour, SplitAt: 0.9, MergeBelow: 0.05}.WithDefaults()
	if got := cfg.onDemand(); got != want {
		t.Fatalf("layers: %+v\nwant %+v", got, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kinesis-ondemand-split-threshold", "1.5"}, "split threshold 1.5"},
		{[]string{"--kinesis-ondemand-merge-threshold", "0.5"}, "merge threshold 0.5"},
		{[]string{"--kinesis-ondemand-merge-threshold", "-1"}, "must be positive"},
		{[]string{"--kinesis-ondemand-check", "1ms"}, "on_demand_check"},
		{[]string{"--kinesis-ondemand-merge-after", "10s"}, "merge window"},
		{[]string{"--kinesis-ondemand-split-after", "soon"}, "kinesis-ondemand-split-after"},
	} {
		_, err := loadConfig(c.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
}
