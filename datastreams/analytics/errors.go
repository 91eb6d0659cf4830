package analytics

import (
	"errors"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// Error kinds of this API beyond the registry's; the web front end maps
// them to wire names (registry.ErrVersionMismatch is the
// ConcurrentModificationException of a stale CurrentApplicationVersionId).
var (
	// ErrCodeValidation: the application code does not parse or plan.
	ErrCodeValidation = errors.New("code validation failed")
	// ErrUnableToDetectSchema: DiscoverInputSchema found no schema.
	ErrUnableToDetectSchema = errors.New("unable to detect schema")
	// ErrInvalidConfiguration: StartApplication met a configuration that
	// cannot run.
	ErrInvalidConfiguration = errors.New("invalid application configuration")
	// ErrUnsupported: a feature shardcast does not run.
	ErrUnsupported = errors.New("unsupported operation")
)

func errorf(kind error, format string, args ...any) error {
	return registry.Errorf(kind, format, args...)
}

// SchemaError is UnableToDetectSchemaException's error: what was read.
type SchemaError struct {
	Message   string
	Raw       []string
	Processed []string
}

func (e *SchemaError) Error() string { return e.Message }
func (e *SchemaError) Unwrap() error { return ErrUnableToDetectSchema }
