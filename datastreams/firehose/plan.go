package firehose

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/format"
	"github.com/shardcast/shardcast/datastreams/firehose/prefix"
	"github.com/shardcast/shardcast/datastreams/firehose/transform"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// plan is what a destination's configuration builds: the parts its
// delivery loop runs.
type plan struct {
	kind     string
	proc     *transform.Pipeline // nil: records go as they are
	target   delivery.Destination
	prefixes *prefix.Prefixes // S3: partitions and prefixes batches; nil for others
	dynamic  bool
	size     int
	interval time.Duration
	retry    time.Duration
	forever  bool // S3: retry until it works
	errOut   *errorOutput
	// giveUp, when set, replaces the error records of a batch given up on
	// (Redshift writes a manifest of the staged object instead).
	giveUp func(ctx context.Context, b delivery.Batch) error
}

func (p *plan) close() {
	if p.target != nil {
		p.target.Close()
	}
}

// errorOutput is where records given up on are written.
type errorOutput struct {
	bucket   string
	prefixes *prefix.Prefixes
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

// bucketOf returns the bucket of an S3 bucket ARN. The bucket must match
// the API's pattern ([\w.-]{1,255}) and not be a dot segment, which no S3
// bucket is: the directory object store makes it a directory.
func bucketOf(arn string) (string, bool) {
	b, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		_, b, ok = strings.Cut(arn, ":s3:::")
	}
	return b, ok && bucketName(b)
}

