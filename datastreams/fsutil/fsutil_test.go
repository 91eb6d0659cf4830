package fsutil

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileAtomic replaces a file whole, with its mode, and leaves no
// temporary file behind.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stream.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Fatalf("content %q, want %q", b, content)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Fatalf("%d files in the directory, want only the target", len(des))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// TestLoadOrCreateSecret makes a secret once and returns the same one later.
func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "playback.key")
	a, err := LoadOrCreateSecret(path)
	if err != nil || len(a) != 32 {
		t.Fatalf("%d bytes, %v", len(a), err)
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second load differs: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
}

// TestLoadOrCreateSecretSize keeps a secret of the size asked for, and
// makes a new one when the file holds another size.
func TestLoadOrCreateSecretSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.key")
	a, err := LoadOrCreateSecretSize(path, 48)
	if err != nil || len(a) != 48 || bytes.Equal(a, make([]byte, 48)) {
		t.Fatalf("%x, %v", a, err)
	}
	if b, err := LoadOrCreateSecretSize(path, 48); err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second load differs: %v", err)
	}
	if b, err := LoadOrCreateSecretSize(path, 16); err != nil || len(b) != 16 {
		t.Fatalf("another size: %d bytes, %v", len(b), err)
	}
	if _, err := LoadOrCreateSecretSize(path, 0); err == nil {
		t.Fatal("a secret of 0 bytes was made")
	}
	if _, err := LoadOrCreateSecretSize(filepath.Join(path, "under-a-file"), 32); err == nil {
		t.Fatal("a secret under a file was made")
	}
}

// TestWriteFileAtomicKeepsOldContent: a write that fails (here, into a
// directory that cannot be written) leaves the old content and no
// temporary file.
func TestWriteFileAtomicKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stream.json")
	if err := WriteFileAtomic(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory in place of the target: the rename fails after the
	// temporary file was written.
	target := filepath.Join(dir, "busy")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(target, []byte("new"), 0o644); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("content %q", b)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 2 {
		t.Fatalf("%d entries, want the file and the directory: a temporary file is left", len(des))
	}
}

// TestSyncDir fsyncs a directory and names one that does not exist.
func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	if err := SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	if err := SyncDir(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("sync of a missing directory: %v", err)
	}
}
