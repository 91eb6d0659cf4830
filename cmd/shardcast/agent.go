package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"gopkg.in/yaml.v3"

	"github.com/shardcast/shardcast/datastreams/agent"
)

const agentUsage = `usage: shardcast agent --config agent.yaml [--endpoint URL] [--region R]

Tails log files and ships them to Kinesis data streams or Firehose delivery
streams (of shardcast or of AWS), as the Amazon Kinesis Agent does: the
configuration is its agent.json (JSON or YAML), with flows of filePattern and
kinesisStream or deliveryStream. kinesis.endpoint and firehose.endpoint
default to --endpoint (the local server). Credentials: awsAccessKeyId and
awsSecretAccessKey of the configuration, else AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (none: unsigned requests).
checkpointFile defaults to agent-checkpoint.json next to the configuration.
Every flag also reads SHARDCAST_AGENT_<NAME>, e.g. SHARDCAST_AGENT_CONFIG.
`

type agentOptions struct {
	config, endpoint, region, logLevel string
	poll, grace, shutdown              time.Duration
}

func parseAgentFlags(args []string, getenv func(string) string, stderr io.Writer) (agentOptions, error) {
	var o agentOptions
	fs := flag.NewFlagSet("shardcast agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, agentUsage); fs.PrintDefaults() }
	defEndpoint := "http://127.0.0.1" + defaultHTTP
	if h := getenv("SHARDCAST_HTTP"); h != "" {
		if strings.HasPrefix(h, ":") {
			h = "127.0.0.1" + h
		}
		defEndpoint = "http://" + h
	}
	fs.StringVar(&o.config, "config", "", "the agent's configuration (agent.json or agent.yaml)")
	fs.StringVar(&o.endpoint, "endpoint", defEndpoint, "the server's URL, for flows whose endpoint the configuration does not name")
	fs.StringVar(&o.region, "region", defaultRegion, "region to sign requests for (kinesis.region and firehose.region win)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&o.poll, "poll-interval", 100*time.Millisecond, "how often files are checked for growth and new files")
	fs.DurationVar(&o.grace, "rotation-grace", 2*time.Second, "how long a rotated file must stay unchanged before it counts as finished")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", 10*time.Second, "how long a stop may spend sending what was read")
	if err := parseSubcommand(fs, args, getenv, "SHARDCAST_AGENT_"); err != nil {
		return o, err
	}
	if o.config == "" {
		return o, errors.New("--config is required")
	}
	return o, nil
}

// runAgent is `shardcast agent`: a client of a running server (or of
// AWS), not a server.
func runAgent(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	o, err := parseAgentFlags(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "shardcast agent:", err)
		return 2
	}
	cfg, err := readAgentConfig(o.config)
	if err != nil {
		fmt.Fprintln(stderr, "shardcast agent:", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(stderr, "shardcast agent: --log-level:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for k := range cfg.Ignored {
		log.Info("agent: setting ignored", "key", k)
	}
	opts := agent.Options{
		Log: log, PollInterval: o.poll, RotationGrace: o.grace, ShutdownTimeout: o.shutdown,
		Kinesis:  kinesis.New(kinesis.Options{Region: or(cfg.KinesisRegion, o.region), BaseEndpoint: aws.String(endpointURL(or(cfg.KinesisEndpoint, o.endpoint))), Credentials: agentCredentials(cfg, getenv), HTTPClient: agentHTTPClient{awshttp.NewBuildableClient()}}),
		Firehose: firehose.New(firehose.Options{Region: or(cfg.FirehoseRegion, o.region), BaseEndpoint: aws.String(endpointURL(or(cfg.FirehoseEndpoint, o.endpoint))), Credentials: agentCredentials(cfg, getenv), HTTPClient: agentHTTPClient{awshttp.NewBuildableClient()}}),
	}
	a, err := agent.New(cfg, opts)
	if err != nil {
		fmt.Fprintln(stderr, "shardcast agent:", err)
		return 2
	}
	log.Info("agent: started", "flows", len(cfg.Flows), "checkpoint", cfg.CheckpointFile)
	if err := a.Run(ctx); err != nil {
		log.Error("agent: stopped", "err", err)
		return 1
	}
	return 0
}

// readAgentConfig reads agent.json or agent.yaml. JSON goes through
// encoding/json first: YAML parsers refuse the tab indentation JSON files
// often have.
func readAgentConfig(path string) (agent.Config, error) {
	var cfg agent.Config
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]any
		if err := json.Unmarshal(t, &m); err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
		if b, err = yaml.Marshal(m); err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.CheckpointFile == "" {
		cfg.CheckpointFile = filepath.Join(filepath.Dir(path), "agent-checkpoint.json")
	}
	return cfg, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// endpointURL accepts the Kinesis Agent's host-only endpoints.
func endpointURL(e string) string {
	if !strings.Contains(e, "://") {
		return "https://" + e
	}
	return strings.TrimRight(e, "/")
}

func agentCredentials(cfg agent.Config, getenv func(string) string) aws.CredentialsProvider {
	c := aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey}
	if c.AccessKeyID == "" {
		c = aws.Credentials{AccessKeyID: getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN")}
	}
	if c.AccessKeyID == "" {
		return aws.AnonymousCredentials{}
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

// agentHTTPClient hides the request body's WriteTo from net/http: the SDK
// answers io.EOF from it once it has closed the body, which net/http takes
// for a failed write (see sdkHTTPClient in the tests).
type agentHTTPClient struct{ aws.HTTPClient }

func (c agentHTTPClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.HTTPClient.Do(r)
}
