package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// keyCache unwraps data keys once per stream incarnation and version.
type keyCache struct {
	ring *envelope.Keyring
	mu   sync.Mutex
	m    map[string][]byte // stream id + "/" + version -> plaintext data key
}

// source resolves the data-key versions of the stream streamID; keys
// returns its current data keys (they change as its definition does).
func (c *keyCache) source(streamID string, keys func() []index.DataKey) shard.KeySource {
	return func(ver uint32) ([]byte, error) {
		id := fmt.Sprintf("%s/%d", streamID, ver)
		c.mu.Lock()
		defer c.mu.Unlock()
		if k := c.m[id]; k != nil {
			return k, nil
		}
		for _, dk := range keys() {
			if dk.Version == ver {
				k, _, err := c.ring.Decrypt(dk.Wrapped)
				if err != nil {
					return nil, err
				}
				c.m[id] = k
				return k, nil
			}
		}
		return nil, fmt.Errorf("stream %s has no data key version %d", streamID, ver)
	}
}

// forget drops the cached keys of a stream incarnation.
func (c *keyCache) forget(streamID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, streamID+"/") {
			delete(c.m, k)
		}
	}
}

// NewDataKey makes a data key under the master key keyID, appends it to
// def.DataKeys and returns its version. Call it on the copy that Update's
// function gets, or on a definition before Create.
func (r *Registry[T]) NewDataKey(def *index.Stream, keyID string) (uint32, error) {
	dk, err := r.cfg.Keyring.GenerateDataKey(keyID)
	if err != nil {
		return 0, err
	}
	ver := uint32(len(def.DataKeys) + 1)
	def.DataKeys = append(def.DataKeys, index.DataKey{Version: ver, KeyID: dk.KeyID, Wrapped: dk.Wrapped, Created: r.cfg.Now().UTC()})
	return ver, nil
}

// Rewrap moves every data key that the master key keyID wraps, in every
// stream, onto that key's newest version (after the keyring rotated it);
// no record is rewritten. It returns how many data keys changed.
func (r *Registry[T]) Rewrap(ctx context.Context, keyID string) (int, error) {
	n := 0
	for _, s := range r.All() {
		_, err := s.Update(ctx, func(def *index.Stream) error {
			changed := 0
			for i, dk := range def.DataKeys {
				if dk.KeyID != keyID {
					continue
				}
				w, ok, err := r.cfg.Keyring.Rewrap(dk.Wrapped)
				if err != nil {
					return err
				}
				if ok {
					def.DataKeys[i].Wrapped = w
					changed++
				}
			}
			if changed == 0 {
				return ErrUnchanged
			}
			n += changed
			return nil
		})
		if err != nil && !errors.Is(err, ErrGone) {
			return n, fmt.Errorf("registry: rewrap the data keys of %s: %w", s.Def().Name, err)
		}
	}
	return n, nil
}
