package datastreams

import (
	"fmt"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// Errors the engine returns for a caller's mistake are *registry.Error
// values of the registry's kinds; their Error() text is the message a
// client sees. The HTTP layer maps kinds to wire error names.

func errorf(kind error, format string, args ...any) error {
	return registry.Errorf(kind, format, args...)
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
func (e *RecordTooLargeError) Unwrap() error { return registry.ErrValidation }

func (e *Engine) streamNotFound(name string) error {
	return errorf(registry.ErrResourceNotFound, "Stream %s under account %s not found.", name, e.cfg.Account)
}

func (e *Engine) shardNotFound(shardID, stream string) error {
	return errorf(registry.ErrResourceNotFound, "Shard %s in stream %s under account %s does not exist", shardID, stream, e.cfg.Account)
}

func (e *Engine) notActive(name, status string) error {
	return errorf(registry.ErrResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s", name, e.cfg.Account, status)
}
