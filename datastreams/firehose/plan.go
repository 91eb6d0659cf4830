package firehose

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// plan is what a destination's configuration builds: the parts its
// delivery loop runs.
type plan struct {
	kind     string
	proc     RecordProcessor
	target   delivery.Destination
	prefixer Prefixer // S3: partitions and prefixes batches; nil for others
	dynamic  bool
	size     int
	interval time.Duration
	retry    time.Duration
	forever  bool // S3: retry until it works
	errOut   *errorOutput
}

func (p *plan) close() {
	if p.target != nil {
		p.target.Close()
	}
}

// errorOutput is where records given up on are written.
type errorOutput struct {
	bucket   string
	prefixer Prefixer
}

// commonConfig holds the members every non-S3 destination shares.
type commonConfig struct {
	BufferingHints          *BufferingHints             `json:"BufferingHints"`
	RetryOptions            *RetryOptions               `json:"RetryOptions"`
	ProcessingConfiguration *ProcessingConfiguration    `json:"ProcessingConfiguration"`
	S3Configuration         *S3DestinationConfiguration `json:"S3Configuration"`
}

func missing(path string) error {
	return errorf(registry.ErrValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", path)
}

func bucketOf(arn string) (string, bool) {
	b, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		_, b, ok = strings.Cut(arn, ":s3:::")
	}
	return b, ok && b != "" && !strings.Contains(b, "/")
}

func hints(h *BufferingHints, path string, defSize, defInterval int) (int, time.Duration, error) {
	size, interval := defSize, defInterval
	if h != nil {
		if h.SizeInMBs != nil {
			if *h.SizeInMBs < 1 || *h.SizeInMBs > 128 {
				return 0, 0, errorf(registry.ErrValidation, "1 validation error detected: Value '%d' at '%s.bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value between 1 and 128", *h.SizeInMBs, path)
			}
			size = *h.SizeInMBs
		}
		if h.IntervalInSeconds != nil {
			if *h.IntervalInSeconds < 0 || *h.IntervalInSeconds > 900 {
				return 0, 0, errorf(registry.ErrValidation, "1 validation error detected: Value '%d' at '%s.bufferingHints.intervalInSeconds' failed to satisfy constraint: Member must have value between 0 and 900", *h.IntervalInSeconds, path)
			}
			interval = *h.IntervalInSeconds
		}
	}
	return size << 20, time.Duration(interval) * time.Second, nil
}

var compressions = map[string]bool{"UNCOMPRESSED": true, "GZIP": true, "ZIP": true, "Snappy": true, "HADOOP_SNAPPY": true}

