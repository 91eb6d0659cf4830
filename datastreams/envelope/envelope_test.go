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
	c, err := NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	var g Nonces
	nonces := g.Append(nil, 2)
	n1, n2 := nonces[:NonceSize], nonces[NonceSize:]
	if bytes.Equal(n1, n2) || !bytes.Equal(n1[:8], n2[:8]) {
		t.Fatalf("nonces %x %x: want one prefix and distinct counters", n1, n2)
	}
	ct := c.Seal(nil, n1, []byte("hello"), []byte("aad"))
	if len(ct) != 5+Overhead {
		t.Fatalf("sealed length %d", len(ct))
	}
	if pt, err := c.Open(nil, n1, ct, []byte("aad")); err != nil || string(pt) != "hello" {
		t.Fatalf("open: %q %v", pt, err)
	}
	for _, bad := range []struct {
		nonce []byte
		aad   string
	}{{n2, "aad"}, {n1, "AAD"}} {
		if _, err := c.Open(nil, bad.nonce, ct, []byte(bad.aad)); err == nil {
			t.Fatalf("opened with nonce %x aad %q", bad.nonce, bad.aad)
		}
	}
	other, _ := NewCipher(bytes.Repeat([]byte{3}, 32))
	if _, err := other.Open(nil, n1, ct, []byte("aad")); err == nil {
		t.Fatal("another key opened the record")
	}
	if _, err := NewCipher(key[:16]); err == nil {
		t.Fatal("a 16-byte data key was accepted")
	}
	// In place, both ways.
	buf := make([]byte, 5, 5+Overhead)
	copy(buf, "world")
	sealed := c.Seal(buf[:0], n2, buf, nil)
	if opened, err := c.Open(sealed[:0], n2, sealed, nil); err != nil || string(opened) != "world" {
		t.Fatalf("in place: %q %v", opened, err)
	}
}

// TestNoncesNewPrefixAfterWrap: when the counter goes round, the prefix is
// drawn again, so no nonce repeats.
func TestNoncesNewPrefixAfterWrap(t *testing.T) {
	var g Nonces
	first := g.Append(nil, 1)
	g.ctr = 0 // as after 2^32 nonces
	again := g.Append(nil, 1)
	if bytes.Equal(first, again) {
		t.Fatalf("nonce %x repeated after the counter wrapped", first)
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
