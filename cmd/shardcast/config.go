package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/autoscale"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest/putmedia"
	"github.com/shardcast/shardcast/ingest/rtsp"
	"github.com/shardcast/shardcast/ingest/webrtc"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/web"
)

// NATSOptions configure the NATS JetStream store: shard logs in JetStream
// streams, stream definitions and keys in a key-value bucket.
type NATSOptions struct {
	URL      string `yaml:"url"`      // nats://host:port, comma-separated for a cluster
	Replicas int    `yaml:"replicas"` // JetStream replicas of each stream and bucket (default 1)
	Prefix   string `yaml:"prefix"`   // names shardcast's streams and buckets (default shardcast)
}

// Config is the whole server configuration.
type Config struct {
	DataDir string `yaml:"data_dir"`
	Storage string `yaml:"storage"` // "file", "memory" or "nats"
	// NATS is the JetStream backend of --storage nats.
	NATS NATSOptions `yaml:"nats"`
	HTTP string      `yaml:"http"`
	RTSP string      `yaml:"rtsp"`
	// RTSPS is the address of RTSP over TLS (rtsps://, TCP only) with the
	// TLS certificate; empty (the default) disables it.
	RTSPS string `yaml:"rtsps"`
	// RTSPUDPRTP and RTSPUDPRTCP are the server's RTP/RTCP ports for
	// publishers using UDP (an even port and the next); empty disables UDP.
	RTSPUDPRTP  string `yaml:"rtsp_udp_rtp"`
	RTSPUDPRTCP string `yaml:"rtsp_udp_rtcp"`
	// PublicURL is the base URL clients reach the HTTP listener at, as
	// GetDataEndpoint returns it; empty derives it from each request.
	PublicURL string `yaml:"public_url"`
	// WebRTC is the ICE address of WHIP and WHEP, UDP and TCP on one port.
	// YAML gives it as webrtc: ADDR, or as webrtc: {address: ADDR, ...}
	// beside the other WebRTC options (WebRTCOpts).
	WebRTC     string        `yaml:"-"`
	WebRTCOpts WebRTCOptions `yaml:"webrtc"`
	// TLS, when both files are given, serves the HTTP listener over TLS
	// (ALPN h2 and http/1.1); SIGHUP reads the files again.
	TLS struct {
		Cert string `yaml:"cert"` // PEM certificate chain
		Key  string `yaml:"key"`  // PEM private key
	} `yaml:"tls"`
	// Pprof, when set, serves net/http/pprof on this address (keep it private).
	Pprof     string `yaml:"pprof"`
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"` // "text" or "json"
	AccountID string `yaml:"account_id"`
	Region    string `yaml:"region"`
	// MasterKey, base64 or hex of 32 bytes, replaces the keyring file.
	MasterKey    string `yaml:"master_key"`
	MaxBodyBytes int64  `yaml:"max_body_bytes"`
	// InsecureOpen binds the listeners as asked although no credentials
	// are configured (else they bind loopback only), with a warning.
	InsecureOpen bool        `yaml:"insecure_open"`
	Auth         authConfig  `yaml:"auth"`
	Audit        auditConfig `yaml:"audit"`
	// GetMediaMaxConnections is how many GetMedia connections a video
	// stream serves at once (GetMediaForFragmentList gets 5/3 of it, 5 by
	// default, as KVS); one more is refused with
	// ConnectionLimitExceededException. 0: no limit.
	GetMediaMaxConnections int `yaml:"getmedia_max_connections"`
	// GetMediaFragmentsPerSecond paces a GetMedia reader that is behind
	// the live edge (KVS: 5); at the edge fragments go out as they come.
	// 0: no pacing.
	GetMediaFragmentsPerSecond int `yaml:"getmedia_fragments_per_second"`
	// GetMediaCallsPerSecond is how many GetMedia calls a video stream
	// takes a second (KVS: 5); one more is refused with
	// ClientLimitExceededException. 0: no limit.
	GetMediaCallsPerSecond int `yaml:"getmedia_calls_per_second"`
	Video                  struct {
		AutoCreate               bool          `yaml:"auto_create"`
		AutoCreateRetentionHours int           `yaml:"auto_create_retention_hours"`
		FragmentMinDuration      time.Duration `yaml:"fragment_min_duration"`
		FragmentMaxDuration      time.Duration `yaml:"fragment_max_duration"`
		// PartDuration is the length of low-latency HLS parts (0: one part per fragment).
		PartDuration time.Duration       `yaml:"part_duration"`
		StreamLimit  int                 `yaml:"stream_limit"`
		LiveBuffer   time.Duration       `yaml:"live_buffer"`
		Sources      []rtsp.SourceConfig `yaml:"sources"`
		// DiskReserve, e.g. "5%" or "10GiB": while free space on the data
		// directory's file system is below it, the oldest video is deleted
		// (whole segments, oldest first across video streams). Empty: off.
		DiskReserve string `yaml:"disk_reserve"`
		// DiskReserveCheck is how often free space is checked (default 10s).
		DiskReserveCheck time.Duration `yaml:"disk_reserve_check"`
		// SegmentMaxBytes sizes the segments of video shards, the unit
		// that retention drops; RetentionCheck is how often expired video
		// is dropped. Both apart from the Kinesis settings of the same names.
		SegmentMaxBytes int64         `yaml:"segment_max_bytes"`
		RetentionCheck  time.Duration `yaml:"retention_check"`
		// PutMediaMaxFragmentDuration is the longest cluster PutMedia takes
		// (KVS: 20 s); a longer one ends the upload with ERROR 4002.
		PutMediaMaxFragmentDuration time.Duration `yaml:"putmedia_max_fragment_duration"`
	} `yaml:"video"`
	// Firehose configures delivery streams (config_firehose.go).
	Firehose FirehoseOptions `yaml:"firehose"`
	// Analytics tunes analytics applications (config_analytics.go).
	Analytics AnalyticsOptions `yaml:"analytics"`
	Kinesis   struct {
		ShardLimit               int           `yaml:"shard_limit"`
		OnDemandStreamCountLimit int           `yaml:"on_demand_stream_count_limit"`
		EnforceLimits            bool          `yaml:"enforce_limits"`
		IteratorTTL              time.Duration `yaml:"iterator_ttl"`
		RetentionCheck           time.Duration `yaml:"retention_check"`
		SegmentMaxBytes          int64         `yaml:"segment_max_bytes"`
		// ConsumerDelay is how long a registered consumer stays CREATING
		// (and a deregistered one DELETING); SubscriptionLifetime how long
		// a SubscribeToShard stream lasts before the client must subscribe
		// again.
		ConsumerDelay        time.Duration `yaml:"consumer_delay"`
		SubscriptionLifetime time.Duration `yaml:"subscription_lifetime"`
		// The scaling of ON_DEMAND streams (datastreams/autoscale): how
		// often shards are measured, how long a shard stays at or above
		// the split threshold (a fraction of its capacity) to be split,
		// and how long two adjacent shards stay below the merge
		// threshold to be merged.
		OnDemandCheck          time.Duration `yaml:"on_demand_check"`
		OnDemandSplitAfter     time.Duration `yaml:"on_demand_split_after"`
		OnDemandMergeAfter     time.Duration `yaml:"on_demand_merge_after"`
		OnDemandSplitThreshold float64       `yaml:"on_demand_split_threshold"`
		OnDemandMergeThreshold float64       `yaml:"on_demand_merge_threshold"`
		// CreateDelay, UpdateDelay and DeleteDelay are how long a stream
		// stays CREATING, UPDATING (after a reshard or an encryption
		// change) and DELETING; 0 (the default) is at once.
		CreateDelay time.Duration `yaml:"create_delay"`
		UpdateDelay time.Duration `yaml:"update_delay"`
		DeleteDelay time.Duration `yaml:"delete_delay"`
	} `yaml:"kinesis"`

	// HTTPBodyTimeout is how long a request body may take to arrive;
	// HTTPBodyBudget bounds the bytes of request bodies held at once.
	HTTPBodyTimeout time.Duration `yaml:"http_body_timeout"`
	HTTPBodyBudget  int64         `yaml:"http_body_budget"`

	// FFmpeg is the ffmpeg binary GetImages decodes video with: a path,
	// or a name looked up in PATH (empty: "ffmpeg"). Without one GetImages
	// is unavailable.
	FFmpeg string `yaml:"ffmpeg"`
	// ImageCacheBytes bounds the memory of GetImages' cache of decoded
	// images (default playback.DefaultImageCacheBytes).
	ImageCacheBytes int64 `yaml:"image_cache_bytes"`
	// now, when set, is the clock of signature and session checks and of
	// STS (tests move it to see sessions expire).
	now func() time.Time
}

