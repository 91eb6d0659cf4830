package kinesis

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

type streamModeDetails struct {
	StreamMode string `json:"StreamMode"`
}

// maxShardCount is the most shards a CreateStream may ask for; more is a
// ValidationException, whatever the account's shard limit.
const maxShardCount = 100000

type createStreamInput struct {
	StreamName         *string            `json:"StreamName"`
	ShardCount         *int               `json:"ShardCount"`
	StreamModeDetails  *streamModeDetails `json:"StreamModeDetails"`
	Tags               map[string]string  `json:"Tags"`
	MaxRecordSizeInKiB *int               `json:"MaxRecordSizeInKiB"`
}

func (in *createStreamInput) Check(v *awsapi.Validator) {
	v.Int("shardCount", in.ShardCount, 1, maxShardCount)
	if v.Required("streamName", in.StreamName != nil) {
		v.String("streamName", in.StreamName, namePattern, 1, 128)
	}
	if in.StreamModeDetails != nil {
		v.Enum("streamModeDetails.streamMode", &in.StreamModeDetails.StreamMode, datastreams.ModeProvisioned, datastreams.ModeOnDemand)
	}
	if in.Tags != nil {
		tagMap(v, "tags", in.Tags, 1, 200)
	}
	v.Int("maxRecordSizeInKiB", in.MaxRecordSizeInKiB, 1024, 10240)
}

func (h *Handler) createStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[createStreamInput](r, body)
	if err != nil {
		return nil, err
	}
	mode := ""
	if in.StreamModeDetails != nil {
		mode = in.StreamModeDetails.StreamMode
	}
	return empty{}, h.engine.CreateStream(datastreams.CreateStreamInput{
		Name: *in.StreamName, ShardCount: deref(in.ShardCount), Mode: mode, Tags: in.Tags, MaxRecordSizeKiB: deref(in.MaxRecordSizeInKiB),
	})
}

type deleteStreamInput struct {
	streamInput
	EnforceConsumerDeletion *bool `json:"EnforceConsumerDeletion"`
}

func (h *Handler) deleteStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[deleteStreamInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.DeleteStream(in.ref(), deref(in.EnforceConsumerDeletion))
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

// noMetrics is the EnhancedMonitoring of every stream: none enabled.
var noMetrics = []enhancedMetrics{{ShardLevelMetrics: []string{}}}

// streamFields are the members DescribeStream and DescribeStreamSummary share.
type streamFields struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
	StreamCreationTimestamp awsapi.Timestamp  `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
	EncryptionType          string            `json:"EncryptionType"`
	KeyID                   string            `json:"KeyId,omitempty"`
}

func fieldsOf(d datastreams.StreamDescription) streamFields {
	return streamFields{
		StreamName: d.Name, StreamARN: d.ARN, StreamStatus: d.Status, StreamModeDetails: streamModeDetails{d.Mode},
		RetentionPeriodHours: d.RetentionHours, StreamCreationTimestamp: awsapi.Timestamp{Time: d.Created},
		EnhancedMonitoring: noMetrics, EncryptionType: d.EncryptionType, KeyID: d.KeyID,
	}
}

type describeStreamInput struct {
	streamInput
	Limit                 *int    `json:"Limit"`
	ExclusiveStartShardID *string `json:"ExclusiveStartShardId"`
}

func (in *describeStreamInput) Check(v *awsapi.Validator) {
	v.Int("limit", in.Limit, 1, 10000)
	v.String("exclusiveStartShardId", in.ExclusiveStartShardID, namePattern, 1, 128)
	in.streamInput.Check(v)
}

func (h *Handler) describeStream(r *http.Request, body []byte) (any, error) {
	in, err := decode[describeStreamInput](r, body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeStream(in.ref(), deref(in.Limit), deref(in.ExclusiveStartShardID))
	if err != nil {
		return nil, err
	}
	type description struct {
		streamFields
		Shards        []shardOut `json:"Shards"`
		HasMoreShards bool       `json:"HasMoreShards"`
	}
	return map[string]any{"StreamDescription": description{fieldsOf(d), shardsOut(d.Shards), d.HasMoreShards}}, nil
}

func (h *Handler) describeStreamSummary(r *http.Request, body []byte) (any, error) {
	in, err := decode[streamInput](r, body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeStreamSummary(in.ref())
	if err != nil {
		return nil, err
	}
	type summary struct {
		streamFields
		OpenShardCount     int `json:"OpenShardCount"`
		ConsumerCount      int `json:"ConsumerCount"`
		MaxRecordSizeInKiB int `json:"MaxRecordSizeInKiB"`
	}
	return map[string]any{"StreamDescriptionSummary": summary{fieldsOf(d), d.OpenShardCount, d.ConsumerCount, d.MaxRecordSizeKiB}}, nil
}

type listStreamsInput struct {
	Limit                    *int    `json:"Limit"`
	ExclusiveStartStreamName *string `json:"ExclusiveStartStreamName"`
	NextToken                *string `json:"NextToken"`
}

func (in *listStreamsInput) Check(v *awsapi.Validator) {
	v.Int("limit", in.Limit, 1, 10000)
	v.String("exclusiveStartStreamName", in.ExclusiveStartStreamName, namePattern, 1, 128)
	v.String("nextToken", in.NextToken, nil, 1, 1048576)
}

type listStreamsSummary struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	StreamCreationTimestamp awsapi.Timestamp  `json:"StreamCreationTimestamp"`
}

func (h *Handler) listStreams(r *http.Request, body []byte) (any, error) {
	in, err := decode[listStreamsInput](r, body)
	if err != nil {
		return nil, err
	}
	list, more, token, err := h.engine.ListStreams(deref(in.Limit), deref(in.ExclusiveStartStreamName), deref(in.NextToken))
	if err != nil {
		return nil, err
	}
	out := struct {
		StreamNames     []string             `json:"StreamNames"`
		HasMoreStreams  bool                 `json:"HasMoreStreams"`
		NextToken       string               `json:"NextToken,omitempty"`
		StreamSummaries []listStreamsSummary `json:"StreamSummaries"`
	}{StreamNames: []string{}, HasMoreStreams: more, NextToken: token, StreamSummaries: []listStreamsSummary{}}
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

// check leaves the stream optional: a NextToken names it instead.
func (in *listShardsInput) Check(v *awsapi.Validator) {
	v.Int("maxResults", in.MaxResults, 1, 10000)
	v.String("exclusiveStartShardId", in.ExclusiveStartShardID, namePattern, 1, 128)
	v.String("streamName", in.StreamName, namePattern, 1, 128)
	v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
	v.String("nextToken", in.NextToken, nil, 1, 1048576)
	if f := in.ShardFilter; f != nil {
		if v.Required("shardFilter.type", f.Type != nil) {
			v.Enum("shardFilter.type", f.Type, "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP")
		}
		v.String("shardFilter.shardId", f.ShardID, namePattern, 1, 128)
	}
}

func (h *Handler) listShards(r *http.Request, body []byte) (any, error) {
	in, err := decode[listShardsInput](r, body)
	if err != nil {
		return nil, err
	}
	lin := datastreams.ListShardsInput{
		Stream: in.ref(), NextToken: deref(in.NextToken), ExclusiveStartShardID: deref(in.ExclusiveStartShardID), MaxResults: deref(in.MaxResults),
	}
	if f := in.ShardFilter; f != nil {
		lin.Filter = &datastreams.ShardFilter{Type: deref(f.Type), ShardID: deref(f.ShardID)}
		if f.Timestamp != nil {
			lin.Filter.Timestamp = &f.Timestamp.Time
		}
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
