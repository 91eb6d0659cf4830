package envelope

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyringFileLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	k, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("keyring created with mode %v", st.Mode().Perm())
	}
	def := k.DefaultKeyID()
	for _, ref := range []string{def, DefaultAlias, "arn:aws:kms:us-east-1:000000000000:key/" + def, "arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesis"} {
		if id, err := k.Resolve(ref); err != nil || id != def {
			t.Fatalf("Resolve(%q) = %q, %v", ref, id, err)
		}
	}
	if _, err := k.Resolve("alias/nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("unknown alias: %v", err)
	}
	dk, err := k.GenerateDataKey(DefaultAlias)
	if err != nil || len(dk.Plaintext) != 32 || dk.KeyID != def || bytes.Contains(dk.Wrapped, dk.Plaintext) {
		t.Fatalf("data key: %+v %v", dk, err)
	}

	// Reopen: the same master key unwraps it.
	k2, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, id, err := k2.Decrypt(dk.Wrapped)
	if err != nil || id != def || !bytes.Equal(plain, dk.Plaintext) {
		t.Fatalf("decrypt after reopen: %v", err)
	}

	// Rotation: old wraps still open; Rewrap moves them to the new version.
	if v, err := k2.Rotate(DefaultAlias); err != nil || v != 2 {
		t.Fatalf("rotate: %d %v", v, err)
	}
	re, changed, err := k2.Rewrap(dk.Wrapped)
	if err != nil || !changed || bytes.Equal(re, dk.Wrapped) {
		t.Fatalf("rewrap: %v %v", changed, err)
	}
	if _, changed, _ := k2.Rewrap(re); changed {
		t.Fatal("rewrapping a current blob changed it")
	}
	k3, _ := OpenFile(path) // rotation persisted
	for _, w := range [][]byte{dk.Wrapped, re} {
		if p, _, err := k3.Decrypt(w); err != nil || !bytes.Equal(p, dk.Plaintext) {
			t.Fatalf("decrypt after rotation: %v", err)
		}
	}

	// More keys by alias.
	id2, err := k3.CreateKey("alias/video")
	if err != nil || id2 == def {
		t.Fatalf("create key: %v", err)
	}
	if _, err := k3.CreateKey("alias/video"); err == nil {
		t.Fatal("duplicate alias accepted")
	}
	if got, _ := k3.Resolve("alias/video"); got != id2 {
		t.Fatal("new alias does not resolve")
	}
}

func TestTamperedWrapIsRefused(t *testing.T) {
	k, _ := OpenFile(filepath.Join(t.TempDir(), "k.json"))
	dk, _ := k.GenerateDataKey(DefaultAlias)
	for i := range dk.Wrapped {
		bad := append([]byte(nil), dk.Wrapped...)
		bad[i] ^= 1
		if _, _, err := k.Decrypt(bad); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	other, _ := OpenFile(filepath.Join(t.TempDir(), "other.json"))
	if _, _, err := other.Decrypt(dk.Wrapped); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("another keyring's blob: %v", err)
	}
}

func TestStaticKeyring(t *testing.T) {
	material := bytes.Repeat([]byte{7}, 32)
	a, _ := NewStatic(material)
	b, _ := NewStatic(material)
	if a.DefaultKeyID() != b.DefaultKeyID() {
		t.Fatal("the same material must give the same key id")
	}
	dk, _ := a.GenerateDataKey(DefaultAlias)
	if p, _, err := b.Decrypt(dk.Wrapped); err != nil || !bytes.Equal(p, dk.Plaintext) {
		t.Fatalf("static keyrings with one key disagree: %v", err)
	}
	if _, err := a.Rotate(DefaultAlias); !errors.Is(err, ErrStatic) {
		t.Fatalf("rotate static: %v", err)
	}
	if _, err := NewStatic([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	for _, s := range []string{"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "0707070707070707070707070707070707070707070707070707070707070707"} {
		if k, err := ParseMasterKey(s); err != nil || !bytes.Equal(k, material) {
			t.Fatalf("ParseMasterKey(%s): %v", s, err)
		}
	}
}

func TestCipher(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	salt := bytes.Repeat([]byte{2}, SaltSize)
	c, err := NewCipher(key, salt)
	if err != nil {
		t.Fatal(err)
	}
	ct := c.Seal(nil, 42, []byte("hello"), []byte("hdr"))
	if len(ct) != 5+Overhead {
		t.Fatalf("sealed length %d", len(ct))
	}
	if pt, err := c.Open(nil, 42, ct, []byte("hdr")); err != nil || string(pt) != "hello" {
		t.Fatalf("open: %q %v", pt, err)
	}
	for _, bad := range []struct {
		seq uint64
		aad string
	}{{43, "hdr"}, {42, "HDR"}} {
		if _, err := c.Open(nil, bad.seq, ct, []byte(bad.aad)); err == nil {
			t.Fatalf("opened with seq %d aad %q", bad.seq, bad.aad)
		}
	}
	other, _ := NewCipher(key, bytes.Repeat([]byte{3}, SaltSize))
	if _, err := other.Open(nil, 42, ct, []byte("hdr")); err == nil {
		t.Fatal("another segment's salt opened the record")
	}
}

func FuzzDecrypt(f *testing.F) {
	k, _ := NewStatic(bytes.Repeat([]byte{9}, 32))
	dk, _ := k.GenerateDataKey(DefaultAlias)
	f.Add(dk.Wrapped)
	f.Add([]byte("SCK1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := k.Decrypt(b)
		if err == nil && !bytes.Equal(b, dk.Wrapped) && len(p) == 32 && bytes.Equal(p, dk.Plaintext) {
			// Only an authentic blob may open; a forgery would have failed GCM.
			t.Fatalf("forged blob opened")
		}
	})
}
