package analytics

// The members of UpdateApplication's ApplicationUpdate, as the API names
// them: each item names its target by id and carries ...Update members.

// ResourceRoleUpdate changes a ResourceRole.
type ResourceRoleUpdate struct {
	ResourceARNUpdate string `json:"ResourceARNUpdate,omitempty"`
	RoleARNUpdate     string `json:"RoleARNUpdate,omitempty"`
}

// InputProcessingConfigurationUpdate changes an input's preprocessing.
type InputProcessingConfigurationUpdate struct {
	InputLambdaProcessorUpdate *ResourceRoleUpdate `json:"InputLambdaProcessorUpdate"`
}

// InputSchemaUpdate changes an input's schema.
type InputSchemaUpdate struct {
	RecordFormatUpdate   *RecordFormat  `json:"RecordFormatUpdate,omitempty"`
	RecordEncodingUpdate string         `json:"RecordEncodingUpdate,omitempty"`
	RecordColumnUpdates  []RecordColumn `json:"RecordColumnUpdates,omitempty"`
}

// InputParallelismUpdate changes an input's parallelism.
type InputParallelismUpdate struct {
	CountUpdate *int `json:"CountUpdate,omitempty"`
}

// InputUpdate changes one input.
type InputUpdate struct {
	InputID                            string                              `json:"InputId"`
	NamePrefixUpdate                   string                              `json:"NamePrefixUpdate,omitempty"`
	InputProcessingConfigurationUpdate *InputProcessingConfigurationUpdate `json:"InputProcessingConfigurationUpdate,omitempty"`
	KinesisStreamsInputUpdate          *ResourceRoleUpdate                 `json:"KinesisStreamsInputUpdate,omitempty"`
	KinesisFirehoseInputUpdate         *ResourceRoleUpdate                 `json:"KinesisFirehoseInputUpdate,omitempty"`
	InputSchemaUpdate                  *InputSchemaUpdate                  `json:"InputSchemaUpdate,omitempty"`
	InputParallelismUpdate             *InputParallelismUpdate             `json:"InputParallelismUpdate,omitempty"`
}

// OutputUpdate changes one output.
type OutputUpdate struct {
	OutputID                    string              `json:"OutputId"`
	NameUpdate                  string              `json:"NameUpdate,omitempty"`
	KinesisStreamsOutputUpdate  *ResourceRoleUpdate `json:"KinesisStreamsOutputUpdate,omitempty"`
	KinesisFirehoseOutputUpdate *ResourceRoleUpdate `json:"KinesisFirehoseOutputUpdate,omitempty"`
	LambdaOutputUpdate          *ResourceRoleUpdate `json:"LambdaOutputUpdate,omitempty"`
	DestinationSchemaUpdate     *DestinationSchema  `json:"DestinationSchemaUpdate,omitempty"`
}

// S3ReferenceDataSourceUpdate changes a reference table's object.
type S3ReferenceDataSourceUpdate struct {
	BucketARNUpdate        string `json:"BucketARNUpdate,omitempty"`
	FileKeyUpdate          string `json:"FileKeyUpdate,omitempty"`
	ReferenceRoleARNUpdate string `json:"ReferenceRoleARNUpdate,omitempty"`
}

// ReferenceUpdate changes one reference data source.
type ReferenceUpdate struct {
	ReferenceID                 string                       `json:"ReferenceId"`
	TableNameUpdate             string                       `json:"TableNameUpdate,omitempty"`
	S3ReferenceDataSourceUpdate *S3ReferenceDataSourceUpdate `json:"S3ReferenceDataSourceUpdate,omitempty"`
	ReferenceSchemaUpdate       *SourceSchema                `json:"ReferenceSchemaUpdate,omitempty"`
}

// LoggingUpdate changes one logging option.
type LoggingUpdate struct {
	CloudWatchLoggingOptionID string `json:"CloudWatchLoggingOptionId"`
	LogStreamARNUpdate        string `json:"LogStreamARNUpdate,omitempty"`
	RoleARNUpdate             string `json:"RoleARNUpdate,omitempty"`
}

// ApplicationUpdate is UpdateApplication's change.
type ApplicationUpdate struct {
	InputUpdates                   []InputUpdate     `json:"InputUpdates,omitempty"`
	ApplicationCodeUpdate          *string           `json:"ApplicationCodeUpdate,omitempty"`
	OutputUpdates                  []OutputUpdate    `json:"OutputUpdates,omitempty"`
	ReferenceDataSourceUpdates     []ReferenceUpdate `json:"ReferenceDataSourceUpdates,omitempty"`
	CloudWatchLoggingOptionUpdates []LoggingUpdate   `json:"CloudWatchLoggingOptionUpdates,omitempty"`
}

func (u *ResourceRoleUpdate) apply(r *ResourceRole) {
	if u == nil || r == nil {
		return
	}
	if u.ResourceARNUpdate != "" {
		r.ResourceARN = u.ResourceARNUpdate
	}
	if u.RoleARNUpdate != "" {
		r.RoleARN = u.RoleARNUpdate
	}
}
