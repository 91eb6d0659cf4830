package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The disk reserve is set in YAML, the environment or a flag, as a
// percentage or a size; anything else is refused with a clear message.
func TestConfigDiskReserve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("video:\n  disk_reserve: 5%\n  disk_reserve_check: 2s\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.Video.DiskReserve != "5%" {
		t.Fatalf("yaml: %q %v", cfg.Video.DiskReserve, err)
	}
	cfg, err = loadConfig(nil, env(map[string]string{"SHARDCAST_VIDEO_DISK_RESERVE": "10GiB"}), io.Discard)
	if err != nil || cfg.Video.DiskReserve != "10GiB" {
		t.Fatalf("env: %q %v", cfg.Video.DiskReserve, err)
	}
	cfg, err = loadConfig([]string{"--video-disk-reserve", "500MB"}, env(nil), io.Discard)
	if err != nil || cfg.Video.DiskReserve != "500MB" {
		t.Fatalf("flag: %q %v", cfg.Video.DiskReserve, err)
	}
	for in, want := range map[string][2]float64{
		"": {0, 0}, "5%": {0, 5}, "0.5 %": {0, 0.5}, "10GiB": {10 << 30, 0}, "500MB": {500e6, 0}, "4096": {4096, 0}, "64 KiB": {64 << 10, 0},
	} {
		b, p, err := parseDiskReserve(in)
		if err != nil || float64(b) != want[0] || p != want[1] {
			t.Errorf("parseDiskReserve(%q) = %d, %v, %v; want %v", in, b, p, err, want)
		}
	}
	for _, bad := range []string{"lots", "0%", "100%", "-5GiB", "5XB", "0"} {
		_, err := loadConfig([]string{"--video-disk-reserve", bad}, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "disk_reserve") {
			t.Errorf("%q: got %v, want a disk_reserve error", bad, err)
		}
	}
}
