package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// DefaultAlias names the keyring's default master key, as AWS names the
// Kinesis-managed key; DefaultVideoAlias, the Kinesis Video Streams one,
// names the same key unless a key takes that alias itself.
const (
	DefaultAlias      = "alias/aws/kinesis"
	DefaultVideoAlias = "alias/aws/kinesisvideo"
)

// Errors returned by the keyring; check them with errors.Is.
var (
	ErrKeyNotFound   = errors.New("envelope: master key not found")
	ErrBadCiphertext = errors.New("envelope: wrapped key is malformed or was not made by this keyring")
	ErrStatic        = errors.New("envelope: keyring is static (master key given by configuration)")
)

const (
	keySize      = 32
	wrapMagic    = "SCK1"
	keyringVer   = 1
	wrappedLen   = 4 + 1 + 16 + 4 + 12 + keySize + 16 // magic, idlen marker, id, version, nonce, key, tag
	keyringPerms = 0o600
)

// DataKey is a freshly generated data key: Plaintext stays in memory,
// Wrapped is what gets stored.
type DataKey struct {
	KeyID     string // canonical id of the master key that wrapped it
	Plaintext []byte
	Wrapped   []byte
}

// Keyring holds master keys. It is safe for concurrent use.
type Keyring struct {
	name string             // where it is kept, for messages
	save func([]byte) error // persists the keyring; nil for a static keyring

	mu   sync.RWMutex
	file keyringFile
}

type keyringFile struct {
	Version int          `json:"version"`
	Default string       `json:"default"`
	Keys    []*masterKey `json:"keys"`
}

type masterKey struct {
	ID       string       `json:"id"`
	Aliases  []string     `json:"aliases,omitempty"`
	Created  time.Time    `json:"created"`
	Versions []keyVersion `json:"versions"`
}

type keyVersion struct {
	Version  uint32    `json:"version"`
	Created  time.Time `json:"created"`
	Material []byte    `json:"material"` // base64 in JSON
}

// OpenFile opens the keyring at path, creating it with one default master key
// (aliased DefaultAlias) when it does not exist yet.
func OpenFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	exists := true
	switch {
	case errors.Is(err, os.ErrNotExist):
		exists = false
	case err != nil:
		return nil, fmt.Errorf("envelope: read keyring: %w", err)
	}
	save := func(b []byte) error { return fsutil.WriteFileAtomic(path, b, keyringPerms) }
	return openBlob(path, b, exists, save)
}

// OpenStored opens a keyring kept by the caller as one blob: load returns
// it (nil or empty when none is stored yet) and save replaces it. A
// keyring that does not exist yet is created with one default master key
// (aliased DefaultAlias) and saved. When that first save fails (another
// server saved one first), the keyring is loaded once more and the stored
// one wins.
func OpenStored(load func() ([]byte, error), save func([]byte) error) (*Keyring, error) {
	b, err := load()
	if err != nil {
		return nil, fmt.Errorf("envelope: load keyring: %w", err)
	}
	wrapped := func(b []byte) error {
		if err := save(b); err != nil {
			return fmt.Errorf("envelope: save keyring: %w", err)
		}
		return nil
	}
	k, err := openBlob("(stored)", b, len(b) != 0, wrapped)
	if err == nil || len(b) != 0 {
		return k, err
	}
	if b, lerr := load(); lerr == nil && len(b) != 0 {
		return openBlob("(stored)", b, true, wrapped)
	}
	return nil, err
}

// openBlob parses a keyring blob, or creates and saves a new keyring when
// none exists yet. name says where it is kept.
func openBlob(name string, b []byte, exists bool, save func([]byte) error) (*Keyring, error) {
	k := &Keyring{name: name, save: save}
	if !exists {
		mk, err := newMasterKey(nil)
		if err != nil {
			return nil, err
		}
		mk.Aliases = []string{DefaultAlias}
		k.file = keyringFile{Version: keyringVer, Default: mk.ID, Keys: []*masterKey{mk}}
		if err := k.saveLocked(); err != nil {
			return nil, err
		}
		return k, nil
	}
	if err := json.Unmarshal(b, &k.file); err != nil {
		return nil, fmt.Errorf("envelope: parse keyring %s: %w", name, err)
	}
	if k.file.Version != keyringVer {
		return nil, fmt.Errorf("envelope: keyring %s has version %d, want %d", name, k.file.Version, keyringVer)
	}
	if k.find(k.file.Default) == nil {
		return nil, fmt.Errorf("envelope: keyring %s: default key %q missing", name, k.file.Default)
	}
	for _, mk := range k.file.Keys {
		if len(mk.Versions) == 0 {
			return nil, fmt.Errorf("envelope: keyring %s: key %s has no versions", name, mk.ID)
		}
		for _, v := range mk.Versions {
			if len(v.Material) != keySize {
				return nil, fmt.Errorf("envelope: keyring %s: key %s version %d is %d bytes, want %d", name, mk.ID, v.Version, len(v.Material), keySize)
			}
		}
	}
	return k, nil
}

