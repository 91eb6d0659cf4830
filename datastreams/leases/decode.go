package leases

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrSerialization is the kind of a body that is not the JSON a request
// type describes (DynamoDB's SerializationException).
var ErrSerialization = errors.New("SerializationException")

// DecodeRequest decodes a JSON 1.0 request body into v (a pointer to one
// of the input types). A member the type does not know is a
// ValidationException naming it, never silently dropped; malformed JSON
// or a member of the wrong JSON type is a SerializationException. An
// empty body decodes as {}.
func DecodeRequest(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		if d.More() {
			return &Error{Kind: ErrSerialization, Message: "Start of structure or map found where not expected"}
		}
		return nil
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return validationf("Unsupported parameter(s) in this DynamoDB implementation: %s", strings.Trim(name, `"`))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Kind: ErrSerialization, Message: fmt.Sprintf("Unexpected value type in payload for member %s", te.Field)}
	}
	return &Error{Kind: ErrSerialization, Message: "The request body is not valid JSON: " + err.Error()}
}
