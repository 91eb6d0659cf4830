package envelope

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
)

// NonceSize is the size of a record nonce.
const NonceSize = 12

// Overhead is the number of bytes Seal adds to a plaintext.
const Overhead = 16

// Cipher seals records with one data key: AES-256-GCM keyed by the data key
// itself, with a nonce that the caller supplies and never repeats under the
// key (see Nonces). It is safe for concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher returns the record cipher of dataKey.
func NewCipher(dataKey []byte) (*Cipher, error) {
	if len(dataKey) != keySize {
		return nil, fmt.Errorf("envelope: data key must be %d bytes, got %d", keySize, len(dataKey))
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

// Seal appends the sealed plaintext to dst. plaintext may be dst's spare
// capacity exactly (plaintext[:0] as dst seals in place).
func (c *Cipher) Seal(dst, nonce, plaintext, aad []byte) []byte {
	return c.aead.Seal(dst, nonce, plaintext, aad)
}

// Open appends the opened ciphertext to dst (ciphertext[:0] opens in
// place), or fails if the ciphertext, nonce or aad was altered.
func (c *Cipher) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	out, err := c.aead.Open(dst, nonce, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("envelope: open record: %w", err)
	}
	return out, nil
}

// Nonces hands out GCM nonces for one writer: a random 8-byte prefix,
// chosen at the first nonce and again every 2^32 nonces, followed by a
// 4-byte counter. Nonces of one Nonces never repeat; two writers sharing a
// key repeat one only if they draw the same 64-bit prefix. It is safe for
// concurrent use; the zero value is ready.
type Nonces struct {
	mu     sync.Mutex
	prefix [8]byte
	ctr    uint32
}

// Append appends n nonces of NonceSize bytes each to dst.
func (g *Nonces) Append(dst []byte, n int) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	for range n {
		if g.ctr == 0 { // the first nonce, or the counter went round
			rand.Read(g.prefix[:]) // never fails (crypto/rand panics rather)
		}
		dst = append(dst, g.prefix[:]...)
		dst = binary.BigEndian.AppendUint32(dst, g.ctr)
		g.ctr++
	}
	return dst
}
