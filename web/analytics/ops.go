package analytics

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics"
	"github.com/shardcast/shardcast/web/awsapi"
)

func (h *Handler) create(r *http.Request, body []byte) (any, error) {
	var in struct {
		ApplicationName          *string
		ApplicationDescription   *string
		ApplicationCode          *string
		Inputs                   []analytics.Input
		Outputs                  []analytics.Output
		CloudWatchLoggingOptions []analytics.CloudWatchLoggingOption
		Tags                     []analytics.Tag
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	v.String("applicationDescription", in.ApplicationDescription, nil, 0, 1024)
	v.String("applicationCode", in.ApplicationCode, nil, 0, 102400)
	for i := range in.Inputs {
		checkInput(&v, fmt.Sprintf("inputs.%d.member", i+1), &in.Inputs[i])
	}
	for i := range in.Outputs {
		checkOutput(&v, fmt.Sprintf("outputs.%d.member", i+1), &in.Outputs[i])
	}
	for i := range in.CloudWatchLoggingOptions {
		checkLogging(&v, fmt.Sprintf("cloudWatchLoggingOptions.%d.member", i+1), &in.CloudWatchLoggingOptions[i])
	}
	if in.Tags != nil {
		checkTags(&v, in.Tags)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sum, err := h.m.Create(r.Context(), analytics.CreateInput{Name: *in.ApplicationName, Description: deref(in.ApplicationDescription),
		Code: deref(in.ApplicationCode), Inputs: in.Inputs, Outputs: in.Outputs, Logging: in.CloudWatchLoggingOptions, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return map[string]any{"ApplicationSummary": sum}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type nameInput struct {
	ApplicationName *string
}

func (h *Handler) describe(r *http.Request, body []byte) (any, error) {
	var in nameInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := h.m.Describe(*in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ApplicationDetail": detail{Detail: d,
		CreateTimestamp: awsapi.Timestamp{Time: d.CreateTimestamp}, LastUpdateTimestamp: awsapi.Timestamp{Time: d.LastUpdateTimestamp}}}, nil
}

// detail adds the timestamps to analytics.Detail in their wire form.
type detail struct {
	analytics.Detail
	CreateTimestamp     awsapi.Timestamp `json:"CreateTimestamp"`
	LastUpdateTimestamp awsapi.Timestamp `json:"LastUpdateTimestamp"`
}

func (h *Handler) list(r *http.Request, body []byte) (any, error) {
	var in struct {
		Limit                         *int
		ExclusiveStartApplicationName *string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("limit", in.Limit, 1, 50)
	v.String("exclusiveStartApplicationName", in.ExclusiveStartApplicationName, namePattern, 1, 128)
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	list, more := h.m.List(limit, deref(in.ExclusiveStartApplicationName))
	if list == nil {
		list = []analytics.Summary{}
	}
	return map[string]any{"ApplicationSummaries": list, "HasMoreApplications": more}, nil
}

func (h *Handler) update(r *http.Request, body []byte) (any, error) {
	var in struct {
		ApplicationName             *string
		CurrentApplicationVersionId *int64
		ApplicationUpdate           *analytics.ApplicationUpdate
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	checkVersion(&v, in.CurrentApplicationVersionId)
	if v.Required("applicationUpdate", in.ApplicationUpdate != nil) {
		u := in.ApplicationUpdate
		v.String("applicationUpdate.applicationCodeUpdate", u.ApplicationCodeUpdate, nil, 0, 102400)
		for i, x := range u.InputUpdates {
			p := fmt.Sprintf("applicationUpdate.inputUpdates.%d.member", i+1)
			checkID(&v, p+".inputId", x.InputID)
			if x.NamePrefixUpdate != "" {
				v.String(p+".namePrefixUpdate", &x.NamePrefixUpdate, nil, 1, 32)
			}
			if x.InputParallelismUpdate != nil {
				v.Int(p+".inputParallelismUpdate.countUpdate", x.InputParallelismUpdate.CountUpdate, 1, 64)
			}
		}
		for i, x := range u.OutputUpdates {
			p := fmt.Sprintf("applicationUpdate.outputUpdates.%d.member", i+1)
			checkID(&v, p+".outputId", x.OutputID)
			if x.NameUpdate != "" {
				v.String(p+".nameUpdate", &x.NameUpdate, nil, 1, 32)
			}
		}
		for i, x := range u.ReferenceDataSourceUpdates {
			p := fmt.Sprintf("applicationUpdate.referenceDataSourceUpdates.%d.member", i+1)
			checkID(&v, p+".referenceId", x.ReferenceID)
			if x.TableNameUpdate != "" {
				v.String(p+".tableNameUpdate", &x.TableNameUpdate, nil, 1, 32)
			}
		}
		for i, x := range u.CloudWatchLoggingOptionUpdates {
			checkID(&v, fmt.Sprintf("applicationUpdate.cloudWatchLoggingOptionUpdates.%d.member.cloudWatchLoggingOptionId", i+1), x.CloudWatchLoggingOptionID)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Update(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, *in.ApplicationUpdate)
}

func (h *Handler) delete(r *http.Request, body []byte) (any, error) {
	var in struct {
		ApplicationName *string
		CreateTimestamp *awsapi.Timestamp
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	v.Required("createTimestamp", in.CreateTimestamp != nil)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Delete(r.Context(), *in.ApplicationName, in.CreateTimestamp.Time)
}

func (h *Handler) start(r *http.Request, body []byte) (any, error) {
	var in struct {
		ApplicationName     *string
		InputConfigurations []analytics.InputConfiguration
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	if v.Required("inputConfigurations", in.InputConfigurations != nil) {
		for i, ic := range in.InputConfigurations {
			p := fmt.Sprintf("inputConfigurations.%d.member", i+1)
			checkID(&v, p+".id", ic.ID)
			if v.Required(p+".inputStartingPositionConfiguration", ic.InputStartingPositionConfiguration != nil) {
				s := ic.InputStartingPositionConfiguration.InputStartingPosition
				if s != "" {
					v.Enum(p+".inputStartingPositionConfiguration.inputStartingPosition", &s, "NOW", "TRIM_HORIZON", "LAST_STOPPED_POINT")
				}
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Start(r.Context(), *in.ApplicationName, in.InputConfigurations)
}

func (h *Handler) stop(r *http.Request, body []byte) (any, error) {
	var in nameInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	checkName(&v, "applicationName", in.ApplicationName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Stop(r.Context(), *in.ApplicationName)
}

// versioned is the common part of the Add* and Delete* inputs.
type versioned struct {
	ApplicationName             *string
	CurrentApplicationVersionId *int64
}

func (x *versioned) check(v *awsapi.Validator) {
	checkName(v, "applicationName", x.ApplicationName)
	checkVersion(v, x.CurrentApplicationVersionId)
}

func (h *Handler) addInput(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		Input *analytics.Input
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	if v.Required("input", in.Input != nil) {
		checkInput(&v, "input", in.Input)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.AddInput(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, *in.Input)
}

func (h *Handler) addProcessing(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		InputId                      string
		InputProcessingConfiguration *analytics.InputProcessingConfiguration
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	checkID(&v, "inputId", in.InputId)
	if v.Required("inputProcessingConfiguration", in.InputProcessingConfiguration != nil) {
		p := in.InputProcessingConfiguration
		if v.Required("inputProcessingConfiguration.inputLambdaProcessor", p.InputLambdaProcessor != nil) {
			checkResource(&v, "inputProcessingConfiguration.inputLambdaProcessor", p.InputLambdaProcessor)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.AddInputProcessing(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, in.InputId, *in.InputProcessingConfiguration)
}

func (h *Handler) deleteProcessing(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		InputId string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	checkID(&v, "inputId", in.InputId)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.DeleteInputProcessing(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, in.InputId)
}

func (h *Handler) addOutput(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		Output *analytics.Output
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	if v.Required("output", in.Output != nil) {
		checkOutput(&v, "output", in.Output)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.AddOutput(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, *in.Output)
}

func (h *Handler) deleteOutput(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		OutputId string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	checkID(&v, "outputId", in.OutputId)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.DeleteOutput(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, in.OutputId)
}

func (h *Handler) addReference(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		ReferenceDataSource *analytics.ReferenceDataSource
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	if v.Required("referenceDataSource", in.ReferenceDataSource != nil) {
		checkReference(&v, "referenceDataSource", in.ReferenceDataSource)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.AddReference(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, *in.ReferenceDataSource)
}

func (h *Handler) deleteReference(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		ReferenceId string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	checkID(&v, "referenceId", in.ReferenceId)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.DeleteReference(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, in.ReferenceId)
}

func (h *Handler) addLogging(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		CloudWatchLoggingOption *analytics.CloudWatchLoggingOption
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	if v.Required("cloudWatchLoggingOption", in.CloudWatchLoggingOption != nil) {
		checkLogging(&v, "cloudWatchLoggingOption", in.CloudWatchLoggingOption)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.AddLogging(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, *in.CloudWatchLoggingOption)
}

func (h *Handler) deleteLogging(r *http.Request, body []byte) (any, error) {
	var in struct {
		versioned
		CloudWatchLoggingOptionId string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.check(&v)
	checkID(&v, "cloudWatchLoggingOptionId", in.CloudWatchLoggingOptionId)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.DeleteLogging(r.Context(), *in.ApplicationName, *in.CurrentApplicationVersionId, in.CloudWatchLoggingOptionId)
}

func (h *Handler) discover(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceARN                        string
		RoleARN                            string
		InputStartingPositionConfiguration *analytics.StartingPositionConfiguration
		S3Configuration                    *struct {
			RoleARN   string
			BucketARN string
			FileKey   string
		}
		InputProcessingConfiguration *analytics.InputProcessingConfiguration
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if in.ResourceARN != "" {
		v.String("resourceARN", &in.ResourceARN, arnPattern, 1, 2048)
	}
	if in.RoleARN != "" {
		v.String("roleARN", &in.RoleARN, rolePattern, 1, 2048)
	}
	if s := in.S3Configuration; s != nil {
		if v.Required("s3Configuration.roleARN", s.RoleARN != "") {
			v.String("s3Configuration.roleARN", &s.RoleARN, rolePattern, 1, 2048)
		}
		if v.Required("s3Configuration.bucketARN", s.BucketARN != "") {
			v.String("s3Configuration.bucketARN", &s.BucketARN, arnPattern, 1, 2048)
		}
		if v.Required("s3Configuration.fileKey", s.FileKey != "") {
			v.String("s3Configuration.fileKey", &s.FileKey, nil, 1, 1024)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	d := analytics.DiscoverInput{ResourceARN: in.ResourceARN}
	if in.InputStartingPositionConfiguration != nil {
		d.Start = in.InputStartingPositionConfiguration.InputStartingPosition
	}
	switch {
	case in.S3Configuration != nil:
		bucket, ok := strings.CutPrefix(in.S3Configuration.BucketARN, "arn:aws:s3:::")
		if !ok || bucket == "" {
			return nil, &awsapi.APIError{Type: "InvalidArgumentException", Status: http.StatusBadRequest,
				Message: in.S3Configuration.BucketARN + " is not a bucket ARN."}
		}
		d.Bucket, d.Key = bucket, in.S3Configuration.FileKey
	case in.ResourceARN == "":
		return nil, &awsapi.APIError{Type: "InvalidArgumentException", Status: http.StatusBadRequest,
			Message: "Give either ResourceARN and RoleARN, or S3Configuration."}
	}
	return h.m.Discover(r.Context(), d)
}

func (h *Handler) tag(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceARN string
		Tags        []analytics.Tag
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("resourceARN", in.ResourceARN != "") {
		v.String("resourceARN", &in.ResourceARN, tagARN, 1, 2048)
	}
	checkTags(&v, in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Tag(r.Context(), in.ResourceARN, in.Tags)
}

func (h *Handler) untag(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceARN string
		TagKeys     []string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("resourceARN", in.ResourceARN != "") {
		v.String("resourceARN", &in.ResourceARN, tagARN, 1, 2048)
	}
	v.Len("tagKeys", len(in.TagKeys), fmt.Sprint(len(in.TagKeys)), 1, 200)
	for i, k := range in.TagKeys {
		v.String(fmt.Sprintf("tagKeys.%d.member", i+1), &k, nil, 1, 128)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, h.m.Untag(r.Context(), in.ResourceARN, in.TagKeys)
}

func (h *Handler) listTags(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceARN string
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("resourceARN", in.ResourceARN != "") {
		v.String("resourceARN", &in.ResourceARN, tagARN, 1, 2048)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	tags, err := h.m.ListTags(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tags": tags}, nil
}
