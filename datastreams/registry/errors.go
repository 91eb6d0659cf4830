package registry

import (
	"errors"
	"fmt"
)

// Error kinds shared by every kind of stream. An error an engine returns for
// a caller's mistake (or a condition the caller should know of) wraps one of
// these; check with errors.Is. The web front ends map kinds to the wire
// names of their API: no engine knows those names.
var (
	ErrResourceNotFound   = errors.New("resource not found")
	ErrResourceInUse      = errors.New("resource in use")
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrValidation         = errors.New("validation failed")
	ErrLimitExceeded      = errors.New("limit exceeded")
	ErrThroughputExceeded = errors.New("provisioned throughput exceeded")
	ErrExpiredIterator    = errors.New("expired iterator")
	ErrExpiredNextToken   = errors.New("expired next token")
	ErrKMSNotFound        = errors.New("kms key not found")
	ErrInternal           = errors.New("internal failure")
	// ErrUnavailable: the server cannot store now (its disk is full) but
	// will once the condition passes; clients should retry.
	ErrUnavailable           = errors.New("service unavailable")
	ErrUnsupportedStreamMode = errors.New("unsupported for stream mode")
	ErrVersionMismatch       = errors.New("version mismatch")
	ErrTagsLimit             = errors.New("tags per resource exceeded")
	ErrStreamLimit           = errors.New("account stream limit exceeded")
	ErrNoDataRetention       = errors.New("no data retention")
	ErrDamaged               = errors.New("damaged in storage")
)

// Error is an engine error: a kind and the message a client sees.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// Errorf returns an *Error of kind with a formatted message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Sentinels of the registry's own operations, which engines turn into
// errors with their API's wording.
var (
	// ErrExists: Create was given a name that a stream of the kind holds.
	ErrExists = errors.New("registry: a stream of that name exists")
	// ErrGone: the stream was deleted while the caller held it.
	ErrGone = errors.New("registry: the stream was deleted")
	// ErrUnchanged, returned by an Update's change function, ends the
	// update without persisting anything and without an error.
	ErrUnchanged = errors.New("registry: unchanged")
)
