package analytics

import "time"

// Application statuses, as the API spells them.
const (
	StatusReady    = "READY"
	StatusStarting = "STARTING"
	StatusRunning  = "RUNNING"
	StatusUpdating = "UPDATING"
	StatusStopping = "STOPPING"
	StatusDeleting = "DELETING"
)

// Input starting positions.
const (
	StartNow              = "NOW"
	StartTrimHorizon      = "TRIM_HORIZON"
	StartLastStoppedPoint = "LAST_STOPPED_POINT"
)

// The members below are the API's shapes, named as its JSON names them,
// so the web front end decodes into them directly.

// ResourceRole names a stream, a delivery stream or a function, and the
// role the service would assume to reach it (stored, never used).
type ResourceRole struct {
	ResourceARN string `json:"ResourceARN"`
	RoleARN     string `json:"RoleARN"`
}

// InputProcessingConfiguration is a preprocessing function of an input.
type InputProcessingConfiguration struct {
	InputLambdaProcessor *ResourceRole `json:"InputLambdaProcessor,omitempty"`
}

// InputParallelism is how many in-application streams an input feeds.
type InputParallelism struct {
	Count *int `json:"Count,omitempty"`
}

// JSONMappingParameters say where a JSON record's row is.
type JSONMappingParameters struct {
	RecordRowPath string `json:"RecordRowPath"`
}

// CSVMappingParameters are a CSV record's delimiters.
type CSVMappingParameters struct {
	RecordRowDelimiter    string `json:"RecordRowDelimiter"`
	RecordColumnDelimiter string `json:"RecordColumnDelimiter"`
}

// MappingParameters hold one of the two.
type MappingParameters struct {
	JSONMappingParameters *JSONMappingParameters `json:"JSONMappingParameters,omitempty"`
	CSVMappingParameters  *CSVMappingParameters  `json:"CSVMappingParameters,omitempty"`
}

// RecordFormat is JSON or CSV with its mapping parameters.
type RecordFormat struct {
	RecordFormatType  string             `json:"RecordFormatType"`
	MappingParameters *MappingParameters `json:"MappingParameters,omitempty"`
}

// RecordColumn is one column of a source schema.
type RecordColumn struct {
	Name    string `json:"Name"`
	Mapping string `json:"Mapping,omitempty"`
	SqlType string `json:"SqlType"`
}

// SourceSchema is an input's or a reference table's schema.
type SourceSchema struct {
	RecordFormat   *RecordFormat  `json:"RecordFormat,omitempty"`
	RecordEncoding string         `json:"RecordEncoding,omitempty"`
	RecordColumns  []RecordColumn `json:"RecordColumns"`
}

// Input is a streaming source.
type Input struct {
	NamePrefix                   string                        `json:"NamePrefix"`
	InputProcessingConfiguration *InputProcessingConfiguration `json:"InputProcessingConfiguration,omitempty"`
	KinesisStreamsInput          *ResourceRole                 `json:"KinesisStreamsInput,omitempty"`
	KinesisFirehoseInput         *ResourceRole                 `json:"KinesisFirehoseInput,omitempty"`
	InputParallelism             *InputParallelism             `json:"InputParallelism,omitempty"`
	InputSchema                  *SourceSchema                 `json:"InputSchema,omitempty"`
}

// resourceARN is the ARN of the stream or delivery stream an input reads.
func (in *Input) resourceARN() string {
	if in.KinesisFirehoseInput != nil {
		return in.KinesisFirehoseInput.ResourceARN
	}
	if in.KinesisStreamsInput != nil {
		return in.KinesisStreamsInput.ResourceARN
	}
	return ""
}

// DestinationSchema is an output's record format.
type DestinationSchema struct {
	RecordFormatType string `json:"RecordFormatType"`
}

// Output is a destination of an in-application stream.
type Output struct {
	Name                  string             `json:"Name"`
	KinesisStreamsOutput  *ResourceRole      `json:"KinesisStreamsOutput,omitempty"`
	KinesisFirehoseOutput *ResourceRole      `json:"KinesisFirehoseOutput,omitempty"`
	LambdaOutput          *ResourceRole      `json:"LambdaOutput,omitempty"`
	DestinationSchema     *DestinationSchema `json:"DestinationSchema,omitempty"`
}

// S3ReferenceDataSource is the object a reference table is read from.
type S3ReferenceDataSource struct {
	BucketARN        string `json:"BucketARN"`
	FileKey          string `json:"FileKey"`
	ReferenceRoleARN string `json:"ReferenceRoleARN,omitempty"`
}

// ReferenceDataSource is a reference table.
type ReferenceDataSource struct {
	TableName             string                 `json:"TableName"`
	S3ReferenceDataSource *S3ReferenceDataSource `json:"S3ReferenceDataSource,omitempty"`
	ReferenceSchema       *SourceSchema          `json:"ReferenceSchema,omitempty"`
}