// NewStatic returns an in-memory keyring whose only (default) master key is
// material, a 32-byte key. Its id is derived from the material so wrapped
// keys stay valid across restarts that supply the same material.
func NewStatic(material []byte) (*Keyring, error) {
	if len(material) != keySize {
		return nil, fmt.Errorf("envelope: master key must be %d bytes, got %d", keySize, len(material))
	}
	sum := sha256.Sum256(append([]byte("shardcast master key id\x00"), material...))
	mk := &masterKey{
		ID:       formatUUID(sum[:16]),
		Aliases:  []string{DefaultAlias},
		Created:  time.Unix(0, 0).UTC(),
		Versions: []keyVersion{{Version: 1, Created: time.Unix(0, 0).UTC(), Material: append([]byte(nil), material...)}},
	}
	return &Keyring{file: keyringFile{Version: keyringVer, Default: mk.ID, Keys: []*masterKey{mk}}}, nil
}

// ParseMasterKey decodes a master key given as base64 or hex text.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == keySize {
		return b, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == keySize {
		return b, nil
	}
	return nil, fmt.Errorf("envelope: master key must be %d bytes as base64 or hex", keySize)
}

// DefaultKeyID is the canonical id of the default master key.
func (k *Keyring) DefaultKeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.file.Default
}

// Resolve maps a key reference to a canonical master key id. It accepts the
// forms KMS accepts: a key id, an alias name ("alias/x"), and key or alias
// ARNs ("arn:aws:kms:region:account:key/id", "...:alias/x").
func (k *Keyring) Resolve(ref string) (string, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	mk := k.resolveLocked(ref)
	if mk == nil {
		return "", fmt.Errorf("%w: %s", ErrKeyNotFound, ref)
	}
	return mk.ID, nil
}

// CreateKey adds a master key with the given aliases and returns its id.
func (k *Keyring) CreateKey(aliases ...string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.save == nil {
		return "", ErrStatic
	}
	for _, a := range aliases {
		if !strings.HasPrefix(a, "alias/") {
			return "", fmt.Errorf("envelope: alias %q must start with alias/", a)
		}
		if k.resolveLocked(a) != nil {
			return "", fmt.Errorf("envelope: alias %q already exists", a)
		}
	}
	mk, err := newMasterKey(aliases)
	if err != nil {
		return "", err
	}
	k.file.Keys = append(k.file.Keys, mk)
	if err := k.saveLocked(); err != nil {
		k.file.Keys = k.file.Keys[:len(k.file.Keys)-1]
		return "", err
	}
	return mk.ID, nil
}

