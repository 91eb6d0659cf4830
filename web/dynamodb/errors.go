package dynamodb

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/web/awsapi"
)

// Namespaces of the __type of an error: DynamoDB's own errors, the
// request validator's and the front end's (authentication, protocol).
const (
	nsService  = "com.amazonaws.dynamodb.v20120810#"
	nsValidate = "com.amazon.coral.validate#"
	nsCoral    = "com.amazon.coral.service#"
)

// coralTypes are the errors the front end answers before DynamoDB sees the
// request.
var coralTypes = map[string]bool{
	"UnrecognizedClientException": true, "InvalidSignatureException": true, "IncompleteSignatureException": true,
	"MissingAuthenticationTokenException": true, "ExpiredTokenException": true, "AccessDeniedException": true,
	"SerializationException": true, "UnknownOperationException": true, "UnsupportedOperationException": true,
}

// wireError is an error as it goes on the wire.
type wireError struct {
	typ    string
	msg    string
	status int
	item   attr.Item // ConditionalCheckFailedException's current item
}

// toWire maps err: the engine's *leases.Error by its kind (whose text is
// the wire name), the check's and the decoder's *awsapi.APIError as they
// are; anything else is an internal failure, logged with the request id
// and answered without detail, as is every 500.
func toWire(r *http.Request, log *slog.Logger, err error) wireError {
	var le *leases.Error
	var ae *awsapi.APIError
	switch {
	case errors.As(err, &le):
		w := wireError{typ: "InternalServerError", msg: le.Message, status: http.StatusBadRequest, item: le.Item}
		if le.Kind != nil {
			w.typ = le.Kind.Error()
		}
		switch {
		case errors.Is(le.Kind, leases.ErrInternal) || le.Kind == nil:
			w.status = http.StatusInternalServerError
		case errors.Is(le.Kind, leases.ErrUnavailable):
			// A store that cannot take the write now; every SDK retries
			// a 503, and the message says why.
			w.status = http.StatusServiceUnavailable
			return w
		}
		if w.status >= 500 {
			log.Error("internal failure", "request_id", awsapi.RequestID(r), "err", err)
			w.msg, w.item = "Internal server error", nil
		}
		return w
	case errors.As(err, &ae):
		w := wireError{typ: ae.Type, msg: ae.Message, status: ae.Status}
		if w.typ == "InternalFailure" {
			w.typ = "InternalServerError"
		}
		if w.status >= 500 && w.status != http.StatusServiceUnavailable {
			log.Error("internal failure", "request_id", awsapi.RequestID(r), "err", err)
			w.msg = "Internal server error"
		}
		return w
	}
	log.Error("internal failure", "request_id", awsapi.RequestID(r), "err", err)
	return wireError{typ: "InternalServerError", msg: "Internal server error", status: http.StatusInternalServerError}
}

// namespaced is the __type of an error named typ.
func namespaced(typ string) string {
	switch {
	case typ == "ValidationException":
		return nsValidate + typ
	case coralTypes[typ]:
		return nsCoral + typ
	}
	return nsService + typ
}

// writeError answers err in DynamoDB's error shape.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	we := toWire(r, h.log, err)
	body := struct {
		Type    string    `json:"__type"`
		Message string    `json:"message,omitempty"`
		Item    attr.Item `json:"Item,omitempty"`
	}{namespaced(we.typ), we.msg, we.item}
	b, merr := json.Marshal(body)
	if merr != nil {
		h.log.Error("encoding an error", "request_id", awsapi.RequestID(r), "err", merr)
		b = []byte(`{"__type":"` + nsService + `InternalServerError"}`)
		we.status = http.StatusInternalServerError
	}
	// The router's audit reads the bare name from this header; the SDKs
	// read it too (before the body) and cut any namespace off.
	w.Header().Set("X-Amzn-Errortype", we.typ)
	writeBody(w, we.status, b)
}
