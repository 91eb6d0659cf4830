package firehose

import (
	"encoding/json"
	"time"
)

// Delivery stream types and statuses, as the API spells them.
const (
	TypeDirectPut     = "DirectPut"
	TypeKinesisSource = "KinesisStreamAsSource"

	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusDeleting = "DELETING"
)

// Destination kinds: the X of <X>DestinationConfiguration.
const (
	DestExtendedS3    = "ExtendedS3"
	DestS3            = "S3"
	DestHTTPEndpoint  = "HttpEndpoint"
	DestOpenSearch    = "Amazonopensearchservice"
	DestElasticsearch = "Elasticsearch"
	DestSplunk        = "Splunk"
	DestRedshift      = "Redshift"
)

// BufferingHints say when a buffer is flushed: at SizeInMBs or after
// IntervalInSeconds, whichever comes first.
type BufferingHints struct {
	SizeInMBs         *int `json:"SizeInMBs,omitempty"`
	IntervalInSeconds *int `json:"IntervalInSeconds,omitempty"`
}

// RetryOptions bound how long a failing delivery is retried.
type RetryOptions struct {
	DurationInSeconds *int `json:"DurationInSeconds,omitempty"`
}

// CloudWatchLoggingOptions are accepted and echoed; shardcast logs with slog.
type CloudWatchLoggingOptions struct {
	Enabled       *bool  `json:"Enabled,omitempty"`
	LogGroupName  string `json:"LogGroupName,omitempty"`
	LogStreamName string `json:"LogStreamName,omitempty"`
}

// ProcessorParameter is one parameter of a processor.
type ProcessorParameter struct {
	ParameterName  string `json:"ParameterName"`
	ParameterValue string `json:"ParameterValue"`
}

// Processor is one step of a ProcessingConfiguration.
type Processor struct {
	Type       string               `json:"Type"`
	Parameters []ProcessorParameter `json:"Parameters,omitempty"`
}

// Param returns the value of the parameter called name, or "".
func (p Processor) Param(name string) string {
	for _, x := range p.Parameters {
		if x.ParameterName == name {
			return x.ParameterValue
		}
	}
	return ""
}

// ProcessingConfiguration lists the processors records go through.
type ProcessingConfiguration struct {
	Enabled    *bool       `json:"Enabled,omitempty"`
	Processors []Processor `json:"Processors,omitempty"`
}

// On reports whether processing is enabled with at least one processor.
func (p *ProcessingConfiguration) On() bool {
	return p != nil && p.Enabled != nil && *p.Enabled && len(p.Processors) > 0
}

// DynamicPartitioningConfiguration turns on one buffer per evaluated prefix.
type DynamicPartitioningConfiguration struct {
	Enabled      *bool         `json:"Enabled,omitempty"`
	RetryOptions *RetryOptions `json:"RetryOptions,omitempty"`
}

// DataFormatConversionConfiguration converts JSON records to a columnar
// format. The engine hands it whole to the FormatterFactory.
type DataFormatConversionConfiguration struct {
	Enabled                   *bool           `json:"Enabled,omitempty"`
	SchemaConfiguration       json.RawMessage `json:"SchemaConfiguration,omitempty"`
	InputFormatConfiguration  json.RawMessage `json:"InputFormatConfiguration,omitempty"`
	OutputFormatConfiguration json.RawMessage `json:"OutputFormatConfiguration,omitempty"`
}

// On reports whether conversion is enabled.
func (d *DataFormatConversionConfiguration) On() bool {
	return d != nil && (d.Enabled == nil || *d.Enabled)
}

// S3EncryptionConfiguration says how objects are encrypted in S3.
type S3EncryptionConfiguration struct {
	NoEncryptionConfig  string          `json:"NoEncryptionConfig,omitempty"`
	KMSEncryptionConfig json.RawMessage `json:"KMSEncryptionConfig,omitempty"`
}

// S3DestinationConfiguration is the plain S3 destination, and the backup
// or error bucket of the others.
type S3DestinationConfiguration struct {
	RoleARN                  string                     `json:"RoleARN,omitempty"`
	BucketARN                string                     `json:"BucketARN,omitempty"`
	Prefix                   *string                    `json:"Prefix,omitempty"`
	ErrorOutputPrefix        *string                    `json:"ErrorOutputPrefix,omitempty"`
	BufferingHints           *BufferingHints            `json:"BufferingHints,omitempty"`
	CompressionFormat        string                     `json:"CompressionFormat,omitempty"`
	EncryptionConfiguration  *S3EncryptionConfiguration `json:"EncryptionConfiguration,omitempty"`
	CloudWatchLoggingOptions *CloudWatchLoggingOptions  `json:"CloudWatchLoggingOptions,omitempty"`
}