// The defaults that belong to the server as a whole; the others are the
// exported defaults of the packages that apply them. defaultConfig and the
// usage strings both read them.
const (
	defaultDataDir                  = "./data"
	defaultStorage                  = "file"
	defaultHTTP                     = ":8080"
	defaultRTSP                     = ":8554"
	defaultRTSPUDPRTP               = ":8000"
	defaultRTSPUDPRTCP              = ":8001"
	defaultAutoCreateRetentionHours = 24
	defaultPartDuration             = 200 * time.Millisecond
	defaultLogLevel                 = "info"
	defaultLogFormat                = "text"
	defaultAccountID                = "000000000000"
	defaultRegion                   = "us-east-1"
)

func defaultConfig() Config {
	var c Config
	c.DataDir = defaultDataDir
	c.Storage = defaultStorage
	c.HTTP = defaultHTTP
	c.RTSP = defaultRTSP
	c.WebRTC = webrtc.DefaultAddress
	c.WebRTCOpts.MaxBitrate = webrtc.DefaultMaxBitrate
	c.WebRTCOpts.KeyframeInterval = webrtc.DefaultKeyframeInterval
	c.RTSPUDPRTP = defaultRTSPUDPRTP
	c.RTSPUDPRTCP = defaultRTSPUDPRTCP
	c.GetMediaMaxConnections = playback.DefaultMediaConnections
	c.GetMediaFragmentsPerSecond = playback.DefaultMediaFragmentsPerSecond
	c.GetMediaCallsPerSecond = playback.DefaultMediaCallsPerSecond
	c.Video.AutoCreate = true
	c.Video.AutoCreateRetentionHours = defaultAutoCreateRetentionHours
	c.Video.FragmentMaxDuration = fragments.DefaultMaxDuration
	c.Video.PartDuration = defaultPartDuration
	c.Video.PutMediaMaxFragmentDuration = putmedia.DefaultMaxFragmentDuration
	c.Video.StreamLimit = fragments.DefaultStreamLimit
	c.Video.LiveBuffer = fragments.DefaultLiveBuffer
	c.Video.DiskReserveCheck = fragments.DefaultReserveCheck
	c.Video.SegmentMaxBytes = shard.DefaultSegmentMaxBytes
	c.Video.RetentionCheck = fragments.DefaultRetentionCheck
	c.LogLevel = defaultLogLevel
	c.LogFormat = defaultLogFormat
	c.AccountID = defaultAccountID
	c.Region = defaultRegion
	c.MaxBodyBytes = web.DefaultMaxBodyBytes
	c.HTTPBodyTimeout = web.DefaultBodyTimeout
	c.HTTPBodyBudget = web.DefaultBodyBudget
	c.ImageCacheBytes = playback.DefaultImageCacheBytes
	c.Kinesis.ShardLimit = datastreams.DefaultShardLimit
	c.Kinesis.OnDemandStreamCountLimit = datastreams.DefaultOnDemandStreamCountLimit
	c.Kinesis.IteratorTTL = datastreams.DefaultIteratorTTL
	c.Kinesis.RetentionCheck = datastreams.DefaultRetentionCheck
	c.Kinesis.SegmentMaxBytes = shard.DefaultSegmentMaxBytes
	c.Kinesis.ConsumerDelay = datastreams.DefaultConsumerDelay
	c.Kinesis.SubscriptionLifetime = datastreams.DefaultSubscriptionLifetime
	c.Kinesis.OnDemandCheck = autoscale.DefaultTick
	c.Kinesis.OnDemandSplitAfter = autoscale.DefaultSplitAfter
	c.Kinesis.OnDemandMergeAfter = autoscale.DefaultMergeAfter
	c.Kinesis.OnDemandSplitThreshold = autoscale.DefaultSplitAt
	c.Kinesis.OnDemandMergeThreshold = autoscale.DefaultMergeBelow
	return c
}

