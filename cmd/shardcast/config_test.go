package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte(`
data_dir: /from/yaml
http: 127.0.0.1:9000
rtsp: 127.0.0.1:9554
log_level: debug
kinesis:
  shard_limit: 7
  iterator_ttl: 2m
auth:
  keys:
    AKIDYAML: yamlsecret
`), 0o644)

	// Defaults only.
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.DataDir != "./data" || cfg.HTTP != ":8080" || cfg.RTSP != ":8554" || cfg.WebRTC != ":8189" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	// The file over the defaults.
	cfg, err = loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.DataDir != "/from/yaml" || cfg.HTTP != "127.0.0.1:9000" || cfg.Kinesis.ShardLimit != 7 ||
		cfg.Kinesis.IteratorTTL != 2*time.Minute || cfg.LogLevel != "debug" || cfg.authKeys()["AKIDYAML"].Secret != "yamlsecret" {
		t.Fatalf("yaml: %+v %v", cfg, err)
	}
	// The environment over the file (the file itself named by SHARDCAST_CONFIG).
	e := env(map[string]string{"SHARDCAST_CONFIG": path, "SHARDCAST_DATA_DIR": "/from/env", "SHARDCAST_SHARD_LIMIT": "9",
		"SHARDCAST_ACCESS_KEY_ID": "AKIDENV", "SHARDCAST_SECRET_ACCESS_KEY": "envsecret"})
	cfg, err = loadConfig(nil, e, io.Discard)
	if err != nil || cfg.DataDir != "/from/env" || cfg.HTTP != "127.0.0.1:9000" || cfg.Kinesis.ShardLimit != 9 || cfg.authKeys()["AKIDENV"].Secret != "envsecret" {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	// Flags over everything.
	cfg, err = loadConfig([]string{"--data-dir", "/from/flag", "--http", ":0", "--webrtc", "127.0.0.1:1"}, e, io.Discard)
	if err != nil || cfg.DataDir != "/from/flag" || cfg.HTTP != ":0" || cfg.WebRTC != "127.0.0.1:1" || cfg.Kinesis.ShardLimit != 9 {
		t.Fatalf("flags: %+v %v", cfg, err)
	}
}

func TestConfigRejects(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("data_dri: typo\n"), 0o644)
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--http", "nonsense"}, nil, "http address"},
		{[]string{"--storage", "tape"}, nil, "storage must be file, memory or nats"},
		{[]string{"--log-level", "loud"}, nil, "log_level"},
		{[]string{"--account-id", "12"}, nil, "account_id must be 12 digits"},
		{[]string{"--access-key-id", "AKID"}, nil, "go together"},
		{nil, map[string]string{"SHARDCAST_SHARD_LIMIT": "many"}, "SHARDCAST_SHARD_LIMIT"},
		{[]string{"--config", unknown}, nil, "field data_dri not found"},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, nil, "no such file"},
		{[]string{"extra"}, nil, "unexpected argument"},
	} {
		_, err := loadConfig(c.args, env(c.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: got %v, want %q", c.args, c.env, err, c.want)
		}
	}
	if _, err := loadConfig([]string{"-h"}, env(nil), io.Discard); err != errHelp {
		t.Fatalf("-h: %v", err)
	}
}

func TestRunExitsCleanlyOnBadConfig(t *testing.T) {
	var stderr strings.Builder
	if code := run([]string{"--storage", "tape"}, env(nil), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "storage") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

func TestConfigBodyLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("http_body_timeout: 20s\nhttp_body_budget: 100000000\n"), 0o644)
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.HTTPBodyTimeout != time.Minute || cfg.HTTPBodyBudget != 256<<20 {
		t.Fatalf("defaults: %v %d %v", cfg.HTTPBodyTimeout, cfg.HTTPBodyBudget, err)
	}
	cfg, err = loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.HTTPBodyTimeout != 20*time.Second || cfg.HTTPBodyBudget != 100000000 {
		t.Fatalf("yaml: %v %d %v", cfg.HTTPBodyTimeout, cfg.HTTPBodyBudget, err)
	}
	cfg, err = loadConfig([]string{"--http-body-timeout", "5s"}, env(map[string]string{"SHARDCAST_HTTP_BODY_BUDGET": "50000000"}), io.Discard)
	if err != nil || cfg.HTTPBodyTimeout != 5*time.Second || cfg.HTTPBodyBudget != 50000000 {
		t.Fatalf("flag and env: %v %d %v", cfg.HTTPBodyTimeout, cfg.HTTPBodyBudget, err)
	}
	for args, want := range map[string]string{
		"--http-body-timeout=10ms": "http_body_timeout",
		"--http-body-budget=1000":  "http_body_budget 1000 is below max_body_bytes",
		"--http-body-budget=lots":  "--http-body-budget",
	} {
		if _, err := loadConfig([]string{args}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", args, err, want)
		}
	}
}

