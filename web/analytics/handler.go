package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/web/awsapi"
)

// TargetPrefix prefixes every Kinesis Data Analytics X-Amz-Target.
const TargetPrefix = "KinesisAnalytics_20150814."

var errorTable = awsapi.ErrorTable{
	{Err: registry.ErrResourceNotFound, Type: "ResourceNotFoundException", Status: http.StatusBadRequest},
	{Err: registry.ErrResourceInUse, Type: "ResourceInUseException", Status: http.StatusBadRequest},
	{Err: registry.ErrInvalidArgument, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: registry.ErrValidation, Type: "ValidationException", Status: http.StatusBadRequest},
	{Err: registry.ErrLimitExceeded, Type: "LimitExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrTagsLimit, Type: "TooManyTagsException", Status: http.StatusBadRequest},
	{Err: registry.ErrVersionMismatch, Type: "ConcurrentModificationException", Status: http.StatusBadRequest},
	{Err: analytics.ErrCodeValidation, Type: "CodeValidationException", Status: http.StatusBadRequest},
	{Err: analytics.ErrInvalidConfiguration, Type: "InvalidApplicationConfigurationException", Status: http.StatusBadRequest},
	{Err: analytics.ErrUnsupported, Type: "UnsupportedOperationException", Status: http.StatusBadRequest},
	{Err: analytics.ErrUnableToDetectSchema, Type: "UnableToDetectSchemaException", Status: http.StatusBadRequest},
	{Err: registry.ErrThroughputExceeded, Type: "ResourceProvisionedThroughputExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrUnavailable, Type: "ServiceUnavailableException", Status: http.StatusServiceUnavailable, Public: true},
	{Err: registry.ErrInternal, Type: "InternalFailure", Status: http.StatusInternalServerError},
}

// Manager is what the handler calls (*analytics.Manager is one).
type Manager interface {
	Create(ctx context.Context, in analytics.CreateInput) (analytics.Summary, error)
	Describe(name string) (analytics.Detail, error)
	List(limit int, exclusiveStart string) ([]analytics.Summary, bool)
	Update(ctx context.Context, name string, version int64, u analytics.ApplicationUpdate) error
	Delete(ctx context.Context, name string, created time.Time) error
	Start(ctx context.Context, name string, inputs []analytics.InputConfiguration) error
	Stop(ctx context.Context, name string) error
	AddInput(ctx context.Context, name string, version int64, in analytics.Input) error
	AddInputProcessing(ctx context.Context, name string, version int64, inputID string, p analytics.InputProcessingConfiguration) error
	DeleteInputProcessing(ctx context.Context, name string, version int64, inputID string) error
	AddOutput(ctx context.Context, name string, version int64, o analytics.Output) error
	DeleteOutput(ctx context.Context, name string, version int64, outputID string) error
	AddReference(ctx context.Context, name string, version int64, r analytics.ReferenceDataSource) error
	DeleteReference(ctx context.Context, name string, version int64, refID string) error
	AddLogging(ctx context.Context, name string, version int64, l analytics.CloudWatchLoggingOption) error
	DeleteLogging(ctx context.Context, name string, version int64, id string) error
	Tag(ctx context.Context, arn string, tags []analytics.Tag) error
	Untag(ctx context.Context, arn string, keys []string) error
	ListTags(arn string) ([]analytics.Tag, error)
	Discover(ctx context.Context, in analytics.DiscoverInput) (analytics.DiscoverOutput, error)
}

// Handler serves Kinesis Data Analytics API requests.
type Handler struct {
	m    Manager
	auth *awsapi.Auth
	log  *slog.Logger
	ops  map[string]func(*http.Request, []byte) (any, error)
}

// New returns a handler over m.
func New(m Manager, auth *awsapi.Auth, log *slog.Logger) *Handler {
	h := &Handler{m: m, auth: auth, log: log}
	h.ops = map[string]func(*http.Request, []byte) (any, error){
		"CreateApplication":                             h.create,
		"DescribeApplication":                           h.describe,
		"ListApplications":                              h.list,
		"UpdateApplication":                             h.update,
		"DeleteApplication":                             h.delete,
		"StartApplication":                              h.start,
		"StopApplication":                               h.stop,
		"AddApplicationInput":                           h.addInput,
		"AddApplicationInputProcessingConfiguration":    h.addProcessing,
		"DeleteApplicationInputProcessingConfiguration": h.deleteProcessing,
		"AddApplicationOutput":                          h.addOutput,
		"DeleteApplicationOutput":                       h.deleteOutput,
		"AddApplicationReferenceDataSource":             h.addReference,
		"DeleteApplicationReferenceDataSource":          h.deleteReference,
		"AddApplicationCloudWatchLoggingOption":         h.addLogging,
		"DeleteApplicationCloudWatchLoggingOption":      h.deleteLogging,
		"DiscoverInputSchema":                           h.discover,
		"TagResource":                                   h.tag,
		"UntagResource":                                 h.untag,
		"ListTagsForResource":                           h.listTags,
	}
	return h
}

// ServeHTTP handles one POST with a KinesisAnalytics_20150814.* target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	body, release, err := h.auth.ReadSigned(r)
	defer release()
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, err)
		return
	}
	fn := h.ops[op]
	if fn == nil {
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, awsapi.UnknownOperation())
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := fn(r, body)
	if err != nil {
		var se *analytics.SchemaError
		if errors.As(err, &se) {
			writeSchemaError(w, se)
			return
		}
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	awsapi.WriteJSON(w, awsapi.ContentTypeJSON11, out)
}

