package awsapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// APIError is an error that carries its own wire name, status and message.
type APIError struct {
	Type    string // __type, e.g. "SerializationException"
	Message string
	Status  int
	// CapitalMessage writes "Message" instead of "message", as AWS does for
	// serialization errors.
	CapitalMessage bool
}

func (e *APIError) Error() string { return e.Type + ": " + e.Message }

// Protocol-level errors.
func serializationError(msg string) *APIError {
	return &APIError{Type: "SerializationException", Message: msg, Status: http.StatusBadRequest, CapitalMessage: true}
}

// UnknownOperation is the answer to an X-Amz-Target the service lacks.
func UnknownOperation() *APIError {
	return &APIError{Type: "UnknownOperationException", Status: http.StatusBadRequest}
}

// Unsupported is the answer to an operation shardcast does not implement yet.
func Unsupported(op string) *APIError {
	return &APIError{Type: "UnsupportedOperationException", Status: http.StatusBadRequest,
		Message: op + " is not supported by shardcast yet; see the compatibility table in the README."}
}

// Internal is the answer to a failure that is not the caller's.
func Internal() *APIError {
	return &APIError{Type: "InternalFailure", Status: http.StatusInternalServerError}
}

// Mapping maps one sentinel error to a wire name and HTTP status.
type Mapping struct {
	Err    error
	Type   string
	Status int
	// Public keeps the message of a 5xx answer (the server's condition,
	// such as a full disk, that the client should see and retry on); the
	// engine logs those itself, so they are not logged again per request.
	Public bool
}

// ErrorTable maps a handler package's sentinel errors; the first match wins.
type ErrorTable []Mapping

// Lookup returns the mapping of err, or nil.
func (t ErrorTable) Lookup(err error) *Mapping {
	for i := range t {
		if errors.Is(err, t[i].Err) {
			return &t[i]
		}
	}
	return nil
}

// Protocol is how a service writes errors.
type Protocol struct {
	ContentType string
	// CapitalMessage writes "Message" (REST-JSON services such as KVS)
	// instead of "message" (Kinesis).
	CapitalMessage bool
}

// The protocols shardcast speaks.
var (
	JSON11   = Protocol{ContentType: ContentTypeJSON11}
	RESTJSON = Protocol{ContentType: "application/json", CapitalMessage: true}
)

// WriteError writes err as an AWS JSON error (a CBOR map when proto is
// CBOR11): the __type and message body,
// the x-amzn-ErrorType header and the status. Errors that are neither an
// APIError nor in the table are internal failures; those, and every 5xx
// but a Public one, are logged with the request id and answered without
// detail.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, table ErrorTable, proto Protocol, err error) {
	var ae *APIError
	public := false
	if !errors.As(err, &ae) {
		if m := table.Lookup(err); m != nil {
			ae = &APIError{Type: m.Type, Message: err.Error(), Status: m.Status}
			public = m.Public
		} else {
			ae = Internal()
		}
	}
	if ae.Status >= 500 && !public {
		log.Error("internal failure", "request_id", RequestID(r), "err", err)
		ae = &APIError{Type: ae.Type, Status: ae.Status}
	}
	body := map[string]string{"__type": ae.Type}
	if ae.Message != "" {
		if ae.CapitalMessage || proto.CapitalMessage {
			body["Message"] = ae.Message
		} else {
			body["message"] = ae.Message
		}
	}
	var b []byte
	if proto.ContentType == ContentTypeCBOR11 {
		b, _ = cborEnc.Marshal(body)
	} else {
		b, _ = json.Marshal(body)
	}
	h := w.Header()
	h.Set("Content-Type", proto.ContentType)
	h.Set("X-Amzn-Errortype", ae.Type)
	w.WriteHeader(ae.Status)
	w.Write(b)
}
