package registry

import (
	"context"
	"errors"

	"github.com/shardcast/shardcast/index"
)

// ErrConflict is returned by Catalog.Put for a definition whose version does
// not follow the stored one (a create of a name that exists, or a change
// made from a stale copy).
var ErrConflict = errors.New("registry: definition changed concurrently")

// Catalog keeps stream definitions: what streams exist, their shards,
// settings and wrapped data keys. It is the truth the registry loads at
// start; cmd chooses one (files + bbolt, memory, a JetStream key-value
// bucket). All methods are safe for concurrent use.
type Catalog interface {
	// Load returns every definition of a kind.
	Load(ctx context.Context, kind string) ([]*index.Stream, error)
	// Put stores a definition. Version 1 creates it and fails with
	// ErrConflict when kind/name exists; a later version replaces
	// version-1 and fails with ErrConflict when the stored one differs.
	Put(ctx context.Context, s *index.Stream) error
	// Delete removes the definition of kind/name; an absent one is not an
	// error. It must work on a full disk.
	Delete(ctx context.Context, kind, name string) error
	// Secret returns the secret called name, made of size random bytes the
	// first time it is asked for (iterator and playback token keys).
	Secret(ctx context.Context, name string, size int) ([]byte, error)
}