// writeSchemaError writes UnableToDetectSchemaException with the records
// it read.
func writeSchemaError(w http.ResponseWriter, se *analytics.SchemaError) {
	b, _ := json.Marshal(map[string]any{"__type": "UnableToDetectSchemaException", "message": se.Message,
		"RawInputRecords": se.Raw, "ProcessedInputRecords": se.Processed})
	w.Header().Set("Content-Type", awsapi.ContentTypeJSON11)
	w.Header().Set("X-Amzn-Errortype", "UnableToDetectSchemaException")
	w.WriteHeader(http.StatusBadRequest)
	w.Write(b)
}

// Model patterns and bounds.
var (
	namePattern = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)
	idPattern   = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)
	arnPattern  = awsapi.Pattern(`arn:.*`)
	rolePattern = awsapi.Pattern(`arn:aws:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)
	tagARN      = awsapi.Pattern(`arn:aws:kinesisanalytics:[a-z]{2}-[a-z]+-\d+:\d{12}:application/[a-zA-Z0-9_.-]{1,128}`)
)

func checkName(v *awsapi.Validator, path string, name *string) {
	if v.Required(path, name != nil && *name != "") {
		v.String(path, name, namePattern, 1, 128)
	}
}

func checkVersion(v *awsapi.Validator, version *int64) {
	if v.Required("currentApplicationVersionId", version != nil) {
		if *version < 1 || *version > 999999999 {
			v.Custom(fmt.Sprint(*version), "currentApplicationVersionId", "Member must have value between 1 and 999999999")
		}
	}
}

func checkID(v *awsapi.Validator, path, id string) {
	if v.Required(path, id != "") {
		v.String(path, &id, idPattern, 1, 50)
	}
}

func checkResource(v *awsapi.Validator, path string, r *analytics.ResourceRole) {
	if r == nil {
		return
	}
	if v.Required(path+".resourceARN", r.ResourceARN != "") {
		v.String(path+".resourceARN", &r.ResourceARN, arnPattern, 1, 2048)
	}
	if v.Required(path+".roleARN", r.RoleARN != "") {
		v.String(path+".roleARN", &r.RoleARN, rolePattern, 1, 2048)
	}
}

func checkSchema(v *awsapi.Validator, path string, s *analytics.SourceSchema) {
	if !v.Required(path, s != nil) {
		return
	}
	v.Required(path+".recordFormat", s.RecordFormat != nil)
	if s.RecordFormat != nil {
		t := s.RecordFormat.RecordFormatType
		v.Enum(path+".recordFormat.recordFormatType", &t, "JSON", "CSV")
	}
	v.Len(path+".recordColumns", len(s.RecordColumns), fmt.Sprint(len(s.RecordColumns)), 1, 1000)
	for i, c := range s.RecordColumns {
		p := fmt.Sprintf("%s.recordColumns.%d.member", path, i+1)
		if v.Required(p+".name", c.Name != "") {
			v.String(p+".name", &c.Name, nil, 1, -1)
		}
		v.Required(p+".sqlType", c.SqlType != "")
	}
}

func checkInput(v *awsapi.Validator, path string, in *analytics.Input) {
	if v.Required(path+".namePrefix", in.NamePrefix != "") {
		v.String(path+".namePrefix", &in.NamePrefix, nil, 1, 32)
	}
	checkResource(v, path+".kinesisStreamsInput", in.KinesisStreamsInput)
	checkResource(v, path+".kinesisFirehoseInput", in.KinesisFirehoseInput)
	if in.InputParallelism != nil {
		v.Int(path+".inputParallelism.count", in.InputParallelism.Count, 1, 64)
	}
	if p := in.InputProcessingConfiguration; p != nil {
		if v.Required(path+".inputProcessingConfiguration.inputLambdaProcessor", p.InputLambdaProcessor != nil) {
			checkResource(v, path+".inputProcessingConfiguration.inputLambdaProcessor", p.InputLambdaProcessor)
		}
	}
	checkSchema(v, path+".inputSchema", in.InputSchema)
}

func checkOutput(v *awsapi.Validator, path string, o *analytics.Output) {
	if v.Required(path+".name", o.Name != "") {
		v.String(path+".name", &o.Name, nil, 1, 32)
	}
	checkResource(v, path+".kinesisStreamsOutput", o.KinesisStreamsOutput)
	checkResource(v, path+".kinesisFirehoseOutput", o.KinesisFirehoseOutput)
	checkResource(v, path+".lambdaOutput", o.LambdaOutput)
	if v.Required(path+".destinationSchema", o.DestinationSchema != nil) {
		t := o.DestinationSchema.RecordFormatType
		v.Enum(path+".destinationSchema.recordFormatType", &t, "JSON", "CSV")
	}
}

func checkReference(v *awsapi.Validator, path string, r *analytics.ReferenceDataSource) {
	if v.Required(path+".tableName", r.TableName != "") {
		v.String(path+".tableName", &r.TableName, nil, 1, 32)
	}
	if s := r.S3ReferenceDataSource; s != nil {
		if v.Required(path+".s3ReferenceDataSource.bucketARN", s.BucketARN != "") {
			v.String(path+".s3ReferenceDataSource.bucketARN", &s.BucketARN, arnPattern, 1, 2048)
		}
		if v.Required(path+".s3ReferenceDataSource.fileKey", s.FileKey != "") {
			v.String(path+".s3ReferenceDataSource.fileKey", &s.FileKey, nil, 1, 1024)
		}
	}
	checkSchema(v, path+".referenceSchema", r.ReferenceSchema)
}

func checkLogging(v *awsapi.Validator, path string, l *analytics.CloudWatchLoggingOption) {
	if v.Required(path+".logStreamARN", l.LogStreamARN != "") {
		v.String(path+".logStreamARN", &l.LogStreamARN, arnPattern, 1, 2048)
	}
	if v.Required(path+".roleARN", l.RoleARN != "") {
		v.String(path+".roleARN", &l.RoleARN, rolePattern, 1, 2048)
	}
}

func checkTags(v *awsapi.Validator, tags []analytics.Tag) {
	v.Len("tags", len(tags), fmt.Sprint(len(tags)), 1, 200)
	for i, t := range tags {
		p := fmt.Sprintf("tags.%d.member", i+1)
		if v.Required(p+".key", t.Key != "") {
			v.String(p+".key", &t.Key, nil, 1, 128)
		}
		v.String(p+".value", &t.Value, nil, 0, 256)
	}
}
