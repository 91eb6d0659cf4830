package datastreams

import (
	"errors"
	"fmt"
)

// Error kinds. Every error the engine returns for a caller's mistake wraps
// one of these (check with errors.Is); its Error() text is the message a
// client sees. The HTTP layer maps kinds to wire error names.
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
)

// Error is an engine error: a kind and the client-facing message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// RecordTooLargeError reports a record whose data and partition key exceed
// the stream's maximum record size. Index is its position in the request,
// Size the length of its data and Limit what its data may hold beside its
// partition key (the stream's maximum less the key's bytes).
type RecordTooLargeError struct {
	Index int
	Size  int
	Limit int
}

func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("record %d has %d bytes of data, over the %d its partition key leaves of the stream's limit", e.Index, e.Size, e.Limit)
}
func (e *RecordTooLargeError) Unwrap() error { return ErrValidation }

func (e *Engine) streamNotFound(name string) error {
	return errorf(ErrResourceNotFound, "Stream %s under account %s not found.", name, e.cfg.Account)
}

func (e *Engine) shardNotFound(shardID, stream string) error {
	return errorf(ErrResourceNotFound, "Shard %s in stream %s under account %s does not exist", shardID, stream, e.cfg.Account)
}

func (e *Engine) notActive(name, status string) error {
	return errorf(ErrResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s", name, e.cfg.Account, status)
}
