package kinesis

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// TargetPrefix prefixes every Kinesis X-Amz-Target.
const TargetPrefix = "Kinesis_20131202."

// errorTable maps engine errors to Kinesis wire errors.
var errorTable = awsapi.ErrorTable{
	{Err: datastreams.ErrResourceNotFound, Type: "ResourceNotFoundException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrResourceInUse, Type: "ResourceInUseException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrInvalidArgument, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrValidation, Type: "ValidationException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrLimitExceeded, Type: "LimitExceededException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrThroughputExceeded, Type: "ProvisionedThroughputExceededException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrExpiredIterator, Type: "ExpiredIteratorException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrExpiredNextToken, Type: "ExpiredNextTokenException", Status: http.StatusBadRequest},
	{Err: datastreams.ErrKMSNotFound, Type: "KMSNotFoundException", Status: http.StatusBadRequest},
	// A full disk: 503, which the AWS SDKs and CLI retry, with a message
	// saying so.
	{Err: datastreams.ErrUnavailable, Type: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Public: true},
	{Err: datastreams.ErrInternal, Type: "InternalFailure", Status: http.StatusInternalServerError},
}

// Handler serves Kinesis API requests.
type Handler struct {
	engine *datastreams.Engine
	auth   *awsapi.Auth
	log    *slog.Logger
	ops    map[string]func(*http.Request, []byte) (any, error)
}

// unsupported lists the operations of the current API that shardcast does
// not implement yet.
var unsupported = []string{
	"CreateChannel", "DeleteChannel", "DescribeChannel", "ListChannels", "UpdateChannel",
	"DeleteResourcePolicy", "GetResourcePolicy", "PutResourcePolicy",
	"RegisterStreamConsumer", "DeregisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers", "SubscribeToShard",
	"SplitShard", "MergeShards", "UpdateShardCount", "UpdateStreamMode",
	"EnableEnhancedMonitoring", "DisableEnhancedMonitoring",
	"DescribeAccountSettings", "UpdateAccountSettings",
	"UpdateMaxRecordSize", "UpdateStreamWarmThroughput", "UpdateStreamRecordDistributionStrategy",
}

// New returns a handler over engine.
func New(engine *datastreams.Engine, auth *awsapi.Auth, log *slog.Logger) *Handler {
	h := &Handler{engine: engine, auth: auth, log: log}
	h.ops = map[string]func(*http.Request, []byte) (any, error){
		"CreateStream":                  h.createStream,
		"DeleteStream":                  h.deleteStream,
		"DescribeStream":                h.describeStream,
		"DescribeStreamSummary":         h.describeStreamSummary,
		"ListStreams":                   h.listStreams,
		"ListShards":                    h.listShards,
		"IncreaseStreamRetentionPeriod": h.increaseRetention,
		"DecreaseStreamRetentionPeriod": h.decreaseRetention,
		"AddTagsToStream":               h.addTags,
		"RemoveTagsFromStream":          h.removeTags,
		"ListTagsForStream":             h.listTags,
		"TagResource":                   h.tagResource,
		"UntagResource":                 h.untagResource,
		"ListTagsForResource":           h.listTagsForResource,
		"StartStreamEncryption":         h.startEncryption,
		"StopStreamEncryption":          h.stopEncryption,
		"DescribeLimits":                h.describeLimits,
		"PutRecord":                     h.putRecord,
		"PutRecords":                    h.putRecords,
		"GetShardIterator":              h.getShardIterator,
		"GetRecords":                    h.getRecords,
	}
	return h
}

// Operations returns the names of the operations the handler implements.
func (h *Handler) Operations() []string {
	out := make([]string, 0, len(h.ops))
	for op := range h.ops {
		out = append(out, op)
	}
	return out
}

// ServeHTTP handles one POST with a Kinesis_20131202.* target.
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
		err = awsapi.UnknownOperation()
		for _, u := range unsupported {
			if u == op {
				err = awsapi.Unsupported(op)
			}
		}
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, err)
		return
	}
	out, err := fn(r, body)
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, err)
		return
	}
	if raw, ok := out.(rawJSON); ok {
		w.Header().Set("Content-Type", awsapi.ContentTypeJSON11)
		w.Write(raw)
		return
	}
	awsapi.WriteJSON(w, awsapi.ContentTypeJSON11, out)
}

// rawJSON is a response body encoded by the operation itself.
type rawJSON []byte

// empty is the {} answer of operations without output.
type empty struct{}