// GenerateDataKey makes a new random data key wrapped by the newest version
// of the master key named by ref.
func (k *Keyring) GenerateDataKey(ref string) (DataKey, error) {
	plain := make([]byte, keySize)
	if _, err := rand.Read(plain); err != nil {
		return DataKey{}, fmt.Errorf("envelope: random data key: %w", err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	mk := k.resolveLocked(ref)
	if mk == nil {
		return DataKey{}, fmt.Errorf("%w: %s", ErrKeyNotFound, ref)
	}
	wrapped, err := wrap(mk, plain)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{KeyID: mk.ID, Plaintext: plain, Wrapped: wrapped}, nil
}

// Decrypt unwraps a data key and reports which master key wrapped it.
func (k *Keyring) Decrypt(wrapped []byte) (plaintext []byte, keyID string, err error) {
	id, ver, err := parseWrapped(wrapped)
	if err != nil {
		return nil, "", err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	mk := k.find(id)
	if mk == nil {
		return nil, "", fmt.Errorf("%w: %s", ErrKeyNotFound, id)
	}
	for _, v := range mk.Versions {
		if v.Version == ver {
			plain, err := unwrap(v.Material, wrapped)
			return plain, id, err
		}
	}
	return nil, "", fmt.Errorf("%w: %s version %d", ErrKeyNotFound, id, ver)
}

// Rotate adds a new version of the master key named by ref; new wraps use it.
// Existing wrapped keys keep working; Rewrap moves them to the new version.
func (k *Keyring) Rotate(ref string) (version uint32, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.save == nil {
		return 0, ErrStatic
	}
	mk := k.resolveLocked(ref)
	if mk == nil {
		return 0, fmt.Errorf("%w: %s", ErrKeyNotFound, ref)
	}
	material := make([]byte, keySize)
	if _, err := rand.Read(material); err != nil {
		return 0, fmt.Errorf("envelope: random master key: %w", err)
	}
	next := mk.Versions[len(mk.Versions)-1].Version + 1
	mk.Versions = append(mk.Versions, keyVersion{Version: next, Created: time.Now().UTC(), Material: material})
	if err := k.saveLocked(); err != nil {
		mk.Versions = mk.Versions[:len(mk.Versions)-1]
		return 0, err
	}
	return next, nil
}

// Rewrap unwraps a data key and wraps it again with the newest version of the
// same master key. It reports whether anything changed.
func (k *Keyring) Rewrap(wrapped []byte) ([]byte, bool, error) {
	plain, id, err := k.Decrypt(wrapped)
	if err != nil {
		return nil, false, err
	}
	_, ver, _ := parseWrapped(wrapped)
	k.mu.RLock()
	defer k.mu.RUnlock()
	mk := k.find(id)
	if mk.Versions[len(mk.Versions)-1].Version == ver {
		return wrapped, false, nil
	}
	out, err := wrap(mk, plain)
	return out, err == nil, err
}

func (k *Keyring) find(id string) *masterKey {
	for _, mk := range k.file.Keys {
		if mk.ID == id {
			return mk
		}
	}
	return nil
}

func (k *Keyring) resolveLocked(ref string) *masterKey {
	if strings.HasPrefix(ref, "arn:") {
		// arn:partition:kms:region:account:key/id or ...:alias/name
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil
		}
		ref = parts[5]
		ref = strings.TrimPrefix(ref, "key/")
	}
	if ref == "aws/kinesisvideo" || ref == "aws/kinesis" {
		ref = "alias/" + ref // how KVS names its default key
	}
	if strings.HasPrefix(ref, "alias/") {
		for _, mk := range k.file.Keys {
			for _, a := range mk.Aliases {
				if a == ref {
					return mk
				}
			}
		}
		if ref == DefaultVideoAlias {
			return k.find(k.file.Default)
		}
		return nil
	}
	return k.find(ref)
}

// saveLocked hands the whole keyring to its store (for a file: tmp file,
// fsync, rename, fsync dir).
func (k *Keyring) saveLocked() error {
	b, err := json.MarshalIndent(&k.file, "", "  ")
	if err != nil {
		return fmt.Errorf("envelope: encode keyring: %w", err)
	}
	return k.save(b)
}

func newMasterKey(aliases []string) (*masterKey, error) {
	var id [16]byte
	material := make([]byte, keySize)
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("envelope: random key id: %w", err)
	}
	if _, err := rand.Read(material); err != nil {
		return nil, fmt.Errorf("envelope: random master key: %w", err)
	}
	now := time.Now().UTC()
	return &masterKey{
		ID:       formatUUID(id[:]),
		Aliases:  aliases,
		Created:  now,
		Versions: []keyVersion{{Version: 1, Created: now, Material: material}},
	}, nil
}

// formatUUID renders 16 bytes as a version-4 style UUID string.
func formatUUID(b []byte) string {
	u := make([]byte, 16)
	copy(u, b)
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func parseUUID(s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, false
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	return b, err == nil
}

// Wrapped layout: "SCK1" | 0x10 | key id (16 bytes) | version u32 | nonce (12) | GCM(data key) (48).
// The header is the GCM additional data, so a blob cannot be moved to another key.
func wrap(mk *masterKey, plain []byte) ([]byte, error) {
	id, ok := parseUUID(mk.ID)
	if !ok {
		return nil, fmt.Errorf("envelope: master key id %q is not a UUID", mk.ID)
	}
	v := mk.Versions[len(mk.Versions)-1]
	out := make([]byte, 0, wrappedLen)
	out = append(out, wrapMagic...)
	out = append(out, 16)
	out = append(out, id...)
	out = binary.BigEndian.AppendUint32(out, v.Version)
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("envelope: random nonce: %w", err)
	}
	aead, err := newGCM(v.Material)
	if err != nil {
		return nil, err
	}
	hdr := out
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, hdr), nil
}

func unwrap(material, wrapped []byte) ([]byte, error) {
	aead, err := newGCM(material)
	if err != nil {
		return nil, err
	}
	hdr := wrapped[:4+1+16+4]
	nonce := wrapped[len(hdr) : len(hdr)+12]
	plain, err := aead.Open(nil, nonce, wrapped[len(hdr)+12:], hdr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCiphertext, err)
	}
	return plain, nil
}

func parseWrapped(w []byte) (id string, version uint32, err error) {
	if len(w) != wrappedLen || string(w[:4]) != wrapMagic || w[4] != 16 {
		return "", 0, ErrBadCiphertext
	}
	return formatUUID(w[5:21]), binary.BigEndian.Uint32(w[21:25]), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return aead, nil
}