func bucketName(b string) bool {
	if len(b) < 1 || len(b) > 255 || b == "." || b == ".." {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
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

// s3Output validates an S3 configuration and builds its prefixes.
func (e *Engine) s3Output(c *S3DestinationConfiguration, path, tz string, dynamic bool) (string, *prefix.Prefixes, error) {
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
	pf, err := prefixes(c.Prefix, c.ErrorOutputPrefix, tz, dynamic)
	if err != nil {
		return "", nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	return bucket, pf, nil
}

// plan builds the parts of a destination of the delivery stream arn,
// refusing what cannot run. source is the ARN of the data stream it reads
// ("" for DirectPut).
func (e *Engine) plan(dc DestinationConfig, arn, source string) (*plan, error) {
	spec := processorSpec{streamARN: arn}
	if !strings.HasSuffix(dc.ID, backupSuffix) {
		spec.source = source
	}
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
		spec.processing, spec.dynamic = c.ProcessingConfiguration, p.dynamic
		if p.proc, err = e.processor(spec); err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
		}
		if err := checkPartitionKeys(pf, p.proc); err != nil {
			return nil, err
		}
		if err := prefix.ValidateFileExtension(c.FileExtension); err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
		}
		enc, err := e.encoder(c.CompressionFormat, c.DataFormatConversionConfiguration)
		if err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
		}
		if enc.Converts() && c.BufferingHints != nil && c.BufferingHints.SizeInMBs != nil && *c.BufferingHints.SizeInMBs < 64 {
			return nil, errorf(registry.ErrInvalidArgument, "BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.")
		}
		if enc.Converts() && (c.BufferingHints == nil || c.BufferingHints.SizeInMBs == nil) {
			p.size = 128 << 20
		}
		p.prefixes, p.forever = pf, true
		p.target = &s3Target{objects: e.cfg.Objects, bucket: bucket, enc: enc, prefixes: pf, ext: c.FileExtension}
		p.errOut = &errorOutput{bucket: bucket, prefixes: pf}
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
	p.errOut = &errorOutput{bucket: bucket, prefixes: pf}
	defSize, defInterval, defRetry := 5, 300, 300
	switch dc.Kind {
	case DestSplunk:
		defInterval = 60
	case DestRedshift:
		defRetry = 3600
	}
	bh, bhPath := c.BufferingHints, path
	if dc.Kind == DestRedshift {
		// Redshift has no BufferingHints of its own: the intermediate
		// bucket's (S3Configuration) decide when a batch is staged.
		bh, bhPath = c.S3Configuration.BufferingHints, path+".s3Configuration"
	}
	if p.size, p.interval, err = hints(bh, bhPath, defSize, defInterval); err != nil {
		return nil, err
	}
	p.retry = time.Duration(defRetry) * time.Second
	if c.RetryOptions != nil && c.RetryOptions.DurationInSeconds != nil {
		if d := *c.RetryOptions.DurationInSeconds; d < 0 || d > 7200 {
			return nil, errorf(registry.ErrValidation, "1 validation error detected: Value '%d' at '%s.retryOptions.durationInSeconds' failed to satisfy constraint: Member must have value between 0 and 7200", d, path)
		}
		p.retry = time.Duration(*c.RetryOptions.DurationInSeconds) * time.Second
	}
	spec.processing = c.ProcessingConfiguration
	if p.proc, err = e.processor(spec); err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	if p.target, err = e.cfg.Destinations(dc.Kind, dc.Config); err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "%s", err.Error())
	}
	if dc.Kind == DestRedshift {
		if err := e.stageRedshift(p, bucket, pf, c.S3Configuration.CompressionFormat); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

// checkPartitionKeys refuses a Prefix whose partition keys nothing sets.
func checkPartitionKeys(pf *prefix.Prefixes, proc *transform.Pipeline) error {
	if len(pf.QueryKeys()) > 0 && (proc == nil || !proc.Has(transform.TypeMetadataExtraction)) {
		return errorf(registry.ErrInvalidArgument, "Prefix uses partitionKeyFromQuery, which needs a MetadataExtraction processor.")
	}
	if len(pf.LambdaKeys()) > 0 && (proc == nil || !proc.Has(transform.TypeLambda)) {
		return errorf(registry.ErrInvalidArgument, "Prefix uses partitionKeyFromLambda, which needs a Lambda processor.")
	}
	return nil
}

// s3Target delivers batches as objects.
type s3Target struct {
	objects  delivery.ObjectStore
	bucket   string
	enc      *format.Encoder
	prefixes *prefix.Prefixes
	ext      string // FileExtension: replaces the format's
}

// put encodes a batch and stores it; it returns the key and the indexes of
// the records that could not be converted.
func (t *s3Target) put(ctx context.Context, b delivery.Batch) (string, []format.Failed, error) {
	base := t.prefixes.ObjectKey(b.Prefix, b.StreamName, b.Version, b.Oldest(), "")
	data := make([][]byte, len(b.Records))
	for i, r := range b.Records {
		data[i] = r.Data
	}
	obj, failed, err := t.enc.Encode(path.Base(base), data)
	if err != nil {
		return "", nil, &delivery.Error{Code: format.CodeMalformedData, Message: err.Error(), Permanent: true, Err: err}
	}
	key := base + prefix.Extension(t.ext, obj.Ext)
	if obj.Records > 0 {
		meta := delivery.ObjectMeta{ContentType: obj.ContentType, ContentEncoding: obj.ContentEncoding}
		if err := t.objects.Put(ctx, t.bucket, key, obj.Body, meta); err != nil {
			return "", nil, delivery.AsError(fmt.Errorf("put s3://%s/%s: %w", t.bucket, key, err), "S3.PutObjectFailed")
		}
	}
	return key, failed, nil
}

func (t *s3Target) Deliver(ctx context.Context, b delivery.Batch) error {
	_, failed, err := t.put(ctx, b)
	if err != nil || len(failed) == 0 {
		return err
	}
	// The object holds what converted; the rest goes to the error output.
	de := &delivery.Error{Code: failed[0].Code, Message: failed[0].Message, Permanent: true}
	for _, f := range failed {
		de.Failed = append(de.Failed, f.Index)
	}
	return de
}

func (t *s3Target) ErrorOutputType() string { return format.ErrorOutputType }
func (t *s3Target) Close() error            { return nil }