// durationText writes a default duration as a user would type it: 1m,
// not 1m0s.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// errHelp reports that -h was asked for and usage was printed.
var errHelp = errors.New("help requested")

// setting is one flag; its environment variable is SHARDCAST_ + the name in
// upper case with dashes as underscores.
type setting struct {
	name, usage string
	set         func(c *Config, v string) error
}

// boolean reports whether the flag may be given without a value
// (--insecure-open alone means true).
func (s setting) boolean() bool { return s.name == "insecure-open" }

// boolFlag is the flag.Value of a boolean setting: its text is parsed by
// the setting, like the environment variable's.
type boolFlag struct{ v *string }

func (b boolFlag) String() string {
	if b.v == nil {
		return ""
	}
	return *b.v
}
func (b boolFlag) Set(s string) error { *b.v = s; return nil }
func (b boolFlag) IsBoolFlag() bool   { return true }

func settings() []setting {
	str := func(f func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *f(c) = v; return nil }
	}
	num := func(f func(*Config) *int) func(*Config, string) error {
		return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			*f(c) = n
			return err
		}
	}
	return append([]setting{
		{"data-dir", "directory of the embedded store (default " + defaultDataDir + ")", str(func(c *Config) *string { return &c.DataDir })},
		{"storage", `"file" (durable, in --data-dir), "memory" (nothing persists) or "nats" (NATS JetStream at --nats-url; --data-dir keeps node-local caches)`, str(func(c *Config) *string { return &c.Storage })},
		{"nats-url", "NATS server URL(s) of --storage nats (nats://host:4222, comma-separated)", str(func(c *Config) *string { return &c.NATS.URL })},
		{"nats-replicas", "JetStream replicas of each shard stream and bucket (default 1)", num(func(c *Config) *int { return &c.NATS.Replicas })},
		{"nats-prefix", "prefix of shardcast's JetStream streams and buckets (default shardcast)", str(func(c *Config) *string { return &c.NATS.Prefix })},
		{"http", "address of the APIs, HLS, WHIP and the UI (default " + defaultHTTP + ")", str(func(c *Config) *string { return &c.HTTP })},
		{"rtsp", "address of the RTSP server (default " + defaultRTSP + ")", str(func(c *Config) *string { return &c.RTSP })},
		{"rtsps", "address of RTSP over TLS (rtsps://, TCP transport only) with the --tls-cert certificate, e.g. :8322 (default: off)", str(func(c *Config) *string { return &c.RTSPS })},
		{"webrtc", "address of WebRTC ICE over UDP and TCP (default " + webrtc.DefaultAddress + ")", str(func(c *Config) *string { return &c.WebRTC })},
		{"webrtc-hosts", "comma-separated IPs or host names to offer WebRTC clients besides this machine's own addresses (a NAT's public IP, a container's host)", func(c *Config, v string) error {
			c.WebRTCOpts.Hosts = splitList(v)
			return nil
		}},
		{"webrtc-ice-servers", "comma-separated STUN/TURN URLs handed to WebRTC clients (stun:host:port; TURN credentials go in the config file)", func(c *Config, v string) error {
			c.WebRTCOpts.ICEServers = nil
			for _, u := range splitList(v) {
				c.WebRTCOpts.ICEServers = append(c.WebRTCOpts.ICEServers, webrtc.ICEServer{URL: u})
			}
			return nil
		}},
		{"webrtc-token", "bearer token that WHIP publishers and WHEP viewers must send (Authorization: Bearer); per-stream tokens go in the config file", str(func(c *Config) *string { return &c.WebRTCOpts.Token })},
		{"webrtc-max-bitrate", "cap on what a WHIP publisher sends, bits per second, e.g. 8000000 or 8M (default " + bitrateText(webrtc.DefaultMaxBitrate) + ")", func(c *Config, v string) error {
			n, err := parseBitrate(v)
			c.WebRTCOpts.MaxBitrate = n
			return err
		}},
		{"webrtc-keyframe-interval", "how often WHIP publishers are asked for a keyframe (default " + durationText(webrtc.DefaultKeyframeInterval) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.WebRTCOpts.KeyframeInterval = d
			return err
		}},
		{"rtsp-udp-rtp", "RTP port of RTSP publishers over UDP, even (default " + defaultRTSPUDPRTP + "; empty disables UDP)", str(func(c *Config) *string { return &c.RTSPUDPRTP })},
		{"rtsp-udp-rtcp", "RTCP port, the RTP port + 1 (default " + defaultRTSPUDPRTCP + ")", str(func(c *Config) *string { return &c.RTSPUDPRTCP })},
		{"public-url", "base URL that GetDataEndpoint returns (default: derived from each request)", str(func(c *Config) *string { return &c.PublicURL })},
		{"getmedia-max-connections", "concurrent GetMedia connections per video stream; GetMediaForFragmentList gets 5/3 as many (0: no limit; default " + strconv.Itoa(playback.DefaultMediaConnections) + ")", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			c.GetMediaMaxConnections = n
			return err
		}},
		{"getmedia-fragments-per-second", "pace of GetMedia for a reader behind the live edge, fragments per second (0: unpaced; default " + strconv.Itoa(playback.DefaultMediaFragmentsPerSecond) + ")", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			c.GetMediaFragmentsPerSecond = n
			return err
		}},
		{"getmedia-calls-per-second", "GetMedia calls a video stream takes a second, more get ClientLimitExceededException (0: no limit; default " + strconv.Itoa(playback.DefaultMediaCallsPerSecond) + ")", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			c.GetMediaCallsPerSecond = n
			return err
		}},
		{"video-auto-create", "create a video stream when a camera first publishes to it (true/false; default true)", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.Video.AutoCreate = b
			return err
		}},
		{"video-part-duration", "length of low-latency HLS parts, e.g. 200ms (0: one part per fragment; default " + durationText(defaultPartDuration) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Video.PartDuration = d
			return err
		}},
		{"video-putmedia-max-fragment-duration", "longest Matroska cluster (fragment) a PutMedia upload may send, 1s to 1h; a longer one ends the upload with ERROR 4002 (default " + durationText(putmedia.DefaultMaxFragmentDuration) + ", as KVS)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Video.PutMediaMaxFragmentDuration = d
			return err
		}},
		{"video-segment-max-bytes", "size of a video shard's segments, the unit that video retention drops, at least 64 KiB (default " + strconv.Itoa(shard.DefaultSegmentMaxBytes) + ", " + strconv.Itoa(shard.DefaultSegmentMaxBytes>>20) + " MiB)", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			c.Video.SegmentMaxBytes = n
			return err
		}},
		{"video-retention-check", "how often video past its retention is dropped, at least 1s (default " + durationText(fragments.DefaultRetentionCheck) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Video.RetentionCheck = d
			return err
		}},
		{"video-disk-reserve", `free space to keep on the data directory's file system by deleting the oldest video, e.g. "5%" or "10GiB" (default: off)`,
			str(func(c *Config) *string { return &c.Video.DiskReserve })},
		{"http-body-timeout", "time a request body may take to arrive before the connection is cut (default " + durationText(web.DefaultBodyTimeout) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.HTTPBodyTimeout = d
			return err
		}},
		{"http-body-budget", fmt.Sprintf("bytes of request bodies held in memory at once, server wide (default %d, %d MiB)", web.DefaultBodyBudget, web.DefaultBodyBudget>>20), func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			c.HTTPBodyBudget = n
			return err
		}},
		{"tls-cert", "PEM certificate chain: serve the HTTP listener over TLS (HTTP/2 and HTTP/1.1); re-read on SIGHUP; needs --tls-key", str(func(c *Config) *string { return &c.TLS.Cert })},
		{"tls-key", "PEM private key of --tls-cert", str(func(c *Config) *string { return &c.TLS.Key })},
		{"ffmpeg", "the ffmpeg binary GetImages decodes video with: a path or a name in PATH (default ffmpeg; without it GetImages is unavailable)", str(func(c *Config) *string { return &c.FFmpeg })},
		{"image-cache-bytes", fmt.Sprintf("memory for GetImages' cache of decoded images, per fragment (default %d, %d MiB)", playback.DefaultImageCacheBytes, playback.DefaultImageCacheBytes>>20), func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			c.ImageCacheBytes = n
			return err
		}},
		{"pprof", "address for Go's /debug/pprof profiling endpoints (off when empty)", str(func(c *Config) *string { return &c.Pprof })},
		{"log-level", "debug, info, warn or error (default " + defaultLogLevel + ")", str(func(c *Config) *string { return &c.LogLevel })},
		{"log-format", "text or json (default " + defaultLogFormat + ")", str(func(c *Config) *string { return &c.LogFormat })},
		{"account-id", "12-digit account id shown in ARNs (default " + defaultAccountID + ")", str(func(c *Config) *string { return &c.AccountID })},
		{"region", "region shown in ARNs (default " + defaultRegion + ")", str(func(c *Config) *string { return &c.Region })},
		{"master-key", "master key (32 bytes, base64 or hex) instead of the keyring file", str(func(c *Config) *string { return &c.MasterKey })},
		{"shard-limit", "open shards allowed per account (default " + strconv.Itoa(datastreams.DefaultShardLimit) + ")", num(func(c *Config) *int { return &c.Kinesis.ShardLimit })},
		{"kinesis-consumer-delay", "how long a registered stream consumer stays CREATING and a deregistered one DELETING, e.g. 500ms (default " + durationText(datastreams.DefaultConsumerDelay) + ": at once)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.ConsumerDelay = d
			return err
		}},
		{"kinesis-subscription-lifetime", "how long a SubscribeToShard stream lasts before the client subscribes again, at least 1s (default " + durationText(datastreams.DefaultSubscriptionLifetime) + ", as AWS)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.SubscriptionLifetime = d
			return err
		}},
		{"kinesis-create-delay", "how long a new data stream stays CREATING (default 0: ACTIVE at once)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.CreateDelay = d
			return err
		}},
		{"kinesis-update-delay", "how long a data stream stays UPDATING after a reshard or an encryption change (default 0: only while it runs)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.UpdateDelay = d
			return err
		}},
		{"kinesis-delete-delay", "how long a deleted data stream stays DELETING before it is gone (default 0: gone at once)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.DeleteDelay = d
			return err
		}},
		{"enforce-limits", "enforce per-shard throughput limits as AWS does (true/false)", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.Kinesis.EnforceLimits = b
			return err
		}},
		{"kinesis-ondemand-check", "how often the write rates of ON_DEMAND streams' shards are measured, at least 100ms (default " + durationText(autoscale.DefaultTick) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.OnDemandCheck = d
			return err
		}},
		{"kinesis-ondemand-split-after", "how long an ON_DEMAND stream's shard must stay at or above the split threshold to be split (default " + durationText(autoscale.DefaultSplitAfter) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.OnDemandSplitAfter = d
			return err
		}},
		{"kinesis-ondemand-merge-after", "how long two adjacent shards of an ON_DEMAND stream must both stay below the merge threshold to be merged (default " + durationText(autoscale.DefaultMergeAfter) + ")", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.Kinesis.OnDemandMergeAfter = d
			return err
		}},
		{"kinesis-ondemand-split-threshold", "write rate, as a fraction of a shard's 1 MiB/s or 1000 records/s, at which an ON_DEMAND stream's shard counts as hot (default " + strconv.FormatFloat(autoscale.DefaultSplitAt, 'g', -1, 64) + ")", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.Kinesis.OnDemandSplitThreshold = f
			return err
		}},
		{"kinesis-ondemand-merge-threshold", "write rate, as a fraction of a shard's capacity, below which an ON_DEMAND stream's shard counts as cold; under half the split threshold (default " + strconv.FormatFloat(autoscale.DefaultMergeBelow, 'g', -1, 64) + ")", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.Kinesis.OnDemandMergeThreshold = f
			return err
		}},
		{"access-key-id", "with --secret-access-key: the credential that API requests (SigV4), RTSP publishers and plain HLS readers must use; without one, listeners bind loopback only", str(func(c *Config) *string { return &c.Auth.AccessKeyID })},
		{"secret-access-key", "secret of --access-key-id", str(func(c *Config) *string { return &c.Auth.SecretAccessKey })},
		{"insecure-open", "with no credentials configured, listen where asked (default: loopback only) and let anyone publish and read", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.InsecureOpen = b
			return err
		}},
	}, firehoseSettings()...)
}

