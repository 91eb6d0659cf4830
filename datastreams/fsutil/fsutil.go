package fsutil

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that a crash leaves either the old
// or the new content: temporary file, fsync, rename, fsync of the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: fsync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that entries created or renamed in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// LoadOrCreateSecret returns the 32-byte secret kept in path, creating it
// (random, mode 0600, written atomically) when the file does not exist.
func LoadOrCreateSecret(path string) ([]byte, error) {
	return LoadOrCreateSecretSize(path, 32)
}

// LoadOrCreateSecretSize returns the secret of size bytes kept in path,
// creating it (random, mode 0600, written atomically) when the file does
// not exist or does not hold size bytes.
func LoadOrCreateSecretSize(path string, size int) ([]byte, error) {
	if size <= 0 {
		return nil, fmt.Errorf("secret %s: size %d", path, size)
	}
	b, err := os.ReadFile(path)
	if err == nil && len(b) == size {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b = make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	if err := WriteFileAtomic(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}
