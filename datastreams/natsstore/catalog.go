package natsstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// catalog keeps stream definitions in the bucket, one key per kind and
// name, holding the JSON of index.Stream.
type catalog struct{ c *Conn }

var _ registry.Catalog = (*catalog)(nil)

func defKey(kind, name string) string { return "def." + enc(kind) + "." + enc(name) }

func secretKey(name string) string { return "secret." + enc(name) }

// Load returns every definition of a kind.
func (k *catalog) Load(ctx context.Context, kind string) ([]*index.Stream, error) {
	w, err := k.c.kv.Watch(ctx, "def."+enc(kind)+".*", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("natsstore: load %s definitions: %w", kind, err)
	}
	defer w.Stop()
	var out []*index.Stream
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("natsstore: load %s definitions: watch ended", kind)
			}
			if e == nil { // all current values seen
				slices.SortFunc(out, func(a, b *index.Stream) int { return strings.Compare(a.Name, b.Name) })
				return out, nil
			}
			s := new(index.Stream)
			if err := json.Unmarshal(e.Value(), s); err != nil {
				return nil, fmt.Errorf("natsstore: definition %s: %w", e.Key(), err)
			}
			out = append(out, s)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Put stores a definition, using the key's revision for the create and
// replace rules.
func (k *catalog) Put(ctx context.Context, s *index.Stream) error {
	if s.Version < 1 {
		return fmt.Errorf("natsstore: definition %s/%s has version %d", s.Kind, s.Name, s.Version)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("natsstore: encode definition %s/%s: %w", s.Kind, s.Name, err)
	}
	key := defKey(s.Kind, s.Name)
	if s.Version == 1 {
		_, err := k.c.kv.Create(ctx, key, b)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("%w: %s/%s exists", registry.ErrConflict, s.Kind, s.Name)
		}
		if err != nil {
			return fmt.Errorf("natsstore: create definition %s/%s: %w", s.Kind, s.Name, err)
		}
		return nil
	}
	e, err := k.c.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("%w: %s/%s does not exist", registry.ErrConflict, s.Kind, s.Name)
	}
	if err != nil {
		return fmt.Errorf("natsstore: read definition %s/%s: %w", s.Kind, s.Name, err)
	}
	var cur struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	if err := json.Unmarshal(e.Value(), &cur); err != nil {
		return fmt.Errorf("natsstore: definition %s: %w", key, err)
	}
	if cur.ID != s.ID {
		return fmt.Errorf("%w: %s/%s is another incarnation (id %s, not %s)", registry.ErrConflict, s.Kind, s.Name, cur.ID, s.ID)
	}
	if cur.Version != s.Version-1 {
		return fmt.Errorf("%w: %s/%s is at version %d, not %d", registry.ErrConflict, s.Kind, s.Name, cur.Version, s.Version-1)
	}
	if _, err := k.c.kv.Update(ctx, key, b, e.Revision()); err != nil {
		if isWrongRevision(err) {
			return fmt.Errorf("%w: %s/%s changed meanwhile", registry.ErrConflict, s.Kind, s.Name)
		}
		return fmt.Errorf("natsstore: replace definition %s/%s: %w", s.Kind, s.Name, err)
	}
	return nil
}

// isWrongRevision reports a compare-and-set miss of the bucket.
func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return true
	}
	return errors.Is(err, jetstream.ErrKeyExists)
}

// Delete removes a definition; an absent one is not an error.
func (k *catalog) Delete(ctx context.Context, kind, name string) error {
	if err := k.c.kv.Purge(ctx, defKey(kind, name)); err != nil {
		return fmt.Errorf("natsstore: delete definition %s/%s: %w", kind, name, err)
	}
	return nil
}

// Secret returns the secret called name, creating it when absent; when
// two servers race, the first one stored wins for both.
func (k *catalog) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	key := secretKey(name)
	for attempt := 0; attempt < 3; attempt++ {
		e, err := k.c.kv.Get(ctx, key)
		if err == nil {
			return e.Value(), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("natsstore: secret %s: %w", name, err)
		}
		b := make([]byte, size)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("natsstore: secret %s: %w", name, err)
		}
		_, err = k.c.kv.Create(ctx, key, b)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("natsstore: secret %s: %w", name, err)
		}
	}
	return nil, fmt.Errorf("natsstore: secret %s: kept changing", name)
}
