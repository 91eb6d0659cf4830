package sts

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzOpen: Open never panics, fails only with ErrInvalidToken, and accepts
// only the tokens Seal made with its key (the seeds), yielding what they
// sealed.
func FuzzOpen(f *testing.F) {
	s := mustSealer(f, testKey(3))
	made := map[string]Credential{}
	// Fixed nonces: every fuzzing process makes the same tokens.
	for i, c := range []Credential{sampleCredential(), {}, {AccessKeyID: "ASIAXXXXXXXXXXXXXXXX", SessionPolicy: []byte{}}} {
		nonce := make([]byte, s.aead.NonceSize())
		nonce[0] = byte(i)
		tok := s.seal(c, nonce)
		made[tok] = c
		f.Add(tok)
		f.Add(tok[:len(tok)/2])
		f.Add(tok + "A")
	}
	f.Add(mustSealer(f, testKey(4)).seal(sampleCredential(), make([]byte, 12)))
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", 100))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Open(tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Open error %v is not ErrInvalidToken", err)
			}
			return
		}
		want, ok := made[tok]
		if !ok {
			t.Fatalf("Open accepted a token Seal did not make: %q", tok)
		}
		if c.AccessKeyID != want.AccessKeyID || c.ParentKeyID != want.ParentKeyID || !c.Expiration.Equal(want.Expiration) {
			t.Fatalf("Open(%q) = %+v, want %+v", tok, c, want)
		}
	})
}

// FuzzQuery: the Query form parser and validators, and the handler behind
// them, never panic on any form, and answer either XML or an STS error.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader&RoleSessionName=s1",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader&RoleSessionName=s1&DurationSeconds=900&Policy=%7B%7D",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/a/b/reader&RoleSessionName=s&ExternalId=x",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:::::&RoleSessionName=%00&DurationSeconds=-1",
		"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=129600",
		"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=99999999999999999999",
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=AssumeRole&Version=2011-06-15&Tags.member.1.Key=k&PolicyArns.member.1.arn=x",
		"Action=%zz",
		"Action=AssumeRole&Action=GetCallerIdentity&Version=2011-06-15;x=y",
		"",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	s := mustSealer(f, testKey(5))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := New(Config{
		Sealer:  s,
		Account: testAccount,
		Roles:   map[string]Role{"reader": {Trusted: []string{"*"}, MaxSession: 12 * time.Hour}},
		Authenticate: func(r *http.Request, body []byte) (Caller, error) {
			return Caller{KeyID: "AKIDFUZZ", ARN: "arn:aws:iam::" + testAccount + ":user/AKIDFUZZ"}, nil
		},
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler),
	})
	f.Fuzz(func(t *testing.T, form string, get bool) {
		if p, err := url.ParseQuery(form); err == nil {
			parseAssumeRole(p)
			parseGetSessionToken(p)
		}
		var r *http.Request
		if get {
			r = httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL.RawQuery = form
		} else {
			r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q: status %d: %s", form, w.Code, w.Body)
		}
		if w.Code != 200 && !strings.Contains(w.Body.String(), "<ErrorResponse") {
			t.Fatalf("%q: status %d without an ErrorResponse: %s", form, w.Code, w.Body)
		}
	})
}
