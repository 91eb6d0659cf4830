package awsapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Validator collects model-constraint failures in the order they are
// checked and renders them as AWS's ValidationException. AWS reports at
// most ten.
type Validator struct {
	errs []string
}

const maxValidationErrors = 10

func (v *Validator) add(value, path, constraint string) {
	if len(v.errs) < maxValidationErrors {
		v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
	}
}

func quote(s string) string { return "'" + s + "'" }

// Required reports a missing member; it returns present so callers can skip
// further checks of an absent value.
func (v *Validator) Required(path string, present bool) bool {
	if !present {
		v.add("null", path, "Member must not be null")
	}
	return present
}

// String checks an optional string member (nil = absent) against a pattern
// (whole-string match; "" for none) and length bounds (max < 0 for none).
func (v *Validator) String(path string, s *string, pattern *regexp.Regexp, min, max int) {
	if s == nil {
		return
	}
	if pattern != nil && !pattern.MatchString(*s) {
		v.add(quote(*s), path, "Member must satisfy regular expression pattern: "+strings.TrimSuffix(strings.TrimPrefix(pattern.String(), "^(?:"), ")$"))
	}
	n := utf8.RuneCountInString(*s)
	if n < min {
		v.add(quote(*s), path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(quote(*s), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Int checks an optional integer member against bounds.
func (v *Validator) Int(path string, n *int, min, max int) {
	if n == nil {
		return
	}
	if *n < min {
		v.add(quote(fmt.Sprint(*n)), path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *n > max {
		v.add(quote(fmt.Sprint(*n)), path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// Enum checks an optional string member against a value set, printed in
// the order given.
func (v *Validator) Enum(path string, s *string, set ...string) {
	if s == nil {
		return
	}
	for _, x := range set {
		if *s == x {
			return
		}
	}
	v.add(quote(*s), path, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// BlobMax checks a blob's length.
func (v *Validator) BlobMax(path string, b []byte, max int) {
	if len(b) > max {
		v.add(quote(BlobValue(len(b))), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// BlobValue is how AWS prints a blob value of n bytes.
func BlobValue(n int) string {
	return fmt.Sprintf("java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]", n, n)
}

// Len checks a list or map member's entry count; value is how it prints.
func (v *Validator) Len(path string, n int, value string, min, max int) {
	if n < min {
		v.add(quote(value), path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if n > max {
		v.add(quote(value), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Custom adds a failure with its own constraint text.
func (v *Validator) Custom(value, path, constraint string) { v.add(quote(value), path, constraint) }

// Err returns the ValidationException, or nil when nothing failed.
func (v *Validator) Err() error { return v.errAs("ValidationException") }

// errAs returns the failures as an error of the given type (KVS reports
// them as InvalidArgumentException), or nil when nothing failed.
func (v *Validator) errAs(typ string) error {
	if len(v.errs) == 0 {
		return nil
	}
	noun := "error"
	if len(v.errs) > 1 {
		noun = "errors"
	}
	return &APIError{Type: typ, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("%d validation %s detected: %s", len(v.errs), noun, strings.Join(v.errs, "; "))}
}

// Pattern compiles a model pattern for whole-string matching; String prints
// it back as written.
func Pattern(p string) *regexp.Regexp { return regexp.MustCompile("^(?:" + p + ")$") }

// Request is a decoded wire input that checks its model constraints, in the
// order AWS checks them.
type Request interface {
	Check(v *Validator)
}

// Decode parses body into a T and checks it: a malformed body fails as
// DecodeJSON reports, a constraint failure is an error of type errType
// (ValidationException for Kinesis, InvalidArgumentException for KVS).
func Decode[T any, PT interface {
	*T
	Request
}](body []byte, errType string) (*T, error) {
	return DecodeWith[T, PT](CodecJSON, body, errType)
}

// DecodeWith is Decode in the wire format c.
func DecodeWith[T any, PT interface {
	*T
	Request
}](c Codec, body []byte, errType string) (*T, error) {
	in := PT(new(T))
	if err := c.Unmarshal(body, in); err != nil {
		return nil, err
	}
	var v Validator
	in.Check(&v)
	return (*T)(in), v.errAs(errType)
}