// CloudWatchLoggingOption names a log stream (stored and described;
// shardcast logs with slog).
type CloudWatchLoggingOption struct {
	LogStreamARN string `json:"LogStreamARN"`
	RoleARN      string `json:"RoleARN"`
}

// Tag is a key and a value.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value,omitempty"`
}

// CreateInput is CreateApplication's input.
type CreateInput struct {
	Name, Description, Code string
	Inputs                  []Input
	Outputs                 []Output
	Logging                 []CloudWatchLoggingOption
	Tags                    []Tag
}

// Summary is one application of a list, and CreateApplication's answer.
type Summary struct {
	ApplicationName   string `json:"ApplicationName"`
	ApplicationARN    string `json:"ApplicationARN"`
	ApplicationStatus string `json:"ApplicationStatus"`
}

// InputDescription describes an input.
type InputDescription struct {
	InputID                                 string                        `json:"InputId"`
	NamePrefix                              string                        `json:"NamePrefix"`
	InAppStreamNames                        []string                      `json:"InAppStreamNames"`
	InputProcessingConfigurationDescription *processingDescription        `json:"InputProcessingConfigurationDescription,omitempty"`
	KinesisStreamsInputDescription          *ResourceRole                 `json:"KinesisStreamsInputDescription,omitempty"`
	KinesisFirehoseInputDescription         *ResourceRole                 `json:"KinesisFirehoseInputDescription,omitempty"`
	InputSchema                             *SourceSchema                 `json:"InputSchema,omitempty"`
	InputParallelism                        InputParallelism              `json:"InputParallelism"`
	InputStartingPositionConfiguration      StartingPositionConfiguration `json:"InputStartingPositionConfiguration"`
}

type processingDescription struct {
	InputLambdaProcessorDescription *ResourceRole `json:"InputLambdaProcessorDescription,omitempty"`
}

// StartingPositionConfiguration is where an input starts reading.
type StartingPositionConfiguration struct {
	InputStartingPosition string `json:"InputStartingPosition,omitempty"`
}

// OutputDescription describes an output.
type OutputDescription struct {
	OutputID                         string             `json:"OutputId"`
	Name                             string             `json:"Name"`
	KinesisStreamsOutputDescription  *ResourceRole      `json:"KinesisStreamsOutputDescription,omitempty"`
	KinesisFirehoseOutputDescription *ResourceRole      `json:"KinesisFirehoseOutputDescription,omitempty"`
	LambdaOutputDescription          *ResourceRole      `json:"LambdaOutputDescription,omitempty"`
	DestinationSchema                *DestinationSchema `json:"DestinationSchema,omitempty"`
}

// ReferenceDescription describes a reference data source.
type ReferenceDescription struct {
	ReferenceID                      string                `json:"ReferenceId"`
	TableName                        string                `json:"TableName"`
	S3ReferenceDataSourceDescription S3ReferenceDataSource `json:"S3ReferenceDataSourceDescription"`
	ReferenceSchema                  *SourceSchema         `json:"ReferenceSchema,omitempty"`
}

// LoggingDescription describes a logging option.
type LoggingDescription struct {
	CloudWatchLoggingOptionID string `json:"CloudWatchLoggingOptionId"`
	LogStreamARN              string `json:"LogStreamARN"`
	RoleARN                   string `json:"RoleARN"`
}

// Detail is DescribeApplication's ApplicationDetail.
type Detail struct {
	ApplicationName                     string                 `json:"ApplicationName"`
	ApplicationDescription              string                 `json:"ApplicationDescription,omitempty"`
	ApplicationARN                      string                 `json:"ApplicationARN"`
	ApplicationStatus                   string                 `json:"ApplicationStatus"`
	CreateTimestamp                     time.Time              `json:"-"`
	LastUpdateTimestamp                 time.Time              `json:"-"`
	InputDescriptions                   []InputDescription     `json:"InputDescriptions,omitempty"`
	OutputDescriptions                  []OutputDescription    `json:"OutputDescriptions,omitempty"`
	ReferenceDataSourceDescriptions     []ReferenceDescription `json:"ReferenceDataSourceDescriptions,omitempty"`
	CloudWatchLoggingOptionDescriptions []LoggingDescription   `json:"CloudWatchLoggingOptionDescriptions,omitempty"`
	ApplicationCode                     string                 `json:"ApplicationCode,omitempty"`
	ApplicationVersionID                int64                  `json:"ApplicationVersionId"`
}

// InputConfiguration is one input's starting position of StartApplication.
type InputConfiguration struct {
	ID                                 string                         `json:"Id"`
	InputStartingPositionConfiguration *StartingPositionConfiguration `json:"InputStartingPositionConfiguration"`
}
