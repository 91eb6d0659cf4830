package kinesis

import (
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

type streamModeDetails struct {
	StreamMode string `json:"StreamMode"`
}

type createStreamInput struct {
	StreamName         *string            `json:"StreamName"`
	ShardCount         *int               `json:"ShardCount"`
	StreamModeDetails  *streamModeDetails `json:"StreamModeDetails"`
	Tags               map[string]string  `json:"Tags"`
	MaxRecordSizeInKiB *int               `json:"MaxRecordSizeInKiB"`
}

func (h *Handler) createStream(r *http.Request, body []byte) (any, error) {
	var in createStreamInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("shardCount", in.ShardCount, 1, 1<<31-1)
	if v.Required("streamName", in.StreamName != nil) {
		v.String("streamName", in.StreamName, namePattern, 1, 128)
	}
	mode := ""
	if in.StreamModeDetails != nil {
		mode = in.StreamModeDetails.StreamMode
		v.Enum("streamModeDetails.streamMode", &mode, datastreams.ModeProvisioned, datastreams.ModeOnDemand)
	}
	if in.Tags != nil {
		tagMap(&v, "tags", in.Tags, 1, 200)
	}
	v.Int("maxRecordSizeInKiB", in.MaxRecordSizeInKiB, 1024, 10240)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.CreateStream(datastreams.CreateStreamInput{
		Name: *in.StreamName, ShardCount: deref(in.ShardCount), Mode: mode, Tags: in.Tags, MaxRecordSizeKiB: deref(in.MaxRecordSizeInKiB),
	})
}

type streamInput struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

type deleteStreamInput struct {
	streamInput
	EnforceConsumerDeletion *bool `json:"EnforceConsumerDeletion"`
}

func (h *Handler) deleteStream(r *http.Request, body []byte) (any, error) {
	var in deleteStreamInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.DeleteStream(ref)
}

// Output shapes.
type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardOut struct {
	ShardID               string              `json:"ShardId"`
	ParentShardID         string              `json:"ParentShardId,omitempty"`
	AdjacentParentShardID string              `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          hashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange   sequenceNumberRange `json:"SequenceNumberRange"`
}

func shardsOut(in []datastreams.ShardInfo) []shardOut {
	out := make([]shardOut, 0, len(in))
	for _, s := range in {
		out = append(out, shardOut{
			ShardID: s.ID, ParentShardID: s.Parent, AdjacentParentShardID: s.AdjacentParent,
			HashKeyRange:        hashKeyRange{s.StartHash, s.EndHash},
			SequenceNumberRange: sequenceNumberRange{s.StartSeq, s.EndSeq},
		})
	}
	return out
}

type enhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

type streamDescription struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	Shards                  []shardOut        `json:"Shards"`
	HasMoreShards           bool              `json:"HasMoreShards"`
	RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
	StreamCreationTimestamp awsapi.Timestamp  `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
	EncryptionType          string            `json:"EncryptionType"`
	KeyID                   string            `json:"KeyId,omitempty"`
}

type describeStreamInput struct {
	streamInput
	Limit                 *int    `json:"Limit"`
	ExclusiveStartShardID *string `json:"ExclusiveStartShardId"`
}

func (h *Handler) describeStream(r *http.Request, body []byte) (any, error) {
	var in describeStreamInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("limit", in.Limit, 1, 10000)
	v.String("exclusiveStartShardId", in.ExclusiveStartShardID, namePattern, 1, 128)
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeStream(ref, deref(in.Limit), deref(in.ExclusiveStartShardID))
	if err != nil {
		return nil, err
	}
	return map[string]any{"StreamDescription": streamDescription{
		StreamName: d.Name, StreamARN: d.ARN, StreamStatus: d.Status, StreamModeDetails: streamModeDetails{d.Mode},
		Shards: shardsOut(d.Shards), HasMoreShards: d.HasMoreShards, RetentionPeriodHours: d.RetentionHours,
		StreamCreationTimestamp: awsapi.Timestamp{Time: d.Created}, EnhancedMonitoring: []enhancedMetrics{{ShardLevelMetrics: []string{}}},
		EncryptionType: d.EncryptionType, KeyID: d.KeyID,
	}}, nil
}

type streamSummary struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
	StreamCreationTimestamp awsapi.Timestamp  `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
	EncryptionType          string            `json:"EncryptionType"`
	KeyID                   string            `json:"KeyId,omitempty"`
	OpenShardCount          int               `json:"OpenShardCount"`
	ConsumerCount           int               `json:"ConsumerCount"`
	MaxRecordSizeInKiB      int               `json:"MaxRecordSizeInKiB"`
}

func (h *Handler) describeStreamSummary(r *http.Request, body []byte) (any, error) {
	var in streamInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeStreamSummary(ref)
	if err != nil {
		return nil, err
	}
	return map[string]any{"StreamDescriptionSummary": streamSummary{
		StreamName: d.Name, StreamARN: d.ARN, StreamStatus: d.Status, StreamModeDetails: streamModeDetails{d.Mode},
		RetentionPeriodHours: d.RetentionHours, StreamCreationTimestamp: awsapi.Timestamp{Time: d.Created},
		EnhancedMonitoring: []enhancedMetrics{{ShardLevelMetrics: []string{}}}, EncryptionType: d.EncryptionType, KeyID: d.KeyID,
		OpenShardCount: d.OpenShardCount, ConsumerCount: d.ConsumerCount, MaxRecordSizeInKiB: d.MaxRecordSizeKiB,
	}}, nil
}

type listStreamsInput struct {
	Limit                    *int    `json:"Limit"`
	ExclusiveStartStreamName *string `json:"ExclusiveStartStreamName"`
	NextToken                *string `json:"NextToken"`
}

type listStreamsSummary struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	StreamCreationTimestamp awsapi.Timestamp  `json:"StreamCreationTimestamp"`
}

type listStreamsOutput struct {
	StreamNames     []string             `json:"StreamNames"`
	HasMoreStreams  bool                 `json:"HasMoreStreams"`
	NextToken       string               `json:"NextToken,omitempty"`
	StreamSummaries []listStreamsSummary `json:"StreamSummaries"`
}

func (h *Handler) listStreams(r *http.Request, body []byte) (any, error) {
	var in listStreamsInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("limit", in.Limit, 1, 10000)
	v.String("exclusiveStartStreamName", in.ExclusiveStartStreamName, namePattern, 1, 128)
	v.String("nextToken", in.NextToken, nil, 1, 1048576)
	if err := v.Err(); err != nil {
		return nil, err
	}
	list, more, token, err := h.engine.ListStreams(deref(in.Limit), deref(in.ExclusiveStartStreamName), deref(in.NextToken))
	if err != nil {
		return nil, err
	}
	out := listStreamsOutput{StreamNames: []string{}, HasMoreStreams: more, NextToken: token, StreamSummaries: []listStreamsSummary{}}
	for _, s := range list {
		out.StreamNames = append(out.StreamNames, s.Name)
		out.StreamSummaries = append(out.StreamSummaries, listStreamsSummary{s.Name, s.ARN, s.Status, streamModeDetails{s.Mode}, awsapi.Timestamp{Time: s.Created}})
	}
	return out, nil
}

type shardFilter struct {
	Type      *string           `json:"Type"`
	ShardID   *string           `json:"ShardId"`
	Timestamp *awsapi.Timestamp `json:"Timestamp"`
}

type listShardsInput struct {
	streamInput
	NextToken               *string           `json:"NextToken"`
	ExclusiveStartShardID   *string           `json:"ExclusiveStartShardId"`
	MaxResults              *int              `json:"MaxResults"`
	StreamCreationTimestamp *awsapi.Timestamp `json:"StreamCreationTimestamp"`
	ShardFilter             *shardFilter      `json:"ShardFilter"`
}

func (h *Handler) listShards(r *http.Request, body []byte) (any, error) {
	var in listShardsInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("maxResults", in.MaxResults, 1, 10000)
	v.String("exclusiveStartShardId", in.ExclusiveStartShardID, namePattern, 1, 128)
	v.String("streamName", in.StreamName, namePattern, 1, 128)
	v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	v.String("nextToken", in.NextToken, nil, 1, 1048576)
	var filter *datastreams.ShardFilter
	if f := in.ShardFilter; f != nil {
		if v.Required("shardFilter.type", f.Type != nil) {
			v.Enum("shardFilter.type", f.Type, "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP")
		}
		v.String("shardFilter.shardId", f.ShardID, namePattern, 1, 128)
		filter = &datastreams.ShardFilter{Type: deref(f.Type), ShardID: deref(f.ShardID)}
		if f.Timestamp != nil {
			filter.Timestamp = &f.Timestamp.Time
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	lin := datastreams.ListShardsInput{
		Stream:    datastreams.StreamRef{Name: deref(in.StreamName), ARN: deref(in.StreamARN)},
		NextToken: deref(in.NextToken), ExclusiveStartShardID: deref(in.ExclusiveStartShardID),
		MaxResults: deref(in.MaxResults), Filter: filter,
	}
	if in.StreamCreationTimestamp != nil {
		lin.StreamCreationTimestamp = &in.StreamCreationTimestamp.Time
	}
	shards, token, err := h.engine.ListShards(lin)
	if err != nil {
		return nil, err
	}
	return struct {
		Shards    []shardOut `json:"Shards"`
		NextToken string     `json:"NextToken,omitempty"`
	}{shardsOut(shards), token}, nil
}

type retentionInput struct {
	streamInput
	RetentionPeriodHours *int `json:"RetentionPeriodHours"`
}

func (h *Handler) retention(body []byte, increase bool) (any, error) {
	var in retentionInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("retentionPeriodHours", in.RetentionPeriodHours != nil) {
		v.Int("retentionPeriodHours", in.RetentionPeriodHours, 1, 1<<31-1)
	}
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.SetRetention(ref, *in.RetentionPeriodHours, increase)
}

func (h *Handler) increaseRetention(r *http.Request, body []byte) (any, error) {
	return h.retention(body, true)
}

func (h *Handler) decreaseRetention(r *http.Request, body []byte) (any, error) {
	return h.retention(body, false)
}

type addTagsInput struct {
	streamInput
	Tags map[string]string `json:"Tags"`
}

func (h *Handler) addTags(r *http.Request, body []byte) (any, error) {
	var in addTagsInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("tags", in.Tags != nil) {
		tagMap(&v, "tags", in.Tags, 1, 200)
	}
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.AddTags(ref, in.Tags)
}

type removeTagsInput struct {
	streamInput
	TagKeys []string `json:"TagKeys"`
}

func (h *Handler) removeTags(r *http.Request, body []byte) (any, error) {
	var in removeTagsInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("tagKeys", in.TagKeys != nil) {
		stringList(&v, "tagKeys", in.TagKeys, 1, 50, 128)
	}
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.RemoveTags(ref, in.TagKeys)
}

type listTagsInput struct {
	streamInput
	ExclusiveStartTagKey *string `json:"ExclusiveStartTagKey"`
	Limit                *int    `json:"Limit"`
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func tagsOut(tags []datastreams.Tag) []tagOut {
	out := make([]tagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagOut{t.Key, t.Value})
	}
	return out
}

func (h *Handler) listTags(r *http.Request, body []byte) (any, error) {
	var in listTagsInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Int("limit", in.Limit, 1, 50)
	v.String("exclusiveStartTagKey", in.ExclusiveStartTagKey, nil, 1, 128)
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	tags, more, err := h.engine.ListTags(ref, deref(in.ExclusiveStartTagKey), deref(in.Limit))
	if err != nil {
		return nil, err
	}
	return struct {
		Tags        []tagOut `json:"Tags"`
		HasMoreTags bool     `json:"HasMoreTags"`
	}{tagsOut(tags), more}, nil
}

// resourceStream maps a stream ResourceARN to a stream reference.
func resourceStream(v *awsapi.Validator, arn *string) datastreams.StreamRef {
	if v.Required("resourceARN", arn != nil) {
		v.String("resourceARN", arn, resARNPattern, 1, 2048)
	}
	if arn != nil && strings.Contains(*arn, "/consumer/") {
		v.Custom(*arn, "resourceARN", "Member must name a stream; consumers are not supported yet")
	}
	return datastreams.StreamRef{ARN: deref(arn)}
}

type tagResourceInput struct {
	ResourceARN *string           `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags"`
}

