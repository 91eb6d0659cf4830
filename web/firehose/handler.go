package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/web/awsapi"
)

// TargetPrefix prefixes every Firehose X-Amz-Target.
const TargetPrefix = "Firehose_20150804."

var errorTable = awsapi.ErrorTable{
	{Err: registry.ErrResourceNotFound, Type: "ResourceNotFoundException", Status: http.StatusBadRequest},
	{Err: registry.ErrResourceInUse, Type: "ResourceInUseException", Status: http.StatusBadRequest},
	{Err: registry.ErrInvalidArgument, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: registry.ErrValidation, Type: "ValidationException", Status: http.StatusBadRequest},
	{Err: registry.ErrLimitExceeded, Type: "LimitExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrVersionMismatch, Type: "ConcurrentModificationException", Status: http.StatusBadRequest},
	{Err: registry.ErrKMSNotFound, Type: "InvalidKMSResourceException", Status: http.StatusBadRequest},
	{Err: registry.ErrUnavailable, Type: "ServiceUnavailableException", Status: http.StatusServiceUnavailable, Public: true},
	{Err: registry.ErrInternal, Type: "InternalFailure", Status: http.StatusInternalServerError},
}

// Engine is what the handler calls (*firehose.Engine is one).
type Engine interface {
	Create(ctx context.Context, in firehose.CreateInput) (string, error)
	Delete(ctx context.Context, name string) error
	Describe(name string) (firehose.Description, error)
	List(limit int, typ, exclusiveStart string) ([]string, bool)
	Put(ctx context.Context, name string, data [][]byte) ([]firehose.PutResult, bool, error)
	Update(ctx context.Context, in firehose.UpdateInput) error
	Tag(ctx context.Context, name string, tags []firehose.Tag) error
	Untag(ctx context.Context, name string, keys []string) error
	ListTags(name, exclusiveStart string, limit int) ([]firehose.Tag, bool, error)
	StartEncryption(name string, in *firehose.EncryptionInput) error
	StopEncryption(name string) error
}

// Handler serves Firehose API requests.
type Handler struct {
	engine Engine
	auth   *awsapi.Auth
	log    *slog.Logger
	ops    map[string]func(*http.Request, []byte) (any, error)
}

// unsupported lists the operations of the current API shardcast does not
// implement.
var unsupported = []string{"DescribeDeliveryStreamsWithPrivateLink", "GetKinesisStreamSourceConfiguration", "PutRecordBatchWithCompression"}

// New returns a handler over engine.
func New(engine Engine, auth *awsapi.Auth, log *slog.Logger) *Handler {
	h := &Handler{engine: engine, auth: auth, log: log}
	h.ops = map[string]func(*http.Request, []byte) (any, error){
		"CreateDeliveryStream":          h.create,
		"DeleteDeliveryStream":          h.delete,
		"DescribeDeliveryStream":        h.describe,
		"ListDeliveryStreams":           h.list,
		"PutRecord":                     h.putRecord,
		"PutRecordBatch":                h.putRecordBatch,
		"UpdateDestination":             h.update,
		"TagDeliveryStream":             h.tag,
		"UntagDeliveryStream":           h.untag,
		"ListTagsForDeliveryStream":     h.listTags,
		"StartDeliveryStreamEncryption": h.startEncryption,
		"StopDeliveryStreamEncryption":  h.stopEncryption,
	}
	return h
}

// ServeHTTP handles one POST with a Firehose_20150804.* target.
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
	if len(bytes.TrimSpace(body)) == 0 {
		awsapi.WriteError(w, r, h.log, errorTable, awsapi.JSON11, &awsapi.APIError{Type: "SerializationException", Status: http.StatusBadRequest})
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

// rawJSON is an answer the operation encoded itself.
type rawJSON []byte

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &awsapi.APIError{Type: "SerializationException", Message: fmt.Sprintf("Could not parse the request: %v", err), Status: http.StatusBadRequest}
	}
	return nil
}

func validation(format string, args ...any) error {
	return registry.Errorf(registry.ErrValidation, "1 validation error detected: "+format, args...)
}

// namePattern is DeliveryStreamName's constraint in the API's model.
var namePattern = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)

// requireName checks a DeliveryStreamName where it enters, for every
// operation: a malformed name is a ValidationException, never a lookup.
func requireName(name string) error {
	var v awsapi.Validator
	if v.Required("deliveryStreamName", name != "") {
		v.String("deliveryStreamName", &name, namePattern, 1, 64)
	}
	return v.Err()
}
