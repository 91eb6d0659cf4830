package envelope

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// SaltSize is the size of the per-segment salt given to NewCipher.
const SaltSize = 16

// Overhead is the number of bytes Seal adds to a plaintext.
const Overhead = 16

// Cipher seals records of one segment: AES-256-GCM under a subkey derived
// from the data key and the segment's salt, with the record's sequence
// number as the nonce. It is safe for concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher derives the segment subkey from dataKey and salt.
func NewCipher(dataKey, salt []byte) (*Cipher, error) {
	if len(dataKey) != keySize {
		return nil, fmt.Errorf("envelope: data key must be %d bytes, got %d", keySize, len(dataKey))
	}
	if len(salt) != SaltSize {
		return nil, fmt.Errorf("envelope: salt must be %d bytes, got %d", SaltSize, len(salt))
	}
	sub, err := hkdf.Key(sha256.New, dataKey, salt, "shardcast segment record key v1", keySize)
	if err != nil {
		return nil, fmt.Errorf("envelope: derive subkey: %w", err)
	}
	aead, err := newGCM(sub)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

func nonce(seq uint64) []byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[4:], seq)
	return n[:]
}

// Seal appends the sealed plaintext to dst. seq must be unique per Cipher.
func (c *Cipher) Seal(dst []byte, seq uint64, plaintext, aad []byte) []byte {
	return c.aead.Seal(dst, nonce(seq), plaintext, aad)
}

// Open appends the opened ciphertext to dst, or fails if it was altered.
func (c *Cipher) Open(dst []byte, seq uint64, ciphertext, aad []byte) ([]byte, error) {
	out, err := c.aead.Open(dst, nonce(seq), ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("envelope: open record %d: %w", seq, err)
	}
	return out, nil
}
