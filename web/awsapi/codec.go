package awsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// ContentTypeCBOR11 is the content type of the awsJson1.1 protocol's CBOR
// twin, which the Java SDKs (and so the KCL) send by default.
const ContentTypeCBOR11 = "application/x-amz-cbor-1.1"

// Codec is the wire format of a request of the AWS JSON protocols: JSON, or
// CBOR with the same member names. A request's Content-Type chooses it
// (CodecOf); the answer, errors included, is written in the same one.
type Codec uint8

// The codecs.
const (
	CodecJSON Codec = iota
	CodecCBOR
)

// CBOR11 is the protocol of Kinesis requests sent in CBOR.
var CBOR11 = Protocol{ContentType: ContentTypeCBOR11}

// CodecOf returns the codec that the Content-Type of r names: CBOR for
// application/x-amz-cbor-1.1, JSON for anything else.
func CodecOf(r *http.Request) Codec {
	ct := r.Header.Get("Content-Type")
	if ct == ContentTypeJSON11 || ct == "" {
		return CodecJSON // the common case, without parsing
	}
	if mt, _, _ := mime.ParseMediaType(ct); strings.EqualFold(mt, ContentTypeCBOR11) {
		return CodecCBOR
	}
	return CodecJSON
}

// ContentType is the content type of answers in c.
func (c Codec) ContentType() string {
	if c == CodecCBOR {
		return ContentTypeCBOR11
	}
	return ContentTypeJSON11
}

// Protocol is the error protocol of a JSON 1.1 service in c.
func (c Codec) Protocol() Protocol {
	if c == CodecCBOR {
		return CBOR11
	}
	return JSON11
}

// Unmarshal decodes a request body into v: malformed input or a member of
// the wrong type is a SerializationException.
func (c Codec) Unmarshal(body []byte, v any) error {
	if c == CodecCBOR {
		return DecodeCBOR(body, v)
	}
	return DecodeJSON(body, v)
}

// Marshal encodes v (a struct with json tags, whose Blob and Timestamp
// members take each format's own shape).
func (c Codec) Marshal(v any) ([]byte, error) {
	if c == CodecCBOR {
		return cborEnc.Marshal(v)
	}
	return json.Marshal(v)
}

// The CBOR modes are immutable and safe for concurrent use.
var (
	cborDec = mustDec(cbor.DecOptions{
		// Jackson, the Java SDKs' CBOR generator, writes maps and arrays
		// of unknown length; the defaults allow them, and tags.
		MaxArrayElements: 1 << 20,
		MaxMapPairs:      1 << 20,
		// Members match their names as in JSON: exact first, then
		// case-insensitively.
		FieldNameMatching: cbor.FieldNameMatchingPreferCaseSensitive,
	})
	cborEnc = mustEnc(cbor.EncOptions{
		// omitempty as encoding/json has it: an empty struct is written.
		OmitEmpty: cbor.OmitEmptyGoValue,
	})
)

func mustDec(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustEnc(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

// DecodeCBOR decodes a CBOR request body into v. Malformed input becomes a
// SerializationException that says what is wrong; an empty body is {}.
func DecodeCBOR(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := cborDec.Unmarshal(body, v); err != nil {
		return cborSerializationMessage(err)
	}
	return nil
}

// cborSerializationMessage words a CBOR decoding error as the JSON path
// words the same mistake.
func cborSerializationMessage(err error) *APIError {
	var te *cbor.UnmarshalTypeError
	var be *blobError
	var tse *timestampError
	switch {
	case errors.As(err, &be):
		return serializationError(be.Error())
	case errors.As(err, &tse):
		return serializationError(tse.Error())
	case errors.As(err, &te):
		kind := goKind(te.GoType)
		switch te.CBORType {
		case "array":
			if kind == reflect.Slice {
				break
			}
			return serializationError("Start of list found where not expected")
		case "map":
			return serializationError("Start of structure or map found where not expected.")
		}
		switch kind {
		case reflect.Slice:
			return serializationError("Expected list or null")
		case reflect.Map:
			return serializationError("Expected map or null")
		case reflect.Struct:
			return serializationError("Expected null")
		}
		from := map[string]string{"UTF-8 text string": "java.lang.String", "byte string": "java.nio.HeapByteBuffer",
			"positive integer": "java.lang.Long", "negative integer": "java.lang.Long"}[te.CBORType]
		if from == "" {
			from = "java.lang.Object"
		}
		return serializationError(fmt.Sprintf("class %s can not be converted to %s", from, javaKindName(kind)))
	}
	msg := strings.TrimPrefix(err.Error(), "cbor: ")
	return serializationError("Malformed CBOR: " + msg)
}

// goKind tells the kind of the Go type that fxamacker/cbor names in its
// type errors.
func goKind(name string) reflect.Kind {
	name = strings.TrimLeft(name, "*")
	switch {
	case strings.HasPrefix(name, "[]"):
		return reflect.Slice
	case strings.HasPrefix(name, "map["):
		return reflect.Map
	}
	switch name {
	case "string":
		return reflect.String
	case "int", "int32":
		return reflect.Int
	case "int64":
		return reflect.Int64
	case "bool":
		return reflect.Bool
	case "float32", "float64":
		return reflect.Float64
	}
	return reflect.Struct
}

func javaKindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "an String"
	case reflect.Int:
		return "an Integer"
	case reflect.Int64:
		return "an Long"
	case reflect.Bool:
		return "an Boolean"
	case reflect.Float64:
		return "an Double"
	}
	return "the expected type"
}