// s3Output validates an S3 configuration and builds its prefixer.
func (e *Engine) s3Output(c *S3DestinationConfiguration, path, tz string, dynamic bool) (string, Prefixer, error) {
	if c.BucketARN == "" {
		return "", nil, missing(path + ".bucketARN")
	}
	if c.RoleARN == "" {
		return "", nil, missing(path + ".roleARN")
	}
	bucket, ok := bucketOf(c.BucketARN)
	if !ok {
		return "", nil, errorf(registry.ErrInvalidArgument, "BucketARN %s is not a valid S3 bucket ARN.", c.BucketARN)
	}
	if c.CompressionFormat != "" && !compressions[c.CompressionFormat] {
		return "", nil, errorf(registry.ErrValidation, "1 validation error detected: Value '%s' at '%s.compressionFormat' failed to satisfy constraint: Member must satisfy enum value set: [HADOOP_SNAPPY, UNCOMPRESSED, Snappy, GZIP, ZIP]", c.CompressionFormat, path)
	}
	pf, err := e.cfg.Prefixes(c.Prefix, c.ErrorOutputPrefix, tz, dynamic)
	if err != nil {
		return "", nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	return bucket, pf, nil
}

// plan builds the parts of a destination, refusing what cannot run.
func (e *Engine) plan(dc DestinationConfig) (*plan, error) {
	p := &plan{kind: dc.Kind}
	switch dc.Kind {
	case DestExtendedS3, DestS3:
		var c ExtendedS3DestinationConfiguration
		if err := json.Unmarshal(dc.Config, &c); err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "Invalid %sDestinationConfiguration: %v", dc.Kind, err)
		}
		path := "extendedS3DestinationConfiguration"
		if dc.Kind == DestS3 {
			path = "s3DestinationConfiguration"
		}
		dp := c.DynamicPartitioningConfiguration
		p.dynamic = dp != nil && dp.Enabled != nil && *dp.Enabled
		bucket, pf, err := e.s3Output(&c.S3DestinationConfiguration, path, c.CustomTimeZone, p.dynamic)
		if err != nil {
			return nil, err
		}
		if p.size, p.interval, err = hints(c.BufferingHints, path, 5, 300); err != nil {
			return nil, err
		}
		if p.proc, err = e.cfg.Processors(c.ProcessingConfiguration, dp); err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
		}
		f, err := e.cfg.Formats(c.CompressionFormat, c.DataFormatConversionConfiguration)
		if err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
		}
		p.prefixer, p.forever = pf, true
		p.target = &s3Target{objects: e.cfg.Objects, bucket: bucket, format: f, prefixer: pf, ext: c.FileExtension}
		p.errOut = &errorOutput{bucket: bucket, prefixer: pf}
		return p, nil
	case DestHTTPEndpoint, DestOpenSearch, DestElasticsearch, DestSplunk, DestRedshift:
	default:
		return nil, errorf(registry.ErrInvalidArgument, "%s destinations are not supported by this server.", dc.Kind)
	}
	if e.cfg.Destinations == nil {
		return nil, errorf(registry.ErrInvalidArgument, "%s destinations are not available on this server: no destination of that type is configured.", dc.Kind)
	}
	var c commonConfig
	if err := json.Unmarshal(dc.Config, &c); err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "Invalid %sDestinationConfiguration: %v", dc.Kind, err)
	}
	path := strings.ToLower(dc.Kind[:1]) + dc.Kind[1:] + "DestinationConfiguration"
	if c.S3Configuration == nil {
		return nil, missing(path + ".s3Configuration")
	}
	bucket, pf, err := e.s3Output(c.S3Configuration, path+".s3Configuration", "", false)
	if err != nil {
		return nil, err
	}
	p.errOut = &errorOutput{bucket: bucket, prefixer: pf}
	defSize, defInterval, defRetry := 5, 300, 300
	switch dc.Kind {
	case DestSplunk:
		defInterval = 60
	case DestRedshift:
		defRetry = 3600
	}
	if p.size, p.interval, err = hints(c.BufferingHints, path, defSize, defInterval); err != nil {
		return nil, err
	}
	p.retry = time.Duration(defRetry) * time.Second
	if c.RetryOptions != nil && c.RetryOptions.DurationInSeconds != nil {
		if d := *c.RetryOptions.DurationInSeconds; d < 0 || d > 7200 {
			return nil, errorf(registry.ErrValidation, "1 validation error detected: Value '%d' at '%s.retryOptions.durationInSeconds' failed to satisfy constraint: Member must have value between 0 and 7200", d, path)
		}
		p.retry = time.Duration(*c.RetryOptions.DurationInSeconds) * time.Second
	}
	if p.proc, err = e.cfg.Processors(c.ProcessingConfiguration, nil); err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	if p.target, err = e.cfg.Destinations(dc.Kind, dc.Config); err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	return p, nil
}

// s3Target delivers batches as objects.
type s3Target struct {
	objects  delivery.ObjectStore
	bucket   string
	format   Formatter
	prefixer Prefixer
	ext      string
}

func (t *s3Target) Deliver(ctx context.Context, b delivery.Batch) error {
	body, ext, enc, err := t.format.Encode(b.Records)
	if err != nil {
		return &delivery.Error{Code: "DataFormatConversion.Failed", Message: err.Error(), Permanent: true, Err: err}
	}
	if t.ext != "" {
		ext = t.ext
	}
	key := t.prefixer.ObjectKey(b.Prefix, b.StreamName, b.Version, b.Oldest(), ext)
	if err := t.objects.Put(ctx, t.bucket, key, body, delivery.ObjectMeta{ContentEncoding: enc}); err != nil {
		return delivery.AsError(fmt.Errorf("put s3://%s/%s: %w", t.bucket, key, err), "S3.PutObjectFailed")
	}
	return nil
}

func (t *s3Target) ErrorOutputType() string { return "format-conversion-failed" }
func (t *s3Target) Close() error            { return nil }
