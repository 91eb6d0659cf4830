package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/playback"
)

// --ffmpeg and --image-cache-bytes read flags, SHARDCAST_ variables and
// YAML like every setting.
func TestConfigImages(t *testing.T) {
	cfg, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.FFmpeg != "" || cfg.ImageCacheBytes != playback.DefaultImageCacheBytes {
		t.Fatalf("defaults: %q %d %v", cfg.FFmpeg, cfg.ImageCacheBytes, err)
	}
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("ffmpeg: /opt/ffmpeg/bin/ffmpeg\nimage_cache_bytes: 8388608\n"), 0o644)
	cfg, err = loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.FFmpeg != "/opt/ffmpeg/bin/ffmpeg" || cfg.ImageCacheBytes != 8<<20 {
		t.Fatalf("yaml: %q %d %v", cfg.FFmpeg, cfg.ImageCacheBytes, err)
	}
	cfg, err = loadConfig([]string{"--ffmpeg", "ffmpeg6"}, env(map[string]string{"SHARDCAST_IMAGE_CACHE_BYTES": "2097152"}), io.Discard)
	if err != nil || cfg.FFmpeg != "ffmpeg6" || cfg.ImageCacheBytes != 2<<20 {
		t.Fatalf("flag and env: %q %d %v", cfg.FFmpeg, cfg.ImageCacheBytes, err)
	}
	cfg, err = loadConfig(nil, env(map[string]string{"SHARDCAST_FFMPEG": "/usr/local/bin/ffmpeg"}), io.Discard)
	if err != nil || cfg.FFmpeg != "/usr/local/bin/ffmpeg" {
		t.Fatalf("env: %q %v", cfg.FFmpeg, err)
	}
	if _, err := loadConfig([]string{"--image-cache-bytes", "1000"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "image_cache_bytes") {
		t.Fatalf("a cache below 1 MiB: %v", err)
	}
}
