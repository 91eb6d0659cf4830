package kinesis

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// decode parses the body of r into a T and checks it: a malformed body is a
// SerializationException, a constraint failure a ValidationException. r
// tells the wire format (its Content-Type: JSON or CBOR).
func decode[T any, PT interface {
	*T
	awsapi.Request
}](r *http.Request, body []byte) (*T, error) {
	return awsapi.DecodeWith[T, PT](awsapi.CodecOf(r), body, "ValidationException")
}

// streamInput is the StreamName/StreamARN pair most operations take.
type streamInput struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

// check requires at least one of the two.
func (s *streamInput) Check(v *awsapi.Validator) {
	v.String("streamName", s.StreamName, namePattern, 1, 128)
	v.String("streamARN", s.StreamARN, arnPattern, 1, 2048)
	if s.StreamName == nil && s.StreamARN == nil {
		v.Required("streamName", false)
	}
}

func (s *streamInput) ref() datastreams.StreamRef {
	return datastreams.StreamRef{Name: deref(s.StreamName), ARN: deref(s.StreamARN)}
}
