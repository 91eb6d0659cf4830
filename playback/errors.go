package playback

import (
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/fragments"
)

// Errors of the playback APIs beyond those of package fragments (whose
// ErrInvalidArgument, ErrResourceNotFound and ErrNoDataRetention are used
// as well); check with errors.Is. web/kvs maps them to KVS error codes.
var (
	ErrNotAuthorized           = errors.New("not authorized")
	ErrUnsupportedMediaType    = errors.New("unsupported stream media type")
	ErrMissingCodecPrivateData = errors.New("missing codec private data")
	ErrInvalidMediaFrame       = errors.New("invalid media frame")
)

// Error is a playback failure with a message for the client.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return errorf(fragments.ErrInvalidArgument, format, args...)
}

func notFound(format string, args ...any) error {
	return errorf(fragments.ErrResourceNotFound, format, args...)
}
