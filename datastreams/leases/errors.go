package leases

import (
	"context"
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/datastreams/leases/expr"
)

// Error kinds.
var (
	ErrConditionalCheckFailed = errors.New("ConditionalCheckFailedException")
	ErrValidation             = errors.New("ValidationException")
	ErrResourceNotFound       = errors.New("ResourceNotFoundException")
	ErrResourceInUse          = errors.New("ResourceInUseException")
	ErrLimitExceeded          = errors.New("LimitExceededException")
	ErrInternal               = errors.New("InternalServerError")
	ErrUnavailable            = errors.New("ServiceUnavailable") // store down or disk full: retryable
)

func validationf(format string, a ...any) *Error {
	return &Error{Kind: ErrValidation, Message: fmt.Sprintf(format, a...)}
}

// invalid turns attr and expr errors into ValidationExceptions.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	var ae *attr.Error
	var ee *expr.Error
	var le *Error
	switch {
	case errors.As(err, &le):
		return le
	case errors.As(err, &ae):
		return &Error{Kind: ErrValidation, Message: ae.Message}
	case errors.As(err, &ee):
		return &Error{Kind: ErrValidation, Message: ee.Message}
	}
	return &Error{Kind: ErrValidation, Message: err.Error()}
}

func notFound(table string) *Error {
	return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found: Table: " + table + " not found"}
}

// storeErr maps a Store failure to an engine Error.
func storeErr(op string, err error) error {
	var le *Error
	switch {
	case errors.As(err, &le):
		return le
	case errors.Is(err, ErrUnavailable):
		return &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("%s: the store is unavailable: %v", op, err)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, ErrResourceNotFound):
		return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found"}
	}
	return &Error{Kind: ErrInternal, Message: fmt.Sprintf("%s: %v", op, err)}
}
