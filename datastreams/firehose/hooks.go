package firehose

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// FailedRecord is a record a processor could not process: it goes to the
// error output with its original data.
type FailedRecord struct {
	Record  delivery.Record
	RawData []byte
	Code    string
	Message string
	// OutputType is the error output type ("processing-failed" when empty).
	OutputType string
}

// RecordProcessor runs a destination's ProcessingConfiguration over
// records, keeping their order.
type RecordProcessor interface {
	Process(ctx context.Context, recs []delivery.Record) (ok []delivery.Record, failed []FailedRecord, err error)
}

// ProcessorFactory builds the processor of a destination from its
// ProcessingConfiguration (and its DynamicPartitioningConfiguration, for
// the partition keys); it refuses what it cannot run with an error whose
// text is shown to the caller of CreateDeliveryStream.
type ProcessorFactory func(pc *ProcessingConfiguration, dp *DynamicPartitioningConfiguration) (RecordProcessor, error)

// Formatter turns a batch into the body of one S3 object.
type Formatter interface {
	Encode(recs []delivery.Record) (body []byte, ext, contentEncoding string, err error)
}

// FormatterFactory builds the formatter of an S3 destination.
type FormatterFactory func(compression string, conv *DataFormatConversionConfiguration) (Formatter, error)

// Prefixer evaluates S3 prefixes and names objects.
type Prefixer interface {
	// Partition returns the buffer key of a record: records with equal
	// keys go into the same objects.
	Partition(r delivery.Record) (string, error)
	// Prefix evaluates the prefix of an object whose first record is r
	// and whose oldest record arrived at oldest.
	Prefix(r delivery.Record, oldest time.Time) (string, error)
	// ErrorPrefix evaluates the error output prefix for errorType.
	ErrorPrefix(errorType string, oldest time.Time) (string, error)
	// ObjectKey names an object under prefix.
	ObjectKey(prefix, stream, version string, oldest time.Time, ext string) string
}

// PrefixerFactory builds a Prefixer from an S3 destination's Prefix,
// ErrorOutputPrefix and CustomTimeZone; it refuses invalid prefixes.
type PrefixerFactory func(prefix, errorPrefix *string, timeZone string, dynamic bool) (Prefixer, error)

// DestinationFactory builds a non-S3 destination (HttpEndpoint,
// Amazonopensearchservice, Elasticsearch, Splunk, Redshift) from its kind
// and its configuration in the API's JSON.
type DestinationFactory func(kind string, config []byte) (delivery.Destination, error)

// DefaultProcessors serves AppendDelimiterToRecord only.
func DefaultProcessors(pc *ProcessingConfiguration, dp *DynamicPartitioningConfiguration) (RecordProcessor, error) {
	if dp != nil && dp.Enabled != nil && *dp.Enabled {
		return nil, fmt.Errorf("dynamic partitioning is not supported by this server")
	}
	if !pc.On() {
		return nil, nil
	}
	for _, p := range pc.Processors {
		if p.Type != "AppendDelimiterToRecord" {
			return nil, fmt.Errorf("processor %s is not supported by this server", p.Type)
		}
	}
	return appendDelimiter{}, nil
}

type appendDelimiter struct{}

func (appendDelimiter) Process(_ context.Context, recs []delivery.Record) ([]delivery.Record, []FailedRecord, error) {
	out := make([]delivery.Record, len(recs))
	for i, r := range recs {
		r.Data = append(r.Data[:len(r.Data):len(r.Data)], '\n')
		out[i] = r
	}
	return out, nil, nil
}

// DefaultFormats serves UNCOMPRESSED and GZIP without conversion.
func DefaultFormats(compression string, conv *DataFormatConversionConfiguration) (Formatter, error) {
	if conv.On() {
		return nil, fmt.Errorf("DataFormatConversionConfiguration is not supported by this server")
	}
	switch compression {
	case "", "UNCOMPRESSED":
		return plainFormat{}, nil
	case "GZIP":
		return gzipFormat{}, nil
	}
	return nil, fmt.Errorf("CompressionFormat %s is not supported by this server", compression)
}

type plainFormat struct{}

func (plainFormat) Encode(recs []delivery.Record) ([]byte, string, string, error) {
	return concat(recs), "", "", nil
}

type gzipFormat struct{}

// gzipWriters keeps compressors between batches: each holds about a
// megabyte of state that is costly to allocate and clear.
var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

func (gzipFormat) Encode(recs []delivery.Record) ([]byte, string, string, error) {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	for _, r := range recs {
		zw.Write(r.Data)
	}
	if err := zw.Close(); err != nil {
		return nil, "", "", fmt.Errorf("firehose: gzip: %w", err)
	}
	return buf.Bytes(), ".gz", "gzip", nil
}

func concat(recs []delivery.Record) []byte {
	n := 0
	for _, r := range recs {
		n += len(r.Data)
	}
	b := make([]byte, 0, n)
	for _, r := range recs {
		b = append(b, r.Data...)
	}
	return b
}

// DefaultPrefixes evaluates prefixes without expressions: the time path
// yyyy/MM/dd/HH/ (UTC, from the oldest record) after Prefix.
func DefaultPrefixes(prefix, errorPrefix *string, timeZone string, dynamic bool) (Prefixer, error) {
	p := timePrefixer{}
	if prefix != nil {
		p.prefix = *prefix
	}
	if errorPrefix != nil {
		p.errorPrefix = *errorPrefix
	}
	for _, s := range []string{p.prefix, p.errorPrefix} {
		if strings.Contains(s, "!{") && !strings.Contains(s, "!{firehose:error-output-type}") {
			return nil, fmt.Errorf("prefix expressions are not supported by this server")
		}
	}
	if strings.Contains(p.prefix, "!{") {
		return nil, fmt.Errorf("prefix expressions are not supported by this server")
	}
	if timeZone != "" && timeZone != "UTC" {
		return nil, fmt.Errorf("CustomTimeZone is not supported by this server")
	}
	return p, nil
}

type timePrefixer struct{ prefix, errorPrefix string }

func timePath(t time.Time) string { return t.UTC().Format("2006/01/02/15/") }

func (p timePrefixer) Partition(delivery.Record) (string, error) { return "", nil }

func (p timePrefixer) Prefix(_ delivery.Record, oldest time.Time) (string, error) {
	return p.prefix + timePath(oldest), nil
}

func (p timePrefixer) ErrorPrefix(errorType string, oldest time.Time) (string, error) {
	if p.errorPrefix == "" {
		return p.prefix + errorType + "/" + timePath(oldest), nil
	}
	if strings.Contains(p.errorPrefix, "!{") {
		return strings.ReplaceAll(p.errorPrefix, "!{firehose:error-output-type}", errorType), nil
	}
	return p.errorPrefix + errorType + "/" + timePath(oldest), nil
}

func (p timePrefixer) ObjectKey(prefix, stream, version string, oldest time.Time, ext string) string {
	return prefix + stream + "-" + version + "-" + oldest.UTC().Format("2006-01-02-15-04-05") + "-" + newUUID() + ext
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