func (h *Handler) tagResource(r *http.Request, body []byte) (any, error) {
	var in tagResourceInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("tags", in.Tags != nil) {
		tagMap(&v, "tags", in.Tags, 1, 200)
	}
	ref := resourceStream(&v, in.ResourceARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.AddTags(ref, in.Tags)
}

type untagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

func (h *Handler) untagResource(r *http.Request, body []byte) (any, error) {
	var in untagResourceInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("tagKeys", in.TagKeys != nil) {
		stringList(&v, "tagKeys", in.TagKeys, 1, 50, 128)
	}
	ref := resourceStream(&v, in.ResourceARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return empty{}, h.engine.RemoveTags(ref, in.TagKeys)
}

func (h *Handler) listTagsForResource(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceARN *string `json:"ResourceARN"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	ref := resourceStream(&v, in.ResourceARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	tags, _, err := h.engine.ListTags(ref, "", datastreams.MaxTagsPerStream)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags []tagOut `json:"Tags"`
	}{tagsOut(tags)}, nil
}

type encryptionInput struct {
	streamInput
	EncryptionType *string `json:"EncryptionType"`
	KeyID          *string `json:"KeyId"`
}

func (h *Handler) encryption(body []byte, start bool) (any, error) {
	var in encryptionInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("encryptionType", in.EncryptionType != nil) {
		v.Enum("encryptionType", in.EncryptionType, "NONE", "KMS")
	}
	if v.Required("keyId", in.KeyID != nil) {
		v.String("keyId", in.KeyID, nil, 1, 2048)
	}
	ref := streamRef(&v, in.StreamName, in.StreamARN)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if start {
		return empty{}, h.engine.StartEncryption(ref, *in.EncryptionType, *in.KeyID)
	}
	return empty{}, h.engine.StopEncryption(ref, *in.EncryptionType, *in.KeyID)
}

func (h *Handler) startEncryption(r *http.Request, body []byte) (any, error) {
	return h.encryption(body, true)
}

func (h *Handler) stopEncryption(r *http.Request, body []byte) (any, error) {
	return h.encryption(body, false)
}

func (h *Handler) describeLimits(r *http.Request, body []byte) (any, error) {
	var in struct{}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	l := h.engine.DescribeLimits()
	return struct {
		ShardLimit               int `json:"ShardLimit"`
		OpenShardCount           int `json:"OpenShardCount"`
		OnDemandStreamCount      int `json:"OnDemandStreamCount"`
		OnDemandStreamCountLimit int `json:"OnDemandStreamCountLimit"`
	}{l.ShardLimit, l.OpenShardCount, l.OnDemandStreamCount, l.OnDemandStreamCountLimit}, nil
}
