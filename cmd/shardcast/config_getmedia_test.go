package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigGetMediaLimits reads the GetMedia limits from each layer.
func TestConfigGetMediaLimits(t *testing.T) {
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.GetMediaMaxConnections != 3 || cfg.GetMediaFragmentsPerSecond != 5 || cfg.GetMediaCallsPerSecond != 5 {
		t.Fatalf("defaults: %d %d %v", cfg.GetMediaMaxConnections, cfg.GetMediaFragmentsPerSecond, err)
	}
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("getmedia_max_connections: 10\ngetmedia_fragments_per_second: 0\n"), 0o644)
	cfg, err = loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.GetMediaMaxConnections != 10 || cfg.GetMediaFragmentsPerSecond != 0 {
		t.Fatalf("yaml: %d %d %v", cfg.GetMediaMaxConnections, cfg.GetMediaFragmentsPerSecond, err)
	}
	cfg, err = loadConfig([]string{"--config", path, "--getmedia-max-connections", "0"},
		env(map[string]string{"SHARDCAST_GETMEDIA_FRAGMENTS_PER_SECOND": "2"}), io.Discard)
	if err != nil || cfg.GetMediaMaxConnections != 0 || cfg.GetMediaFragmentsPerSecond != 2 {
		t.Fatalf("flag and env: %d %d %v", cfg.GetMediaMaxConnections, cfg.GetMediaFragmentsPerSecond, err)
	}
	for args, want := range map[string]string{
		"--getmedia-max-connections=-1":      "must not be negative",
		"--getmedia-fragments-per-second=-5": "must not be negative",
		"--getmedia-calls-per-second=-1":     "must not be negative",
		"--getmedia-max-connections=many":    "--getmedia-max-connections",
	} {
		if _, err := loadConfig([]string{args}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", args, err, want)
		}
	}
}

// TestMediaGetFlags checks `shardcast media get`'s flags without a server.
func TestMediaGetFlags(t *testing.T) {
	o, err := parseMediaGet([]string{"--stream", "cam1", "--start", "2026-12-01T10:00:00Z", "--end", "2026-12-01T10:05:00Z", "-o", "x.mp4"},
		env(map[string]string{"SHARDCAST_HTTP": ":9000", "SHARDCAST_SELECTOR": "server"}), io.Discard)
	if err != nil || o.endpoint != "http://127.0.0.1:9000" || o.producer || o.selector.StartSelectorType != "SERVER_TIMESTAMP" ||
		!o.selector.StartTimestamp.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) || o.end.IsZero() {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = parseMediaGet([]string{"--arn", "arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam1/1", "--start", "fragment:123", "-o", "-"},
		env(map[string]string{"SHARDCAST_ENDPOINT": "http://h:1/"}), io.Discard)
	if err != nil || o.endpoint != "http://h:1" || o.selector.StartSelectorType != "FRAGMENT_NUMBER" || *o.selector.AfterFragmentNumber != "123" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "x.mp4"}, "give one of --stream and --arn"},
		{[]string{"--stream", "a", "--arn", "b", "-o", "x.mp4"}, "give one of --stream and --arn"},
		{[]string{"--stream", "a"}, "-o FILE.mp4"},
		{[]string{"--stream", "a", "-o", "x", "--start", "yesterday"}, `--start "yesterday"`},
		{[]string{"--stream", "a", "-o", "x", "--start", "2026-12-01T10:00:00Z", "--end", "2026-12-01T09:00:00Z"}, "--end must be after --start"},
		{[]string{"--stream", "a", "-o", "x", "--selector", "camera"}, `--selector "camera"`},
	} {
		if _, err := parseMediaGet(c.args, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	var stderr bytes.Buffer
	if rc := run([]string{"media", "list"}, env(nil), io.Discard, &stderr); rc != 2 || !strings.Contains(stderr.String(), "usage: shardcast media get") {
		t.Errorf("media list: exit %d, %q", rc, stderr.String())
	}
}
