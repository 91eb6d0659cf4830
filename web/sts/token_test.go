package sts

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustSealer(t testing.TB, key []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleCredential() Credential {
	issued := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return Credential{
		AccessKeyID:     "ASIAABCDEFGHIJKLMNOP",
		SecretAccessKey: strings.Repeat("s", 40),
		Expiration:      issued.Add(time.Hour),
		Issued:          issued,
		ParentKeyID:     "AKIDPARENT",
		Role:            "reader",
		SessionName:     "app@example.com",
		SessionPolicy:   []byte(`{"Version":"2012-10-17","Statement":[]}`),
	}
}

func TestSealerRoundTrip(t *testing.T) {
	s := mustSealer(t, testKey(1))
	for _, c := range []Credential{sampleCredential(), {AccessKeyID: "ASIA", ParentKeyID: "K"}} {
		tok, err := s.Seal(c)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q is not unpadded base64url", tok)
		}
		got, err := s.Open(tok)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Expiration.Equal(c.Expiration) || !got.Issued.Equal(c.Issued) {
			t.Fatalf("times: got %v %v, want %v %v", got.Expiration, got.Issued, c.Expiration, c.Issued)
		}
		got.Expiration, got.Issued = c.Expiration, c.Issued
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip: got %+v, want %+v", got, c)
		}
	}
	// Two seals of one credential differ (fresh nonces).
	a, _ := s.Seal(sampleCredential())
	b, _ := s.Seal(sampleCredential())
	if a == b {
		t.Fatal("two tokens of one credential are equal")
	}
}

func TestSealerRefusesTampering(t *testing.T) {
	s := mustSealer(t, testKey(1))
	tok, err := s.Seal(sampleCredential())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tokenEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(what, bad string) {
		t.Helper()
		if _, err := s.Open(bad); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("%s: Open = %v, want ErrInvalidToken", what, err)
		}
	}
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			m := bytes.Clone(raw)
			m[i] ^= bit
			refuse("byte flipped", tokenEncoding.EncodeToString(m))
		}
	}
	for i := 0; i < len(tok); i++ {
		c := byte('A')
		if tok[i] == 'A' {
			c = 'B'
		}
		refuse("character changed", tok[:i]+string(c)+tok[i+1:])
		refuse("truncated", tok[:i])
	}
	refuse("extended", tok+"A")
	refuse("line break", tok[:10]+"\n"+tok[10:])
	refuse("padded", tok+"=")
	refuse("empty", "")
	other := bytes.Clone(raw)
	other[0] = tokenVersion + 1
	refuse("other version", tokenEncoding.EncodeToString(other))
	refuse("other key", func() string {
		tok, _ := mustSealer(t, testKey(2)).Seal(sampleCredential())
		return tok
	}())
}

func TestNewSealerKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Fatalf("NewSealer accepted a %d-byte key", n)
		}
	}
}
