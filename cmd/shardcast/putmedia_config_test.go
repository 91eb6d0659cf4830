package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigPutMedia: the PutMedia fragment duration limit from each
// layer, KVS's 20 s by default, and refused outside 1s to 1h.
func TestConfigPutMedia(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("video:\n  putmedia_max_fragment_duration: 30s\n"), 0o644)
	for _, c := range []struct {
		args []string
		env  map[string]string
		want time.Duration
	}{
		{nil, nil, 20 * time.Second},
		{[]string{"--config", path}, nil, 30 * time.Second},
		{[]string{"--config", path}, map[string]string{"SHARDCAST_VIDEO_PUTMEDIA_MAX_FRAGMENT_DURATION": "40s"}, 40 * time.Second},
		{[]string{"--config", path, "--video-putmedia-max-fragment-duration", "5s"}, map[string]string{"SHARDCAST_VIDEO_PUTMEDIA_MAX_FRAGMENT_DURATION": "40s"}, 5 * time.Second},
	} {
		cfg, err := loadConfig(c.args, env(c.env), io.Discard)
		if err != nil || cfg.Video.PutMediaMaxFragmentDuration != c.want {
			t.Errorf("%v %v: %v %v, want %v", c.args, c.env, cfg.Video.PutMediaMaxFragmentDuration, err, c.want)
		}
	}
	for _, arg := range []string{"--video-putmedia-max-fragment-duration=500ms", "--video-putmedia-max-fragment-duration=2h"} {
		if _, err := loadConfig([]string{arg}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "putmedia_max_fragment_duration") {
			t.Errorf("%s: %v", arg, err)
		}
	}
}
