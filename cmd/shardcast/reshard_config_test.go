package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConfigStreamStateDelays: the three delays come from YAML, the
// environment and flags, and may not be negative.
func TestConfigStreamStateDelays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("kinesis:\n  create_delay: 1s\n  update_delay: 2s\n  delete_delay: 3s\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.Kinesis.CreateDelay != time.Second || cfg.Kinesis.UpdateDelay != 2*time.Second || cfg.Kinesis.DeleteDelay != 3*time.Second {
		t.Fatalf("yaml: %+v %v", cfg.Kinesis, err)
	}
	cfg, err = loadConfig([]string{"--config", path, "--kinesis-delete-delay", "5s"}, env(map[string]string{"SHARDCAST_KINESIS_UPDATE_DELAY": "4s"}), io.Discard)
	if err != nil || cfg.Kinesis.CreateDelay != time.Second || cfg.Kinesis.UpdateDelay != 4*time.Second || cfg.Kinesis.DeleteDelay != 5*time.Second {
		t.Fatalf("env and flags: %+v %v", cfg.Kinesis, err)
	}
	if cfg, err := loadConfig(nil, env(nil), io.Discard); err != nil || cfg.Kinesis.CreateDelay != 0 || cfg.Kinesis.UpdateDelay != 0 || cfg.Kinesis.DeleteDelay != 0 {
		t.Fatalf("defaults: %+v %v", cfg.Kinesis, err)
	}
	if _, err := loadConfig([]string{"--kinesis-create-delay", "-1s"}, env(nil), io.Discard); err == nil {
		t.Fatal("a negative delay was accepted")
	}
}
