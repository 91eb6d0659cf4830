package playback

import (
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// Errors of the playback APIs beyond the registry's kinds (whose
// ErrInvalidArgument, ErrResourceNotFound and ErrNoDataRetention are used
// as well); check with errors.Is. web/kvs maps them to KVS error codes.
var (
	ErrNotAuthorized           = errors.New("not authorized")
	ErrUnsupportedMediaType    = errors.New("unsupported stream media type")
	ErrMissingCodecPrivateData = errors.New("missing codec private data")
	ErrInvalidMediaFrame       = errors.New("invalid media frame")
	ErrConnectionLimit         = errors.New("connection limit exceeded")
	ErrClientLimit             = errors.New("client limit exceeded")
)

// errorf makes an error of a kind with a message for the client; it is a
// registry.Error, the same shape the store's errors have.
func errorf(kind error, format string, args ...any) error {
	return &registry.Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return errorf(registry.ErrInvalidArgument, format, args...)
}

func notFound(format string, args ...any) error {
	return errorf(registry.ErrResourceNotFound, format, args...)
}