// untag skips the tags in front of a CBOR data item.
func untag(data []byte) []byte {
	for len(data) > 0 && data[0]>>5 == 6 {
		n := 1
		switch data[0] & 0x1f {
		case 24:
			n = 2
		case 25:
			n = 3
		case 26:
			n = 5
		case 27:
			n = 9
		}
		if n > len(data) {
			return data
		}
		data = data[n:]
	}
	return data
}

// cborNull reports whether data is CBOR null or undefined.
func cborNull(data []byte) bool {
	return len(data) == 1 && (data[0] == 0xf6 || data[0] == 0xf7)
}

// UnmarshalCBOR reads a timestamp as the Java SDKs send it: tag 1 and
// integer epoch milliseconds. An untagged integer or a float is read as
// milliseconds too, as the Java SDK's own unmarshaller does.
func (t *Timestamp) UnmarshalCBOR(data []byte) error {
	data = untag(data)
	if cborNull(data) {
		return nil
	}
	var v any
	if err := cborDec.Unmarshal(data, &v); err != nil {
		return err
	}
	switch n := v.(type) {
	case uint64:
		if n > math.MaxInt64 {
			return &timestampError{"java.lang.Object"}
		}
		t.Time = time.UnixMilli(int64(n)).UTC()
	case int64:
		t.Time = time.UnixMilli(n).UTC()
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) || math.Abs(n) > 1<<62 {
			return &timestampError{"java.lang.Object"}
		}
		ms := math.Round(n)
		t.Time = time.UnixMilli(int64(ms)).UTC()
	case string:
		return &timestampError{"java.lang.String"}
	case bool:
		return &timestampError{"java.lang.Boolean"}
	default:
		return &timestampError{"java.lang.Object"}
	}
	return nil
}

// MarshalCBOR writes tag 1 and integer epoch milliseconds, what the Java
// SDKs write and read.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	return AppendCBORTimestamp(nil, t.Time), nil
}

// UnmarshalCBOR reads a byte string (definite or in chunks).
func (b *Blob) UnmarshalCBOR(data []byte) error {
	data = untag(data)
	if cborNull(data) {
		return nil
	}
	if len(data) == 0 || data[0]>>5 != 2 {
		from := "java.lang.Object"
		if len(data) > 0 && data[0]>>5 == 3 {
			from = "java.lang.String"
		}
		return &blobError{value: from, reason: "a blob is a CBOR byte string"}
	}
	var out []byte
	if err := cborDec.Unmarshal(data, &out); err != nil {
		return err
	}
	if out == nil {
		out = []byte{}
	}
	b.Bytes, b.Set = out, true
	return nil
}

// MarshalCBOR writes a byte string.
func (b Blob) MarshalCBOR() ([]byte, error) {
	return AppendCBORBytes(nil, b.Bytes), nil
}

// AppendCBORHead appends the head of a CBOR data item: major type and
// argument, in the shortest form.
func AppendCBORHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= math.MaxUint8:
		return append(b, m|24, byte(n))
	case n <= math.MaxUint16:
		return append(b, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendCBORText appends s as a text string. s must be valid UTF-8.
func AppendCBORText(b []byte, s string) []byte {
	return append(AppendCBORHead(b, 3, uint64(len(s))), s...)
}

// AppendCBORBytes appends p as a byte string.
func AppendCBORBytes(b, p []byte) []byte {
	return append(AppendCBORHead(b, 2, uint64(len(p))), p...)
}

// AppendCBORInt appends an integer.
func AppendCBORInt(b []byte, n int64) []byte {
	if n < 0 {
		return AppendCBORHead(b, 1, uint64(-(n + 1)))
	}
	return AppendCBORHead(b, 0, uint64(n))
}

// AppendCBORTimestamp appends t as tag 1 and integer epoch milliseconds.
func AppendCBORTimestamp(b []byte, t time.Time) []byte {
	return AppendCBORInt(append(b, 0xc1), t.UnixMilli())
}
