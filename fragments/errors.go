package fragments

import (
	"errors"
	"fmt"
)

// Error kinds of the video-stream store; check them with errors.Is. Error()
// of a returned error is the message a client sees.
var (
	ErrResourceNotFound = errors.New("resource not found")
	ErrResourceInUse    = errors.New("resource in use")
	ErrInvalidArgument  = errors.New("invalid argument")
	ErrVersionMismatch  = errors.New("version mismatch")
	ErrTagsLimit        = errors.New("tags per resource exceeded")
	ErrStreamLimit      = errors.New("account stream limit exceeded")
	ErrKMSNotFound      = errors.New("kms key not found")
	ErrNoDataRetention  = errors.New("no data retention")
	ErrDamaged          = errors.New("fragment damaged in storage")
	ErrInternal         = errors.New("internal failure")
)

// Error is a store error: a kind and the client-facing message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func notFound() error {
	return errorf(ErrResourceNotFound, "The requested stream is not found or not active.")
}
