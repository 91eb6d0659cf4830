package kinesis

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/web/awsapi"
)

// targetPrefix prefixes every Kinesis X-Amz-Target.
const targetPrefix = "Kinesis_20131202."

// errorTable maps engine errors to Kinesis wire errors.
var errorTable = awsapi.ErrorTable{
	{Err: registry.ErrResourceNotFound, Type: "ResourceNotFoundException", Status: http.StatusBadRequest},
	{Err: registry.ErrResourceInUse, Type: "ResourceInUseException", Status: http.StatusBadRequest},
	{Err: registry.ErrInvalidArgument, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: registry.ErrValidation, Type: "ValidationException", Status: http.StatusBadRequest},
	{Err: registry.ErrLimitExceeded, Type: "LimitExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrThroughputExceeded, Type: "ProvisionedThroughputExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrExpiredIterator, Type: "ExpiredIteratorException", Status: http.StatusBadRequest},
	{Err: registry.ErrExpiredNextToken, Type: "ExpiredNextTokenException", Status: http.StatusBadRequest},
	{Err: registry.ErrKMSNotFound, Type: "KMSNotFoundException", Status: http.StatusBadRequest},
	// A full disk: 503, which the AWS SDKs and CLI retry, with a message
	// saying so.
	{Err: registry.ErrUnavailable, Type: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Public: true},
	{Err: registry.ErrInternal, Type: "InternalFailure", Status: http.StatusInternalServerError},
}

// Engine is what the handler calls of the Kinesis Data Streams engine
// (*datastreams.Engine is one): the operations, already named in the
// engine's terms, that the handler decodes requests for.
type Engine interface {
	CreateStream(in datastreams.CreateStreamInput) error
	DeleteStream(ref datastreams.StreamRef, enforceConsumerDeletion bool) error
	DescribeStream(ref datastreams.StreamRef, limit int, exclusiveStart string) (datastreams.StreamDescription, error)
	DescribeStreamSummary(ref datastreams.StreamRef) (datastreams.StreamDescription, error)
	ListStreams(limit int, exclusiveStart, nextToken string) (list []datastreams.StreamSummary, more bool, token string, err error)
	ListShards(in datastreams.ListShardsInput) ([]datastreams.ShardInfo, string, error)
	DescribeLimits() datastreams.Limits
	SetRetention(ref datastreams.StreamRef, hours int, increase bool) error
	UpdateStreamMode(ctx context.Context, ref datastreams.StreamRef, mode string, warmMiBps *int) error
	AddTags(ref datastreams.StreamRef, tags map[string]string) error
	RemoveTags(ref datastreams.StreamRef, keys []string) error
	ListTags(ref datastreams.StreamRef, exclusiveStart string, limit int) ([]datastreams.Tag, bool, error)
	StartEncryption(ref datastreams.StreamRef, encType, keyRef string) error
	StopEncryption(ref datastreams.StreamRef, encType, keyRef string) error
	CheckPut(ref datastreams.StreamRef, entries []datastreams.PutEntry) error
	PutRecord(ctx context.Context, ref datastreams.StreamRef, en datastreams.PutEntry, sequenceNumberForOrdering string) (datastreams.PutResult, bool, error)
	PutRecords(ctx context.Context, ref datastreams.StreamRef, entries []datastreams.PutEntry) (datastreams.PutOutput, error)
	GetShardIterator(ctx context.Context, ref datastreams.StreamRef, shardIDArg, typ, startSeq string, ts *time.Time) (string, error)
	CheckIterator(iter string) error
	GetRecords(ctx context.Context, iter string, limit int) (datastreams.GetRecordsOutput, error)
	RegisterConsumer(ctx context.Context, streamARN, name string, tags map[string]string) (datastreams.Consumer, error)
	DescribeConsumer(ref datastreams.ConsumerRef) (datastreams.Consumer, error)
	DeregisterConsumer(ctx context.Context, ref datastreams.ConsumerRef) error
	ListConsumers(streamARN, nextToken string, max int, streamCreated *time.Time) ([]datastreams.Consumer, string, error)
	TagResource(ctx context.Context, arn string, tags map[string]string) error
	UntagResource(ctx context.Context, arn string, keys []string) error
	ListResourceTags(arn string) ([]datastreams.Tag, error)
	SubscribeToShard(ctx context.Context, consumerARN, shardID string, start datastreams.StartingPosition) (*datastreams.Subscription, error)
	SplitShard(ctx context.Context, ref datastreams.StreamRef, shardToSplit, newStartingHashKey string) error
	MergeShards(ctx context.Context, ref datastreams.StreamRef, shardToMerge, adjacentShardToMerge string) error
	UpdateShardCount(ctx context.Context, ref datastreams.StreamRef, target int, scalingType string) (datastreams.UpdateShardCountOutput, error)
}

// Handler serves Kinesis API requests.
type Handler struct {
	engine Engine
	auth   *awsapi.Auth
	log    *slog.Logger
	ops    map[string]func(*http.Request, []byte) (any, error)
}

// unsupported lists the operations of the current API that shardcast does
// not implement yet.
var unsupported = []string{
	"CreateChannel", "DeleteChannel", "DescribeChannel", "ListChannels", "UpdateChannel",
	"DeleteResourcePolicy", "GetResourcePolicy", "PutResourcePolicy",
	"EnableEnhancedMonitoring", "DisableEnhancedMonitoring",
	"DescribeAccountSettings", "UpdateAccountSettings",
	"UpdateMaxRecordSize", "UpdateStreamWarmThroughput", "UpdateStreamRecordDistributionStrategy",
}

