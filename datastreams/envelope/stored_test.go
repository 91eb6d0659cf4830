package envelope

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenStored(t *testing.T) {
	var blob []byte
	saves := 0
	load := func() ([]byte, error) { return blob, nil }
	save := func(b []byte) error { saves++; blob = append([]byte(nil), b...); return nil }
	k, err := OpenStored(load, save)
	if err != nil || saves != 1 {
		t.Fatalf("create: %v, %d saves", err, saves)
	}
	dk, err := k.GenerateDataKey(DefaultAlias)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateKey("alias/x"); err != nil || saves != 2 {
		t.Fatalf("create key: %v, %d saves", err, saves)
	}
	k2, err := OpenStored(load, save)
	if err != nil || saves != 2 {
		t.Fatalf("reopen: %v, %d saves", err, saves)
	}
	if p, _, err := k2.Decrypt(dk.Wrapped); err != nil || !bytes.Equal(p, dk.Plaintext) {
		t.Fatalf("reopened keyring cannot unwrap: %v", err)
	}
	// A failed save is reported and changes nothing.
	boom := errors.New("boom")
	k3, _ := OpenStored(load, func([]byte) error { return boom })
	if _, err := k3.CreateKey("alias/y"); !errors.Is(err, boom) {
		t.Fatalf("failed save: %v", err)
	}
	if _, err := k3.Resolve("alias/y"); err == nil {
		t.Fatal("a key whose save failed is kept")
	}
	// The first save losing a race: the keyring stored meanwhile wins.
	var raced []byte
	other, _ := OpenStored(func() ([]byte, error) { return nil, nil }, func(b []byte) error { raced = b; return nil })
	calls := 0
	k4, err := OpenStored(func() ([]byte, error) {
		calls++
		if calls == 1 {
			return nil, nil
		}
		return raced, nil
	}, func([]byte) error { return boom })
	if err != nil || k4.DefaultKeyID() != other.DefaultKeyID() {
		t.Fatalf("lost race: %v", err)
	}
}

// TestOpenFileEmptyIsAnError: an empty keyring file is reported, never
// replaced by a new keyring.
func TestOpenFileEmptyIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(p); err == nil {
		t.Fatal("an empty keyring file was accepted")
	}
	if b, _ := os.ReadFile(p); len(b) != 0 {
		t.Fatal("an empty keyring file was overwritten")
	}
}
