package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/autoscale"
)

// Checking a configuration as a whole, and the parsers of the values that
// need more than strconv.

// Validate checks the configuration as a whole.
func (c *Config) Validate() error {
	var errs []error
	switch c.Storage {
	case "file", "memory":
	case "nats":
		if c.NATS.URL == "" {
			errs = append(errs, errors.New("nats.url (--nats-url) must be set for nats storage"))
		}
		if c.NATS.Replicas < 0 || c.NATS.Replicas > 5 {
			errs = append(errs, fmt.Errorf("nats.replicas must be between 1 and 5, not %d", c.NATS.Replicas))
		}
		if c.NATS.Prefix != "" && !validNATSPrefix(c.NATS.Prefix) {
			errs = append(errs, fmt.Errorf("nats.prefix %q: use letters, digits, - and _ only", c.NATS.Prefix))
		}
	default:
		errs = append(errs, fmt.Errorf("storage must be file, memory or nats, not %q", c.Storage))
	}
	if (c.Storage == "file" || c.Storage == "nats") && c.DataDir == "" {
		errs = append(errs, fmt.Errorf("data_dir must be set for %s storage", c.Storage))
	}
	addrs := map[string]string{"http": c.HTTP, "rtsp": c.RTSP, "webrtc": c.WebRTC}
	if c.RTSPS != "" {
		addrs["rtsps"] = c.RTSPS
		if c.TLS.Cert == "" {
			errs = append(errs, fmt.Errorf("rtsps address %q needs a certificate: set --tls-cert and --tls-key (RTSPS serves the certificate of the HTTPS listener)", c.RTSPS))
		}
	}
	if (c.RTSPUDPRTP == "") != (c.RTSPUDPRTCP == "") {
		errs = append(errs, errors.New("rtsp_udp_rtp and rtsp_udp_rtcp go together"))
	} else if c.RTSPUDPRTP != "" {
		addrs["rtsp_udp_rtp"], addrs["rtsp_udp_rtcp"] = c.RTSPUDPRTP, c.RTSPUDPRTCP
	}
	for name, addr := range addrs {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s address %q: %w", name, addr, err))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s address %q: bad port", name, addr))
		}
	}
	errs = append(errs, c.checkExposure()...)
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, errors.New("tls cert and key go together (--tls-cert, --tls-key)"))
	}
	if c.Pprof != "" {
		if _, _, err := net.SplitHostPort(c.Pprof); err != nil {
			errs = append(errs, fmt.Errorf("pprof address %q: %w", c.Pprof, err))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format must be text or json, not %q", c.LogFormat))
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("account_id must be 12 digits, not %q", c.AccountID))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("region must be set"))
	}
	errs = append(errs, c.validateAuth()...)
	if c.MaxBodyBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d is below 1 MiB", c.MaxBodyBytes))
	}
	if c.HTTPBodyTimeout < time.Second {
		errs = append(errs, fmt.Errorf("http_body_timeout %v is below 1s", c.HTTPBodyTimeout))
	}
	if c.HTTPBodyBudget < c.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("http_body_budget %d is below max_body_bytes %d: a largest body could never be read", c.HTTPBodyBudget, c.MaxBodyBytes))
	}
	if c.GetMediaMaxConnections < 0 || c.GetMediaFragmentsPerSecond < 0 || c.GetMediaCallsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("getmedia_max_connections %d, getmedia_fragments_per_second %d and getmedia_calls_per_second %d must not be negative (0: no limit)",
			c.GetMediaMaxConnections, c.GetMediaFragmentsPerSecond, c.GetMediaCallsPerSecond))
	}
	if c.ImageCacheBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("image_cache_bytes %d is below 1 MiB", c.ImageCacheBytes))
	}
	v := c.Video
	if v.AutoCreateRetentionHours < 0 || v.AutoCreateRetentionHours > 87600 {
		errs = append(errs, fmt.Errorf("video auto_create_retention_hours %d is outside 0 to 87600", v.AutoCreateRetentionHours))
	}
	if v.PartDuration < 0 || (v.PartDuration > 0 && v.PartDuration < 50*time.Millisecond) || v.PartDuration > 5*time.Second {
		errs = append(errs, fmt.Errorf("video part_duration %v: need 0 (no parts) or 50ms to 5s", v.PartDuration))
	}
	if v.FragmentMinDuration < 0 || v.FragmentMaxDuration < time.Second || v.FragmentMinDuration > v.FragmentMaxDuration {
		errs = append(errs, errors.New("video fragment durations: need 0 <= fragment_min_duration <= fragment_max_duration and fragment_max_duration >= 1s"))
	}
	if v.PutMediaMaxFragmentDuration < time.Second || v.PutMediaMaxFragmentDuration > time.Hour {
		errs = append(errs, fmt.Errorf("video putmedia_max_fragment_duration %v: need 1s to 1h", v.PutMediaMaxFragmentDuration))
	}
	if v.StreamLimit < 1 || v.LiveBuffer < time.Second {
		errs = append(errs, errors.New("video stream_limit must be positive and live_buffer at least 1s"))
	}
	if _, _, err := parseDiskReserve(v.DiskReserve); err != nil {
		errs = append(errs, err)
	}
	if v.RetentionCheck < time.Second {
		errs = append(errs, fmt.Errorf("video retention_check %v is below 1s", v.RetentionCheck))
	}
	if v.SegmentMaxBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("video segment_max_bytes %d is below 64 KiB", v.SegmentMaxBytes))
	}
	if v.DiskReserveCheck < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("video disk_reserve_check %v is below 100ms", v.DiskReserveCheck))
	}
	for _, s := range v.Sources {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.WebRTCOpts.validate()...)
	errs = append(errs, c.Firehose.validate()...)
	k := c.Kinesis
	if k.ShardLimit < 1 || k.OnDemandStreamCountLimit < 1 {
		errs = append(errs, errors.New("kinesis shard_limit and on_demand_stream_count_limit must be positive"))
	}
	if k.IteratorTTL < time.Second || k.RetentionCheck < time.Second {
		errs = append(errs, errors.New("kinesis iterator_ttl and retention_check must be at least 1s"))
	}
	if k.ConsumerDelay < 0 || k.SubscriptionLifetime < time.Second {
		errs = append(errs, errors.New("kinesis consumer_delay must not be negative and subscription_lifetime must be at least 1s"))
	}
	if k.CreateDelay < 0 || k.UpdateDelay < 0 || k.DeleteDelay < 0 {
		errs = append(errs, errors.New("kinesis create_delay, update_delay and delete_delay must not be negative"))
	}
	if k.SegmentMaxBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("kinesis segment_max_bytes %d is below 64 KiB", k.SegmentMaxBytes))
	}
	if k.OnDemandSplitThreshold <= 0 || k.OnDemandMergeThreshold <= 0 {
		errs = append(errs, errors.New("kinesis on_demand_split_threshold and on_demand_merge_threshold must be positive"))
	} else if k.OnDemandCheck < 100*time.Millisecond || k.OnDemandSplitAfter < k.OnDemandCheck {
		errs = append(errs, fmt.Errorf("kinesis on_demand_check %v must be at least 100ms and on_demand_split_after %v at least that", k.OnDemandCheck, k.OnDemandSplitAfter))
	} else if err := c.onDemand().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("kinesis on-demand scaling: %w", err))
	}
	return errors.Join(errs...)
}

// onDemand is the scaling configuration of ON_DEMAND streams.
func (c *Config) onDemand() autoscale.Config {
	k := c.Kinesis
	return autoscale.Config{Tick: k.OnDemandCheck, SplitAfter: k.OnDemandSplitAfter, MergeAfter: k.OnDemandMergeAfter,
		SplitAt: k.OnDemandSplitThreshold, MergeBelow: k.OnDemandMergeThreshold}.WithDefaults()
}

// parseDiskReserve reads a disk reserve: a percentage of the file system
// ("5%") or a size ("10GiB", "500MB", "1048576"). Empty is no reserve.
func parseDiskReserve(v string) (bytes int64, percent float64, err error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, 0, nil
	}
	bad := fmt.Errorf(`video disk_reserve %q: want a percentage such as "5%%" or a size such as "10GiB"`, v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f <= 0 || f >= 100 {
			return 0, 0, bad
		}
		return 0, f, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f*mult >= 1<<62 {
		return 0, 0, bad
	}
	return int64(f * mult), 0, nil
}

// validNATSPrefix reports whether p can name JetStream streams and buckets.
func validNATSPrefix(p string) bool {
	if len(p) > 32 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