// ExtendedS3DestinationConfiguration is the S3 destination with
// processing, partitioning and format conversion.
type ExtendedS3DestinationConfiguration struct {
	S3DestinationConfiguration
	ProcessingConfiguration           *ProcessingConfiguration           `json:"ProcessingConfiguration,omitempty"`
	S3BackupMode                      string                             `json:"S3BackupMode,omitempty"`
	S3BackupConfiguration             *S3DestinationConfiguration        `json:"S3BackupConfiguration,omitempty"`
	DataFormatConversionConfiguration *DataFormatConversionConfiguration `json:"DataFormatConversionConfiguration,omitempty"`
	DynamicPartitioningConfiguration  *DynamicPartitioningConfiguration  `json:"DynamicPartitioningConfiguration,omitempty"`
	FileExtension                     string                             `json:"FileExtension,omitempty"`
	CustomTimeZone                    string                             `json:"CustomTimeZone,omitempty"`
}

// HTTPEndpointConfiguration names an HTTP endpoint; AccessKey is a secret.
type HTTPEndpointConfiguration struct {
	URL       string `json:"Url,omitempty"`
	Name      string `json:"Name,omitempty"`
	AccessKey string `json:"AccessKey,omitempty"`
}

// HTTPEndpointCommonAttribute is one attribute sent with every request.
type HTTPEndpointCommonAttribute struct {
	AttributeName  string `json:"AttributeName"`
	AttributeValue string `json:"AttributeValue"`
}

// HTTPEndpointRequestConfiguration sets the request's encoding and attributes.
type HTTPEndpointRequestConfiguration struct {
	ContentEncoding  string                        `json:"ContentEncoding,omitempty"`
	CommonAttributes []HTTPEndpointCommonAttribute `json:"CommonAttributes,omitempty"`
}

// HTTPEndpointDestinationConfiguration delivers to an HTTP endpoint.
type HTTPEndpointDestinationConfiguration struct {
	EndpointConfiguration    *HTTPEndpointConfiguration        `json:"EndpointConfiguration,omitempty"`
	BufferingHints           *BufferingHints                   `json:"BufferingHints,omitempty"`
	CloudWatchLoggingOptions *CloudWatchLoggingOptions         `json:"CloudWatchLoggingOptions,omitempty"`
	RequestConfiguration     *HTTPEndpointRequestConfiguration `json:"RequestConfiguration,omitempty"`
	ProcessingConfiguration  *ProcessingConfiguration          `json:"ProcessingConfiguration,omitempty"`
	RoleARN                  string                            `json:"RoleARN,omitempty"`
	RetryOptions             *RetryOptions                     `json:"RetryOptions,omitempty"`
	S3BackupMode             string                            `json:"S3BackupMode,omitempty"`
	S3Configuration          *S3DestinationConfiguration       `json:"S3Configuration,omitempty"`
}

// OpenSearchDestinationConfiguration delivers to OpenSearch or
// Elasticsearch through the _bulk API.
type OpenSearchDestinationConfiguration struct {
	RoleARN                  string                      `json:"RoleARN,omitempty"`
	DomainARN                string                      `json:"DomainARN,omitempty"`
	ClusterEndpoint          string                      `json:"ClusterEndpoint,omitempty"`
	IndexName                string                      `json:"IndexName,omitempty"`
	TypeName                 string                      `json:"TypeName,omitempty"`
	IndexRotationPeriod      string                      `json:"IndexRotationPeriod,omitempty"`
	BufferingHints           *BufferingHints             `json:"BufferingHints,omitempty"`
	RetryOptions             *RetryOptions               `json:"RetryOptions,omitempty"`
	S3BackupMode             string                      `json:"S3BackupMode,omitempty"`
	S3Configuration          *S3DestinationConfiguration `json:"S3Configuration,omitempty"`
	ProcessingConfiguration  *ProcessingConfiguration    `json:"ProcessingConfiguration,omitempty"`
	CloudWatchLoggingOptions *CloudWatchLoggingOptions   `json:"CloudWatchLoggingOptions,omitempty"`
	DocumentIDOptions        json.RawMessage             `json:"DocumentIdOptions,omitempty"`
}

