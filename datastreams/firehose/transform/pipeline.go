package transform

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Error output types of failed records.
const (
	OutputProcessingFailed    = "processing-failed"
	OutputDecompressionFailed = "decompression-failed"
)

// MaxSubRecords is the most sub-records RecordDeAggregation makes of one
// record.
const MaxSubRecords = 500

// Failed is a record that processing gave up on; it belongs in the error
// output.
type Failed struct {
	// Record is the record with Data set to its raw bytes: what it was
	// when it became a record of its own (as put, or as split out of an
	// aggregate), before any processor changed it.
	Record delivery.Record
	// OutputType is the !{firehose:error-output-type} value.
	OutputType string
	// Code and Message go into the error record's errorCode and
	// errorMessage.
	Code    string
	Message string
	// LambdaARN is set when a Lambda processor failed the record.
	LambdaARN string
	// Attempts is how many times the failing step ran (invocations for a
	// Lambda); the error record's attemptsMade.
	Attempts int
}

// item is a record on its way through the stages, with its raw bytes.
type item struct {
	rec delivery.Record
	raw []byte
}

func (it item) fail(outputType, code, msg string) Failed {
	r := it.rec
	r.Data = it.raw
	return Failed{Record: r, OutputType: outputType, Code: code, Message: msg, Attempts: 1}
}

// child returns the i-th record split out of it, with data as its data and
// raw bytes.
func (it item) child(i int, data []byte) item {
	r := it.rec
	r.ID = it.rec.ID + ":" + strconv.Itoa(i)
	r.Data = data
	r.PartitionKeys = copyKeys(it.rec.PartitionKeys)
	return item{rec: r, raw: data}
}

func copyKeys(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// stage is one processor.
type stage interface {
	run(ctx context.Context, in []item) ([]item, []Failed, error)
}

// perRecord is a stage that handles each record on its own: it returns the
// records it makes of one (none drops it) or a failure.
type perRecord func(it item) ([]item, *Failed)

func (f perRecord) run(ctx context.Context, in []item) ([]item, []Failed, error) {
	out := make([]item, 0, len(in))
	var failed []Failed
	for _, it := range in {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		items, fail := f(it)
		if fail != nil {
			failed = append(failed, *fail)
			continue
		}
		out = append(out, items...)
	}
	return out, failed, nil
}

// Pipeline runs a delivery stream's processors over records. It is safe
// for concurrent use.
type Pipeline struct {
	stages []stage
	types  map[string]bool
}

// New validates cfg and builds its Pipeline. Its errors describe the bad
// processor or parameter, for an InvalidArgumentException.
func New(cfg Config) (*Pipeline, error) {
	byType := map[string]map[string]string{}
	for _, pr := range cfg.Processing.Processors {
		switch pr.Type {
		case TypeRecordDeAggregation, TypeDecompression, TypeCloudWatchLogProcessing,
			TypeLambda, TypeMetadataExtraction, TypeAppendDelimiterToRecord:
		default:
			return nil, fmt.Errorf("unknown processor type %q", pr.Type)
		}
		if _, dup := byType[pr.Type]; dup {
			return nil, fmt.Errorf("processor %s is given twice", pr.Type)
		}
		m, err := params(pr)
		if err != nil {
			return nil, err
		}
		byType[pr.Type] = m
	}
	p := &Pipeline{types: map[string]bool{}}
	if cfg.KinesisSource {
		p.stages = append(p.stages, perRecord(kplStage))
	}
	if !cfg.Processing.Enabled {
		return p, nil
	}
	for t := range byType {
		p.types[t] = true
	}
	if m, ok := byType[TypeDecompression]; ok {
		if err := checkKnown(TypeDecompression, m, "CompressionFormat"); err != nil {
			return nil, err
		}
		if f := m["CompressionFormat"]; f != "GZIP" {
			return nil, fmt.Errorf("processor Decompression: CompressionFormat %q is not GZIP", f)
		}
		p.stages = append(p.stages, perRecord(decompress))
	}
	if m, ok := byType[TypeCloudWatchLogProcessing]; ok {
		if err := checkKnown(TypeCloudWatchLogProcessing, m, "DataMessageExtraction"); err != nil {
			return nil, err
		}
		on, err := strconv.ParseBool(m["DataMessageExtraction"])
		if err != nil {
			return nil, fmt.Errorf("processor CloudWatchLogProcessing: DataMessageExtraction %q is not true or false", m["DataMessageExtraction"])
		}
		if on {
			if _, ok := byType[TypeDecompression]; !ok {
				return nil, fmt.Errorf("processor CloudWatchLogProcessing needs a Decompression processor (CloudWatch Logs data is GZIP)")
			}
			p.stages = append(p.stages, perRecord(extractLogMessages))
		}
	}
	if m, ok := byType[TypeRecordDeAggregation]; ok {
		c, err := parseDeAgg(m)
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, perRecord(c.split))
	}
	if m, ok := byType[TypeLambda]; ok {
		c, err := parseLambda(m, cfg.LambdaEndpoints)
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, newLambda(c, cfg))
	}
	if m, ok := byType[TypeMetadataExtraction]; ok {
		if !cfg.DynamicPartitioning {
			return nil, fmt.Errorf("processor MetadataExtraction needs dynamic partitioning enabled")
		}
		q, err := newQuery(m)
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, perRecord(q.extract))
	}
	if m, ok := byType[TypeAppendDelimiterToRecord]; ok {
		if err := checkKnown(TypeAppendDelimiterToRecord, m); err != nil {
			return nil, err
		}
		p.stages = append(p.stages, perRecord(appendNewline))
	}
	return p, nil
}

// Process runs the records through the processors in Firehose's order: KPL
// de-aggregation (Kinesis source), Decompression, CloudWatchLogProcessing,
// RecordDeAggregation, Lambda, MetadataExtraction, AppendDelimiterToRecord.
// Records keep their order. out holds the records to deliver (with their
// PartitionKeys), failed those for the error output. err is non-nil only
// when ctx ends; then nothing was decided and the whole input must be
// processed again later.
func (p *Pipeline) Process(ctx context.Context, in []delivery.Record) (out []delivery.Record, failed []Failed, err error) {
	items := make([]item, len(in))
	for i, r := range in {
		items[i] = item{rec: r, raw: r.Data}
	}
	for _, s := range p.stages {
		var f []Failed
		items, f, err = s.run(ctx, items)
		if err != nil {
			return nil, nil, err
		}
		failed = append(failed, f...)
	}
	out = make([]delivery.Record, len(items))
	for i, it := range items {
		out[i] = it.rec
	}
	return out, failed, nil
}

// Has reports whether a processor of the type runs (for checks across
// settings: !{partitionKeyFromQuery:...} needs MetadataExtraction, and
// !{partitionKeyFromLambda:...} needs Lambda).
func (p *Pipeline) Has(typ string) bool { return p.types[typ] }

// Empty reports whether the pipeline changes nothing (no processors run).
func (p *Pipeline) Empty() bool { return len(p.stages) == 0 }

func appendNewline(it item) ([]item, *Failed) {
	data := make([]byte, len(it.rec.Data)+1)
	copy(data, it.rec.Data)
	data[len(data)-1] = '\n'
	it.rec.Data = data
	return []item{it}, nil
}

func defaults(cfg Config) (*http.Client, *slog.Logger, time.Duration) {
	timeout := cfg.LambdaTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	backoff := cfg.RetryBackoff
	if backoff <= 0 {
		backoff = time.Second
	}
	return client, log, backoff
}
