package sts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Credential is what a session token carries, sealed: everything needed to
// verify a request signed with it.
type Credential struct {
	AccessKeyID     string // "ASIA" + 16 characters [A-Z2-7]
	SecretAccessKey string // 40 characters
	Expiration      time.Time
	Issued          time.Time
	// ParentKeyID is the long-term access key id that asked for the
	// credential; through a chain of roles, the first one.
	ParentKeyID string
	// Role is the role name for AssumeRole; "" for GetSessionToken.
	Role string
	// SessionName is the RoleSessionName ("" for GetSessionToken).
	SessionName string
	// SessionPolicy is the Policy parameter, raw JSON; nil when none.
	SessionPolicy []byte
}

// ErrInvalidToken is the error (wrapped) of Open for anything Seal did not
// make with the same key.
var ErrInvalidToken = errors.New("sts: invalid session token")

// tokenVersion is the first byte of every token; Open refuses others.
const tokenVersion byte = 1

// tokenEncoding is the alphabet of tokens. Strict: the unused low bits of
// the last character must be zero, so one token has exactly one spelling.
var tokenEncoding = base64.RawURLEncoding.Strict()

// maxTokenLen bounds what Open decodes (a token holds at most a 2048-byte
// policy and short strings).
const maxTokenLen = 8 << 10

// Sealer seals credentials into session tokens and opens them again with
// AES-256-GCM. A token is URL-safe base64 (no padding) of a version byte, a
// random nonce and the sealed credential; the version byte is also
// authenticated. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("sts: session token key has %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sts: session token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sts: session token key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns the session token that carries c.
func (s *Sealer) Seal(c Credential) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sts: nonce: %w", err)
	}
	return s.seal(c, nonce), nil
}

// seal seals c with a given nonce (never reused with one key: Seal draws a
// random one each time).
func (s *Sealer) seal(c Credential, nonce []byte) string {
	plain := encodeCredential(c)
	out := make([]byte, 0, 1+len(nonce)+len(plain)+s.aead.Overhead())
	out = append(out, tokenVersion)
	out = append(out, nonce...)
	out = s.aead.Seal(out, nonce, plain, out[:1])
	return tokenEncoding.EncodeToString(out)
}

// Open returns the credential token carries. Anything altered, truncated,
// of another version or sealed with another key fails with ErrInvalidToken
// (wrapped). Open does not look at Expiration: the caller does.
func (s *Sealer) Open(token string) (Credential, error) {
	if len(token) > maxTokenLen {
		return Credential{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	raw, err := tokenEncoding.DecodeString(token)
	// The decoder skips line breaks; a token has one spelling only.
	if err != nil || tokenEncoding.EncodedLen(len(raw)) != len(token) {
		return Credential{}, fmt.Errorf("%w: not base64url", ErrInvalidToken)
	}
	ns := s.aead.NonceSize()
	if len(raw) < 1+ns+s.aead.Overhead() {
		return Credential{}, fmt.Errorf("%w: truncated", ErrInvalidToken)
	}
	if raw[0] != tokenVersion {
		return Credential{}, fmt.Errorf("%w: version %d", ErrInvalidToken, raw[0])
	}
	plain, err := s.aead.Open(nil, raw[1:1+ns], raw[1+ns:], raw[:1])
	if err != nil {
		return Credential{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c, err := decodeCredential(plain)
	if err != nil {
		return Credential{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return c, nil
}

// The sealed form of a Credential: strings and the policy as uvarint length
// and bytes, times as varint Unix seconds and uvarint nanoseconds, in
// field order. A flag byte says whether SessionPolicy is nil.
func encodeCredential(c Credential) []byte {
	b := make([]byte, 0, 128+len(c.SessionPolicy))
	b = appendString(b, c.AccessKeyID)
	b = appendString(b, c.SecretAccessKey)
	b = appendTime(b, c.Expiration)
	b = appendTime(b, c.Issued)
	b = appendString(b, c.ParentKeyID)
	b = appendString(b, c.Role)
	b = appendString(b, c.SessionName)
	if c.SessionPolicy == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(c.SessionPolicy)))
	return append(b, c.SessionPolicy...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

var errCorrupt = errors.New("corrupt credential")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return v
}

func (d *decoder) string() string {
	if d.err != nil {
		return ""
	}
	return string(d.bytes())
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	sec, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = d.b[k:]
	nsec, k := binary.Uvarint(d.b)
	if k <= 0 || nsec >= 1e9 {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = d.b[k:]
	return time.Unix(sec, int64(nsec)).UTC()
}

func decodeCredential(b []byte) (Credential, error) {
	d := &decoder{b: b}
	var c Credential
	c.AccessKeyID = d.string()
	c.SecretAccessKey = d.string()
	c.Expiration = d.time()
	c.Issued = d.time()
	c.ParentKeyID = d.string()
	c.Role = d.string()
	c.SessionName = d.string()
	if d.err != nil || len(d.b) == 0 {
		return Credential{}, errCorrupt
	}
	flag := d.b[0]
	d.b = d.b[1:]
	switch flag {
	case 0:
	case 1:
		c.SessionPolicy = append([]byte{}, d.bytes()...)
	default:
		return Credential{}, errCorrupt
	}
	if d.err != nil || len(d.b) != 0 {
		return Credential{}, errCorrupt
	}
	return c, nil
}