// loadConfig builds the configuration from defaults, the YAML file, the
// environment and args, in that order of precedence (last wins).
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("shardcast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (env SHARDCAST_CONFIG)")
	all := settings()
	values := map[string]*string{}
	for _, s := range all {
		usage := s.usage + " (env SHARDCAST_" + envName(s.name) + ")"
		if s.boolean() {
			values[s.name] = new(string)
			fs.Var(boolFlag{values[s.name]}, s.name, usage)
			continue
		}
		values[s.name] = fs.String(s.name, "", usage)
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: shardcast [flags]\n       shardcast check|media get|agent [flags]   (each with -h)\n\nEvery flag can also be set with its environment variable or in the --config file.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return Config{}, errHelp
	} else if err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := defaultConfig()
	path := *configPath
	if path == "" {
		path = getenv("SHARDCAST_CONFIG")
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
		if cfg.WebRTCOpts.Address != "" {
			cfg.WebRTC = cfg.WebRTCOpts.Address
		}
	}
	for _, s := range all {
		if v, ok := lookupEnv(getenv, "SHARDCAST_"+envName(s.name)); ok {
			if err := s.set(&cfg, v); err != nil {
				return Config{}, fmt.Errorf("SHARDCAST_%s=%q: %w", envName(s.name), v, err)
			}
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range all {
		if set[s.name] {
			if err := s.set(&cfg, *values[s.name]); err != nil {
				return Config{}, fmt.Errorf("--%s=%q: %w", s.name, *values[s.name], err)
			}
		}
	}
	return cfg, cfg.Validate()
}

func envName(flag string) string { return strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) }

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}
