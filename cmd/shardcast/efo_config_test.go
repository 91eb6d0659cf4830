package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConfigConsumerSettings: the consumer delay and the subscription
// lifetime come from YAML, the environment and flags; the delay may not be
// negative and the lifetime is at least a second.
func TestConfigConsumerSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardcast.yaml")
	os.WriteFile(path, []byte("kinesis:\n  consumer_delay: 1s\n  subscription_lifetime: 2m\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path}, env(nil), io.Discard)
	if err != nil || cfg.Kinesis.ConsumerDelay != time.Second || cfg.Kinesis.SubscriptionLifetime != 2*time.Minute {
		t.Fatalf("yaml: %+v %v", cfg.Kinesis, err)
	}
	cfg, err = loadConfig([]string{"--config", path, "--kinesis-subscription-lifetime", "30s"},
		env(map[string]string{"SHARDCAST_KINESIS_CONSUMER_DELAY": "250ms"}), io.Discard)
	if err != nil || cfg.Kinesis.ConsumerDelay != 250*time.Millisecond || cfg.Kinesis.SubscriptionLifetime != 30*time.Second {
		t.Fatalf("env and flags: %+v %v", cfg.Kinesis, err)
	}
	if cfg, err := loadConfig(nil, env(nil), io.Discard); err != nil || cfg.Kinesis.ConsumerDelay != 0 || cfg.Kinesis.SubscriptionLifetime != 5*time.Minute {
		t.Fatalf("defaults: %+v %v", cfg.Kinesis, err)
	}
	for _, args := range [][]string{{"--kinesis-consumer-delay", "-1s"}, {"--kinesis-subscription-lifetime", "500ms"}} {
		if _, err := loadConfig(args, env(nil), io.Discard); err == nil {
			t.Fatalf("%v was accepted", args)
		}
	}
}
