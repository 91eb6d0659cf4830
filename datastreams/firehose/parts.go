package firehose

import (
	"encoding/json"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/format"
	"github.com/shardcast/shardcast/datastreams/firehose/prefix"
	"github.com/shardcast/shardcast/datastreams/firehose/transform"
)

// The parts of a destination come from the leaf packages: transform runs
// ProcessingConfiguration, prefix evaluates S3 prefixes and names objects,
// format compresses and converts. Only non-S3 destinations, which talk to
// services shardcast's configuration names, are built outside the engine.

// DestinationFactory builds a non-S3 destination (HttpEndpoint,
// Amazonopensearchservice, Elasticsearch, Splunk, Redshift) from its kind
// and its configuration in the API's JSON; its error's text is shown to the
// caller of CreateDeliveryStream or UpdateDestination.
type DestinationFactory func(kind string, config []byte) (delivery.Destination, error)

// RecordFielder is a destination that adds its own fields to the error
// records of what it gave up on (OpenSearch's esDocumentId, ...).
type RecordFielder interface {
	RecordFields(r delivery.Record) map[string]any
}

// processorSpec is what a destination's processing is built from.
type processorSpec struct {
	processing *ProcessingConfiguration
	dynamic    bool
	source     string // the source data stream's ARN, "" for DirectPut
	streamARN  string
}

// processor builds a destination's record processor; nil when nothing
// runs (no processors, and no KPL aggregates to undo).
func (e *Engine) processor(spec processorSpec) (*transform.Pipeline, error) {
	cfg := transform.Config{
		DynamicPartitioning: spec.dynamic,
		KinesisSource:       spec.source != "", SourceStreamARN: spec.source,
		StreamARN: spec.streamARN, Region: e.cfg.Region,
		LambdaEndpoints: e.cfg.LambdaEndpoints, Logger: e.cfg.Logger,
	}
	if pc := spec.processing; pc != nil {
		cfg.Processing.Enabled = pc.Enabled != nil && *pc.Enabled
		for _, p := range pc.Processors {
			tp := transform.Processor{Type: p.Type}
			for _, x := range p.Parameters {
				tp.Parameters = append(tp.Parameters, transform.Parameter{ParameterName: x.ParameterName, ParameterValue: x.ParameterValue})
			}
			cfg.Processing.Processors = append(cfg.Processing.Processors, tp)
		}
	}
	p, err := transform.New(cfg)
	if err != nil {
		return nil, err
	}
	if p.Empty() {
		return nil, nil
	}
	return p, nil
}

// encoder builds an S3 destination's encoder.
func (e *Engine) encoder(compression string, conv *DataFormatConversionConfiguration) (*format.Encoder, error) {
	cfg := format.EncoderConfig{Compression: compression, Tables: e.cfg.Tables}
	if conv != nil {
		b, err := json.Marshal(conv)
		if err != nil {
			return nil, err
		}
		cfg.Conversion = new(format.Conversion)
		if err := json.Unmarshal(b, cfg.Conversion); err != nil {
			return nil, fmt.Errorf("DataFormatConversionConfiguration: %w", err)
		}
	}
	return format.NewEncoder(cfg)
}

// prefixes builds an S3 output's prefix evaluator.
func prefixes(pfx, errPfx *string, timeZone string, dynamic bool) (*prefix.Prefixes, error) {
	return prefix.New(prefix.Config{Prefix: deref(pfx), ErrorOutputPrefix: deref(errPfx), TimeZone: timeZone, DynamicPartitioning: dynamic})
}
