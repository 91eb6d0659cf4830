package transform

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Processor types.
const (
	TypeRecordDeAggregation     = "RecordDeAggregation"
	TypeDecompression           = "Decompression"
	TypeCloudWatchLogProcessing = "CloudWatchLogProcessing"
	TypeLambda                  = "Lambda"
	TypeMetadataExtraction      = "MetadataExtraction"
	TypeAppendDelimiterToRecord = "AppendDelimiterToRecord"
)

// ProcessingConfiguration mirrors Firehose's ProcessingConfiguration.
type ProcessingConfiguration struct {
	Enabled    bool
	Processors []Processor
}

// Processor mirrors one element of ProcessingConfiguration.Processors.
type Processor struct {
	Type       string
	Parameters []Parameter
}

// Parameter is one processor parameter.
type Parameter struct {
	ParameterName  string
	ParameterValue string
}

// Config is what New needs to build a Pipeline.
type Config struct {
	// Processing is the delivery stream's ProcessingConfiguration. When
	// Enabled is false only KPL de-aggregation (for a Kinesis source) runs.
	Processing ProcessingConfiguration
	// DynamicPartitioning is DynamicPartitioningConfiguration.Enabled; a
	// MetadataExtraction processor needs it, and Lambda partition keys are
	// kept only with it.
	DynamicPartitioning bool

	// KinesisSource: records come from a Kinesis data stream (they carry a
	// delivery.KinesisSource). KPL-aggregated records are then split, and
	// Lambda events carry kinesisRecordMetadata and sourceKinesisStreamArn.
	KinesisSource   bool
	SourceStreamARN string

	// StreamARN and Region go into Lambda events.
	StreamARN string
	Region    string

	// LambdaEndpoints maps a function ARN (as configured in LambdaArn) to
	// the URL of the HTTP service that plays the function: the event is
	// POSTed there and the response body is the function's result.
	// An ARN with a version or alias suffix is looked up as given first,
	// then without the suffix.
	LambdaEndpoints map[string]string
	// HTTPClient calls Lambda endpoints; nil means a client with
	// LambdaTimeout.
	HTTPClient *http.Client
	// LambdaTimeout bounds one invocation; 0 means 5 minutes.
	LambdaTimeout time.Duration
	// LambdaConcurrency is how many invocations of one Process call may
	// run at once; 0 means 5 (Firehose's limit of outstanding invocations
	// per shard).
	LambdaConcurrency int
	// RetryBackoff is the wait before the first retry of a failed
	// invocation, doubled for each next one; 0 means 1 second.
	RetryBackoff time.Duration

	// Logger receives invocation failures; nil means slog.Default().
	Logger *slog.Logger
}

func params(p Processor) (map[string]string, error) {
	m := make(map[string]string, len(p.Parameters))
	for _, kv := range p.Parameters {
		if _, dup := m[kv.ParameterName]; dup {
			return nil, fmt.Errorf("processor %s: parameter %s is given twice", p.Type, kv.ParameterName)
		}
		m[kv.ParameterName] = kv.ParameterValue
	}
	return m, nil
}

func checkKnown(typ string, m map[string]string, known ...string) error {
	for k := range m {
		ok := false
		for _, n := range known {
			ok = ok || k == n
		}
		if !ok {
			return fmt.Errorf("processor %s does not take parameter %s", typ, k)
		}
	}
	return nil
}

// deAggConfig is a RecordDeAggregation processor.
type deAggConfig struct {
	delimited bool
	delimiter []byte
}

func parseDeAgg(m map[string]string) (deAggConfig, error) {
	if err := checkKnown(TypeRecordDeAggregation, m, "SubRecordType", "Delimiter"); err != nil {
		return deAggConfig{}, err
	}
	switch m["SubRecordType"] {
	case "JSON":
		if _, ok := m["Delimiter"]; ok {
			return deAggConfig{}, errors.New("processor RecordDeAggregation: Delimiter is only for SubRecordType DELIMITED")
		}
		return deAggConfig{}, nil
	case "DELIMITED":
		d, err := base64.StdEncoding.DecodeString(m["Delimiter"])
		if err != nil || len(d) == 0 {
			return deAggConfig{}, fmt.Errorf("processor RecordDeAggregation: Delimiter %q must be non-empty base64 (\"IyMjIw==\" is ####)", m["Delimiter"])
		}
		return deAggConfig{delimited: true, delimiter: d}, nil
	case "":
		return deAggConfig{}, errors.New("processor RecordDeAggregation needs SubRecordType JSON or DELIMITED")
	}
	return deAggConfig{}, fmt.Errorf("processor RecordDeAggregation: SubRecordType %q is not JSON or DELIMITED", m["SubRecordType"])
}

// lambdaConfig is a Lambda processor.
type lambdaConfig struct {
	arn      string
	url      string
	retries  int
	maxBytes int // BufferSizeInMBs: the most record bytes one invocation gets
}

func parseLambda(m map[string]string, endpoints map[string]string) (lambdaConfig, error) {
	if err := checkKnown(TypeLambda, m, "LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"); err != nil {
		return lambdaConfig{}, err
	}
	c := lambdaConfig{arn: m["LambdaArn"], retries: 3, maxBytes: 1 << 20}
	if c.arn == "" {
		return c, errors.New("processor Lambda needs LambdaArn")
	}
	if !strings.HasPrefix(c.arn, "arn:") {
		return c, fmt.Errorf("processor Lambda: LambdaArn %q is not an ARN", c.arn)
	}
	c.url = endpoints[c.arn]
	if c.url == "" {
		// arn:aws:lambda:region:account:function:name[:version-or-alias]
		if parts := strings.Split(c.arn, ":"); len(parts) == 8 {
			c.url = endpoints[strings.Join(parts[:7], ":")]
		}
	}
	if c.url == "" {
		return c, fmt.Errorf("processor Lambda: no endpoint is configured for function %s (map it to an HTTP URL in shardcast's config)", c.arn)
	}
	if u, err := url.Parse(c.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("processor Lambda: the endpoint of %s, %q, is not an http(s) URL", c.arn, c.url)
	}
	if v, ok := m["NumberOfRetries"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 300 {
			return c, fmt.Errorf("processor Lambda: NumberOfRetries %q must be an integer from 0 to 300", v)
		}
		c.retries = n
	}
	if v, ok := m["BufferSizeInMBs"]; ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.2 || f > 3 {
			return c, fmt.Errorf("processor Lambda: BufferSizeInMBs %q must be a number from 0.2 to 3", v)
		}
		c.maxBytes = int(f * (1 << 20))
	}
	if v, ok := m["BufferIntervalInSeconds"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 60 || n > 900 {
			return c, fmt.Errorf("processor Lambda: BufferIntervalInSeconds %q must be an integer from 60 to 900", v)
		}
	}
	return c, nil
}