// New returns a handler over engine.
func New(engine Engine, auth *awsapi.Auth, log *slog.Logger) *Handler {
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
		"UpdateStreamMode":              h.updateStreamMode,
		"PutRecord":                     h.putRecord,
		"PutRecords":                    h.putRecords,
		"GetShardIterator":              h.getShardIterator,
		"GetRecords":                    h.getRecords,
		"RegisterStreamConsumer":        h.registerConsumer,
		"DescribeStreamConsumer":        h.describeConsumer,
		"DeregisterStreamConsumer":      h.deregisterConsumer,
		"ListStreamConsumers":           h.listConsumers,
		"SplitShard":                    h.splitShard,
		"MergeShards":                   h.mergeShards,
		"UpdateShardCount":              h.updateShardCount,
	}
	return h
}

// Operations lists the operations the handler serves, in no order.
func (h *Handler) Operations() []string {
	ops := make([]string, 0, len(h.ops))
	for op := range h.ops {
		ops = append(ops, op)
	}
	return ops
}

// ServeHTTP handles one POST with a Kinesis_20131202.* target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// AWS sends x-amz-id-2 (an opaque id of the serving host) beside
	// x-amzn-RequestId on every answer.
	w.Header().Set("X-Amz-Id-2", hostID())
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !h.contentTypeOK(w, r) {
		return
	}
	// The wire format (JSON or CBOR) is the request's: inputs decode,
	// and answers and errors encode, in it.
	codec := awsapi.CodecOf(r)
	proto := codec.Protocol()
	body, release, err := h.auth.ReadSigned(r)
	defer release()
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, proto, err)
		return
	}
	fn := h.ops[op]
	if op == "SubscribeToShard" && len(bytes.TrimSpace(body)) > 0 {
		// An event stream: answered as it goes, not as one value.
		h.subscribeToShard(w, r, body)
		return
	}
	if fn == nil {
		err = awsapi.UnknownOperation()
		for _, u := range unsupported {
			if u == op {
				err = awsapi.Unsupported(op)
			}
		}
		awsapi.WriteError(w, r, h.log, errorTable, proto, err)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// A missing or empty body is not {}: AWS answers a
		// SerializationException without a message.
		awsapi.WriteError(w, r, h.log, errorTable, proto, &awsapi.APIError{Type: "SerializationException", Status: http.StatusBadRequest})
		return
	}
	out, err := fn(r, body)
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, proto, err)
		return
	}
	switch out := out.(type) {
	case rawJSON:
		if codec != awsapi.CodecJSON {
			awsapi.WriteError(w, r, h.log, errorTable, proto, fmt.Errorf("%s answered JSON to a %s request", op, codec.ContentType()))
			return
		}
		w.Header().Set("Content-Type", awsapi.ContentTypeJSON11)
		w.Write(out)
	case rawCBOR:
		if codec != awsapi.CodecCBOR {
			awsapi.WriteError(w, r, h.log, errorTable, proto, fmt.Errorf("%s answered CBOR to a %s request", op, codec.ContentType()))
			return
		}
		w.Header().Set("Content-Type", awsapi.ContentTypeCBOR11)
		w.Write(out)
	case empty:
		// Operations without a result answer an empty body, as AWS does.
		w.Header().Set("Content-Type", codec.ContentType())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	default:
		if codec == awsapi.CodecJSON {
			awsapi.WriteJSON(w, awsapi.ContentTypeJSON11, out)
			return
		}
		b, err := codec.Marshal(out)
		if err != nil {
			awsapi.WriteError(w, r, h.log, errorTable, proto, fmt.Errorf("encoding the %s answer: %w", op, err))
			return
		}
		w.Header().Set("Content-Type", codec.ContentType())
		w.Write(b)
	}
}

// contentTypeOK answers requests whose Content-Type is neither the JSON 1.1
// protocol nor its CBOR twin the way AWS does, before authentication, and reports whether
// the request may go on.
func (h *Handler) contentTypeOK(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch strings.ToLower(mt) {
	case awsapi.ContentTypeJSON11, awsapi.ContentTypeCBOR11:
		return true
	case "application/json":
		// AWS's older JSON protocol: a 200 whose Output names the error.
		body, _ := io.ReadAll(r.Body)
		var v map[string]any
		msg := `{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException","message":null},"Version":"1.0"}`
		if json.Unmarshal(body, &v) != nil || v == nil {
			msg = `{"Output":{"__type":"com.amazon.coral.service#SerializationException","Message":null},"Version":"1.0"}`
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, msg)
	default:
		// A missing or unknown content type: AWS cannot tell the protocol
		// and answers 404 with a bare XML element and no Content-Type.
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<UnknownOperationException/>\n")
	}
	return false
}

// hostID returns a value for x-amz-id-2: 72 random bytes in base64, the
// size of AWS's.
func hostID() string {
	var b [72]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// rawJSON is a response body encoded by the operation itself, for a JSON
// request.
type rawJSON []byte

// rawCBOR is a response body encoded by the operation itself, for a CBOR
// request.
type rawCBOR []byte

// empty is the {} answer of operations without output.
type empty struct{}