// SplunkDestinationConfiguration delivers to a Splunk HEC.
type SplunkDestinationConfiguration struct {
	HECEndpoint                       string                      `json:"HECEndpoint,omitempty"`
	HECEndpointType                   string                      `json:"HECEndpointType,omitempty"`
	HECToken                          string                      `json:"HECToken,omitempty"`
	HECAcknowledgmentTimeoutInSeconds *int                        `json:"HECAcknowledgmentTimeoutInSeconds,omitempty"`
	RetryOptions                      *RetryOptions               `json:"RetryOptions,omitempty"`
	S3BackupMode                      string                      `json:"S3BackupMode,omitempty"`
	S3Configuration                   *S3DestinationConfiguration `json:"S3Configuration,omitempty"`
	ProcessingConfiguration           *ProcessingConfiguration    `json:"ProcessingConfiguration,omitempty"`
	CloudWatchLoggingOptions          *CloudWatchLoggingOptions   `json:"CloudWatchLoggingOptions,omitempty"`
	BufferingHints                    *BufferingHints             `json:"BufferingHints,omitempty"`
}

// CopyCommand is Redshift's COPY: the table, columns and options.
type CopyCommand struct {
	DataTableName    string `json:"DataTableName,omitempty"`
	DataTableColumns string `json:"DataTableColumns,omitempty"`
	CopyOptions      string `json:"CopyOptions,omitempty"`
}

// RedshiftDestinationConfiguration loads batches with COPY; Password is a secret.
type RedshiftDestinationConfiguration struct {
	RoleARN                  string                      `json:"RoleARN,omitempty"`
	ClusterJDBCURL           string                      `json:"ClusterJDBCURL,omitempty"`
	CopyCommand              *CopyCommand                `json:"CopyCommand,omitempty"`
	Username                 string                      `json:"Username,omitempty"`
	Password                 string                      `json:"Password,omitempty"`
	RetryOptions             *RetryOptions               `json:"RetryOptions,omitempty"`
	S3Configuration          *S3DestinationConfiguration `json:"S3Configuration,omitempty"`
	ProcessingConfiguration  *ProcessingConfiguration    `json:"ProcessingConfiguration,omitempty"`
	S3BackupMode             string                      `json:"S3BackupMode,omitempty"`
	S3BackupConfiguration    *S3DestinationConfiguration `json:"S3BackupConfiguration,omitempty"`
	CloudWatchLoggingOptions *CloudWatchLoggingOptions   `json:"CloudWatchLoggingOptions,omitempty"`
}

// KinesisStreamSourceConfiguration names the data stream a
// KinesisStreamAsSource delivery stream reads.
type KinesisStreamSourceConfiguration struct {
	KinesisStreamARN string `json:"KinesisStreamARN"`
	RoleARN          string `json:"RoleARN"`
}

// EncryptionInput is DeliveryStreamEncryptionConfigurationInput.
type EncryptionInput struct {
	KeyType string `json:"KeyType"`
	KeyARN  string `json:"KeyARN,omitempty"`
}

// Tag is one tag of a delivery stream.
type Tag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}

// DestinationConfig is one destination as the engine keeps it: its kind
// and its configuration in the API's JSON (secrets included).
type DestinationConfig struct {
	ID     string          `json:"id"`
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config"`
}

// CreateInput is CreateDeliveryStream's request. The destination is given
// as Destinations' one entry (the handler finds its <X>DestinationConfiguration).
type CreateInput struct {
	Name          string
	Type          string
	Source        *KinesisStreamSourceConfiguration
	Encryption    *EncryptionInput
	Destination   DestinationConfig
	Tags          []Tag
	DirectPutHint json.RawMessage
}

// UpdateInput is UpdateDestination's request: Update is the
// <Kind>DestinationUpdate member, with the API's member names.
type UpdateInput struct {
	Name           string
	CurrentVersion string
	DestinationID  string
	Kind           string
	Update         json.RawMessage
}

// FailureDescription says why a delivery stream is failing.
type FailureDescription struct {
	Type    string `json:"Type"`
	Details string `json:"Details"`
}

// Description is DeliveryStreamDescription, built by Describe.
type Description struct {
	DeliveryStreamName                    string              `json:"DeliveryStreamName"`
	DeliveryStreamARN                     string              `json:"DeliveryStreamARN"`
	DeliveryStreamStatus                  string              `json:"DeliveryStreamStatus"`
	DeliveryStreamType                    string              `json:"DeliveryStreamType"`
	VersionID                             string              `json:"VersionId"`
	CreateTimestamp                       float64             `json:"CreateTimestamp"`
	LastUpdateTimestamp                   *float64            `json:"LastUpdateTimestamp,omitempty"`
	FailureDescription                    *FailureDescription `json:"FailureDescription,omitempty"`
	DeliveryStreamEncryptionConfiguration map[string]any      `json:"DeliveryStreamEncryptionConfiguration,omitempty"`
	Source                                map[string]any      `json:"Source,omitempty"`
	Destinations                          []map[string]any    `json:"Destinations"`
	HasMoreDestinations                   bool                `json:"HasMoreDestinations"`
}

// epoch converts t to the API's fractional epoch seconds.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
