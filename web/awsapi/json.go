package awsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"time"
)

// ContentTypeJSON11 is the content type of the awsJson1.1 protocol.
const ContentTypeJSON11 = "application/x-amz-json-1.1"

// DecodeJSON decodes a request body into v. Malformed input becomes a
// SerializationException with the wording AWS uses; an empty body is {}.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return serializationMessage(err)
	}
	return nil
}

// javaName names Go types the way AWS's Java frameworks do in messages.
func javaName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Timestamp]():
		return "milliseconds since epoch"
	}
	switch t.Kind() {
	case reflect.String:
		return "an String"
	case reflect.Int, reflect.Int32:
		return "an Integer"
	case reflect.Int64:
		return "an Long"
	case reflect.Bool:
		return "an Boolean"
	case reflect.Float32, reflect.Float64:
		return "an Double"
	}
	return "the expected type"
}

func serializationMessage(err error) *APIError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var be *blobError
	var tse *timestampError
	switch {
	case errors.As(err, &be):
		return serializationError(be.Error())
	case errors.As(err, &tse):
		return serializationError(tse.Error())
	case errors.As(err, &te):
		switch te.Value {
		case "array":
			if te.Type.Kind() == reflect.Slice {
				break
			}
			return serializationError("Start of list found where not expected")
		case "object":
			return serializationError("Start of structure or map found where not expected.")
		}
		switch te.Type.Kind() {
		case reflect.Slice:
			return serializationError("Expected list or null")
		case reflect.Map:
			return serializationError("Expected map or null")
		case reflect.Struct:
			return serializationError("Expected null")
		}
		from := map[string]string{"string": "java.lang.String", "bool": "java.lang.Boolean",
			"number": "com.amazon.coral.value.json.numbers.TruncatingBigNumber"}[te.Value]
		if from == "" {
			from = "java.lang.Object"
		}
		return serializationError(fmt.Sprintf("class %s can not be converted to %s", from, javaName(te.Type)))
	case errors.As(err, &se):
		return serializationError("Malformed JSON: " + se.Error())
	}
	return serializationError(err.Error())
}

// WriteJSON writes v as a 200 response of the given content type.
func WriteJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(b)
}

// Timestamp is an AWS JSON timestamp: epoch seconds, fractional allowed.
type Timestamp struct{ time.Time }

type timestampError struct{ from string }

func (e *timestampError) Error() string {
	return "class " + e.from + " can not be converted to milliseconds since epoch"
}

// UnmarshalJSON accepts integers, decimals and exponent forms.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return &timestampError{"java.lang.String"}
	}
	if string(b) == "true" || string(b) == "false" {
		return &timestampError{"java.lang.Boolean"}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return &timestampError{"java.lang.Object"}
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC()
	return nil
}

// MarshalJSON writes epoch seconds with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return EpochSeconds(t.Time), nil
}

// EpochSeconds renders t as epoch seconds with millisecond precision.
func EpochSeconds(t time.Time) []byte {
	ms := t.UnixMilli()
	b := strconv.AppendInt(nil, ms/1000, 10)
	if r := ms % 1000; r != 0 {
		b = append(b, '.')
		b = append(b, byte('0'+r/100), byte('0'+r/10%10), byte('0'+r%10))
	}
	return b
}

// Blob is an AWS JSON blob: base64 text on the wire, bytes in Go. Set is
// false when the member was absent or null.
type Blob struct {
	Bytes []byte
	Set   bool
}

type blobError struct {
	value  string
	reason string
}

func (e *blobError) Error() string {
	return fmt.Sprintf("'%s' can not be converted to a Blob: %s", e.value, e.reason)
}

// UnmarshalJSON decodes base64 (standard alphabet, padded).
func (b *Blob) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		if len(raw) > 0 && raw[0] == '[' {
			return &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[string]()}
		}
		if len(raw) > 0 && raw[0] == '{' {
			return &json.UnmarshalTypeError{Value: "object", Type: reflect.TypeFor[string]()}
		}
		return &blobError{value: string(raw), reason: "Base64 encoded value is not a string"}
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return err
		}
		s = []byte(str)
	}
	if len(s)%4 != 0 {
		return &blobError{value: string(s), reason: fmt.Sprintf("Base64 encoded length is expected a multiple of 4 bytes but found: %d", len(s))}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) && int(ce) < len(s) {
			return &blobError{value: string(s), reason: fmt.Sprintf("Invalid Base64 character: '%c'", s[ce])}
		}
		return &blobError{value: string(s), reason: "Invalid last non-pad Base64 character dectected"}
	}
	b.Bytes, b.Set = out[:n], true
	return nil
}

// MarshalJSON encodes base64.
func (b Blob) MarshalJSON() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b.Bytes))+2)
	out[0] = '"'
	base64.StdEncoding.Encode(out[1:], b.Bytes)
	out[len(out)-1] = '"'
	return out, nil
}
