package leases

import "errors"

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
