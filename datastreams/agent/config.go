package agent

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Config is the agent's configuration. Its yaml names are the Amazon
// Kinesis Agent's agent.json keys, so an existing agent.json (JSON is YAML)
// decodes into it; cmd/shardcast reads the file, this package never does.
type Config struct {
	CheckpointFile   string `yaml:"checkpointFile"`
	KinesisEndpoint  string `yaml:"kinesis.endpoint"`
	KinesisRegion    string `yaml:"kinesis.region"`
	FirehoseEndpoint string `yaml:"firehose.endpoint"`
	FirehoseRegion   string `yaml:"firehose.region"`
	AccessKeyID      string `yaml:"awsAccessKeyId"`
	SecretAccessKey  string `yaml:"awsSecretAccessKey"`
	StatusPeriodSecs int    `yaml:"log.statusReportingPeriodSeconds"`
	Flows            []Flow `yaml:"flows"`
	// Settings of the Kinesis Agent that mean nothing here (CloudWatch,
	// threads, STS) are accepted and ignored.
	Ignored map[string]any `yaml:",inline"`
}

// Flow is one file pattern shipped to one destination.
type Flow struct {
	FilePattern           string             `yaml:"filePattern"`
	KinesisStream         string             `yaml:"kinesisStream"`
	DeliveryStream        string             `yaml:"deliveryStream"`
	PartitionKeyOption    string             `yaml:"partitionKeyOption"`
	InitialPosition       string             `yaml:"initialPosition"`
	MultiLineStartPattern string             `yaml:"multiLineStartPattern"`
	SkipHeaderLines       int                `yaml:"skipHeaderLines"`
	TruncatedRecordTerm   *string            `yaml:"truncatedRecordTerminator"`
	MaxBufferAgeMillis    int64              `yaml:"maxBufferAgeMillis"`
	MaxBufferSizeRecords  int                `yaml:"maxBufferSizeRecords"`
	MaxBufferSizeBytes    int                `yaml:"maxBufferSizeBytes"`
	FileFooterPattern     string             `yaml:"fileFooterPattern"`
	DataProcessingOptions []ProcessingOption `yaml:"dataProcessingOptions"`
	Ignored               map[string]any     `yaml:",inline"`
}

// ProcessingOption is one entry of a flow's dataProcessingOptions.
type ProcessingOption struct {
	OptionName       string   `yaml:"optionName"`
	CustomFieldNames []string `yaml:"customFieldNames"`
	Delimiter        *string  `yaml:"delimiter"`
	LogFormat        string   `yaml:"logFormat"`
	MatchPattern     string   `yaml:"matchPattern"`
	JSONFormat       string   `yaml:"jsonFormat"`
	ParseOptions     []string `yaml:"parseOptions"`
	Metadata         any      `yaml:"metadata"`
	Timestamp        any      `yaml:"timestamp"` // "true" (as agent.json has it) or true
}

// Limits of one record, as the services take them.
const (
	kinesisMaxRecord  = 1 << 20
	firehoseMaxRecord = 1000 * 1024
)

// Defaults as the Kinesis Agent has them.
const (
	defaultBufferAge     = time.Minute
	defaultBufferRecords = 500
	defaultBufferBytes   = 5 << 20
	defaultStatusPeriod  = 30 * time.Second
)

// flowSettings is a validated Flow.
type flowSettings struct {
	id            string // destination + pattern: the flow's checkpoint key
	pattern       string
	kinesis       bool
	dest          string
	deterministic bool
	startOfFile   bool
	multiLine     *regexp.Regexp
	footer        *regexp.Regexp
	skipHeader    int
	terminator    []byte
	maxRecord     int
	bufferAge     time.Duration
	bufferRecords int
	bufferBytes   int
	converters    []converter
}

func (f Flow) settings() (flowSettings, error) {
	var s flowSettings
	if f.FilePattern == "" {
		return s, errors.New("flow without filePattern")
	}
	s.pattern = f.FilePattern
	switch {
	case f.KinesisStream != "" && f.DeliveryStream != "":
		return s, fmt.Errorf("flow %s: kinesisStream and deliveryStream both set", f.FilePattern)
	case f.KinesisStream != "":
		s.kinesis, s.dest, s.maxRecord = true, f.KinesisStream, kinesisMaxRecord
		s.id = "kinesis:" + f.KinesisStream + ":" + f.FilePattern
	case f.DeliveryStream != "":
		s.dest, s.maxRecord = f.DeliveryStream, firehoseMaxRecord
		s.id = "firehose:" + f.DeliveryStream + ":" + f.FilePattern
	default:
		return s, fmt.Errorf("flow %s: neither kinesisStream nor deliveryStream", f.FilePattern)
	}
	switch f.PartitionKeyOption {
	case "", "RANDOM":
	case "DETERMINISTIC":
		s.deterministic = true
	default:
		return s, fmt.Errorf("flow %s: partitionKeyOption %q (RANDOM or DETERMINISTIC)", f.FilePattern, f.PartitionKeyOption)
	}
	switch f.InitialPosition {
	case "", "END_OF_FILE":
	case "START_OF_FILE":
		s.startOfFile = true
	default:
		return s, fmt.Errorf("flow %s: initialPosition %q (START_OF_FILE or END_OF_FILE)", f.FilePattern, f.InitialPosition)
	}
	var err error
	if f.MultiLineStartPattern != "" {
		if s.multiLine, err = regexp.Compile(`^(?:` + f.MultiLineStartPattern + `)`); err != nil {
			return s, fmt.Errorf("flow %s: multiLineStartPattern: %w", f.FilePattern, err)
		}
	}
	if f.FileFooterPattern != "" {
		if s.footer, err = regexp.Compile(`^(?:` + f.FileFooterPattern + `)$`); err != nil {
			return s, fmt.Errorf("flow %s: fileFooterPattern: %w", f.FilePattern, err)
		}
	}
	if f.SkipHeaderLines < 0 {
		return s, fmt.Errorf("flow %s: skipHeaderLines %d", f.FilePattern, f.SkipHeaderLines)
	}
	s.skipHeader = f.SkipHeaderLines
	s.terminator = []byte("\n")
	if f.TruncatedRecordTerm != nil {
		s.terminator = []byte(*f.TruncatedRecordTerm)
		if len(s.terminator) == 0 || len(s.terminator) >= s.maxRecord {
			return s, fmt.Errorf("flow %s: truncatedRecordTerminator empty or too long", f.FilePattern)
		}
	}
	s.bufferAge = time.Duration(f.MaxBufferAgeMillis) * time.Millisecond
	if s.bufferAge <= 0 {
		s.bufferAge = defaultBufferAge
	}
	s.bufferRecords = f.MaxBufferSizeRecords
	if s.bufferRecords <= 0 || s.bufferRecords > defaultBufferRecords {
		s.bufferRecords = defaultBufferRecords
	}
	s.bufferBytes = f.MaxBufferSizeBytes
	if s.bufferBytes <= 0 || s.bufferBytes > defaultBufferBytes {
		s.bufferBytes = defaultBufferBytes
	}
	for i, o := range f.DataProcessingOptions {
		c, err := newConverter(o)
		if err != nil {
			return s, fmt.Errorf("flow %s: dataProcessingOptions[%d]: %w", f.FilePattern, i, err)
		}
		s.converters = append(s.converters, c)
	}
	return s, nil
}
