package datastreams

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// StartEncryption makes new records of the stream sealed with a data key
// under the master key keyRef (any KMS key reference form; alias/aws/kinesis
// is the default key).
func (e *Engine) StartEncryption(ref StreamRef, encType, keyRef string) error {
	if encType != EncryptionKMS {
		return errorf(registry.ErrInvalidArgument, "KMS is the only valid EncryptionType for this request.")
	}
	keyID, err := e.cfg.Keyring.Resolve(keyRef)
	if err != nil {
		return e.kmsNotFound(keyRef, err)
	}
	st, _, err := e.resolve(ref)
	if err != nil {
		return err
	}
	// AWS puts the stream in UPDATING while it changes the encryption.
	err = e.whileUpdating(context.Background(), st, func(m *index.Stream) error {
		if m.Encryption.Type == EncryptionKMS && m.Encryption.KeyVersion != 0 {
			if cur := m.DataKeys[len(m.DataKeys)-1]; cur.KeyID == keyID {
				m.Encryption.KeyID = keyRef
				return nil // same master key: keep the data key
			}
		}
		ver, err := e.reg.NewDataKey(m, keyID)
		if err != nil {
			return e.kmsNotFound(keyRef, err)
		}
		m.Encryption = index.Encryption{Type: EncryptionKMS, KeyID: keyRef, KeyVersion: ver}
		return nil
	}, func(context.Context) error {
		state := stateOf(st)
		for _, s := range state.shards {
			s.log.SetKey(state.meta.Encryption.KeyVersion)
		}
		return nil
	})
	if err != nil {
		return err
	}
	state := stateOf(st)
	e.cfg.Logger.Info("datastreams: encryption started", "stream", state.meta.Name, "key", keyRef, "data_key_version", state.meta.Encryption.KeyVersion)
	return nil
}

func (e *Engine) kmsNotFound(keyRef string, err error) error {
	if !errors.Is(err, envelope.ErrKeyNotFound) {
		return fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	if strings.HasPrefix(keyRef, "alias/") {
		return errorf(registry.ErrKMSNotFound, "Alias arn:aws:kms:%s:%s:%s is not found.", e.cfg.Region, e.cfg.Account, keyRef)
	}
	return errorf(registry.ErrKMSNotFound, "Key '%s' does not exist", keyRef)
}

// StopEncryption makes new records of the stream stored in plaintext.
// Records already sealed stay sealed and readable.
func (e *Engine) StopEncryption(ref StreamRef, encType, keyRef string) error {
	if encType != EncryptionKMS {
		return errorf(registry.ErrInvalidArgument, "KMS is the only valid EncryptionType for this request.")
	}
	if _, err := e.cfg.Keyring.Resolve(keyRef); err != nil {
		return e.kmsNotFound(keyRef, err)
	}
	st, _, err := e.resolve(ref)
	if err != nil {
		return err
	}
	err = e.whileUpdating(context.Background(), st, func(m *index.Stream) error {
		m.Encryption = index.Encryption{Type: EncryptionNone}
		return nil
	}, func(context.Context) error {
		for _, s := range stateOf(st).shards {
			s.log.SetKey(0)
		}
		return nil
	})
	if err != nil {
		return err
	}
	state := stateOf(st)
	e.cfg.Logger.Info("datastreams: encryption stopped", "stream", state.meta.Name)
	return nil
}

// RewrapDataKeys moves every data key that the master key keyRef wraps
// onto that key's newest version (after the keyring rotated it); no record
// is rewritten. It returns how many data keys changed.
func (e *Engine) RewrapDataKeys(keyRef string) (int, error) {
	keyID, err := e.cfg.Keyring.Resolve(keyRef)
	if err != nil {
		return 0, e.kmsNotFound(keyRef, err)
	}
	n, err := e.reg.Rewrap(context.Background(), keyID)
	if err != nil {
		return n, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return n, nil
}