// TestConfigVideoStorage: video has its own segment size and retention
// check, set by YAML, the environment and flags, validated like the
// Kinesis ones, and not taken from the kinesis section.
func TestConfigVideoStorage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("video:\n  segment_max_bytes: 1048576\n  retention_check: 30s\nkinesis:\n  segment_max_bytes: 2097152\n  retention_check: 2m\n"), 0o644)
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.Video.SegmentMaxBytes != 64<<20 || cfg.Video.RetentionCheck != time.Minute {
		t.Fatalf("defaults: %d %v %v", cfg.Video.SegmentMaxBytes, cfg.Video.RetentionCheck, err)
	}
	cfg, err = loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.Video.SegmentMaxBytes != 1<<20 || cfg.Video.RetentionCheck != 30*time.Second ||
		cfg.Kinesis.SegmentMaxBytes != 2<<20 || cfg.Kinesis.RetentionCheck != 2*time.Minute {
		t.Fatalf("yaml: video %d %v, kinesis %d %v: %v", cfg.Video.SegmentMaxBytes, cfg.Video.RetentionCheck,
			cfg.Kinesis.SegmentMaxBytes, cfg.Kinesis.RetentionCheck, err)
	}
	cfg, err = loadConfig([]string{"--config", path, "--video-retention-check", "5s"},
		env(map[string]string{"SHARDCAST_VIDEO_SEGMENT_MAX_BYTES": "131072"}), io.Discard)
	if err != nil || cfg.Video.SegmentMaxBytes != 128<<10 || cfg.Video.RetentionCheck != 5*time.Second || cfg.Kinesis.SegmentMaxBytes != 2<<20 {
		t.Fatalf("flag and env: %d %v %v", cfg.Video.SegmentMaxBytes, cfg.Video.RetentionCheck, err)
	}
	for args, want := range map[string]string{
		"--video-segment-max-bytes=1000": "video segment_max_bytes 1000 is below 64 KiB",
		"--video-segment-max-bytes=big":  "--video-segment-max-bytes",
		"--video-retention-check=10ms":   "video retention_check 10ms is below 1s",
		"--video-retention-check=often":  "--video-retention-check",
	} {
		if _, err := loadConfig([]string{args}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", args, err, want)
		}
	}
}

// TestConfigTLS reads the certificate pair from each layer and refuses
// half a pair.
func TestConfigTLS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("tls:\n  cert: /yaml/cert.pem\n  key: /yaml/key.pem\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.TLS.Cert != "/yaml/cert.pem" || cfg.TLS.Key != "/yaml/key.pem" {
		t.Fatalf("yaml: %+v %v", cfg.TLS, err)
	}
	e := env(map[string]string{"SHARDCAST_TLS_CERT": "/env/cert.pem", "SHARDCAST_TLS_KEY": "/env/key.pem"})
	cfg, err = loadConfig([]string{"--config", path}, e, io.Discard)
	if err != nil || cfg.TLS.Cert != "/env/cert.pem" || cfg.TLS.Key != "/env/key.pem" {
		t.Fatalf("env: %+v %v", cfg.TLS, err)
	}
	cfg, err = loadConfig([]string{"--tls-cert", "/flag/cert.pem", "--tls-key", "/flag/key.pem"}, e, io.Discard)
	if err != nil || cfg.TLS.Cert != "/flag/cert.pem" || cfg.TLS.Key != "/flag/key.pem" {
		t.Fatalf("flags: %+v %v", cfg.TLS, err)
	}
	cfg = defaultConfig()
	cfg.TLS.Cert = "/only/cert.pem"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "tls cert and key go together") {
		t.Fatalf("half a pair: %v", err)
	}
}
