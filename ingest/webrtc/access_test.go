package webrtc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/ingest"
)

func TestAccess(t *testing.T) {
	type call struct{ action, stream string }
	var calls []call
	fallback := func(w http.ResponseWriter, r *http.Request, action, stream string) bool {
		calls = append(calls, call{action, stream})
		if r.Header.Get("X-Test-Credentials") == "ok" {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="fallback"`)
		w.WriteHeader(http.StatusUnauthorized)
		return false
	}
	a := &Access{Token: "global", StreamTokens: map[string]string{"cam": "cam-secret", "blank": ""}, Fallback: fallback}
	for _, c := range []struct {
		name, stream, auth, creds string
		allow                     bool
		challenge                 string // the WWW-Authenticate of a refusal
		fallback                  bool   // the fallback decided
	}{
		{"global token", "other", "Bearer global", "", true, "", false},
		{"global token, scheme in lower case", "other", "bearer global", "", true, "", false},
		{"no token", "other", "", "", false, `Bearer realm="shardcast"`, false},
		{"wrong token", "other", "Bearer nope", "", false, `Bearer realm="shardcast", error="invalid_token"`, false},
		{"basic is not a bearer token", "other", "Basic Z2xvYmFsOg==", "ok", false, `Bearer realm="shardcast"`, false},
		{"stream token", "cam", "Bearer cam-secret", "", true, "", false},
		{"the global token on a stream with its own", "cam", "Bearer global", "", false, `Bearer realm="shardcast", error="invalid_token"`, false},
		{"credentials do not replace a token", "cam", "", "ok", false, `Bearer realm="shardcast"`, false},
		{"an empty stream token is the global one", "blank", "Bearer global", "", true, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls = nil
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/whip/"+c.stream, nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			r.Header.Set("X-Test-Credentials", c.creds)
			if got := a.Allow(w, r, ingest.ActionPublish, c.stream); got != c.allow {
				t.Fatalf("Allow = %v, want %v", got, c.allow)
			}
			if len(calls) > 0 {
				t.Errorf("the fallback decided (%v) with a token configured", calls)
			}
			if c.allow {
				if w.Code != http.StatusOK || w.Body.Len() > 0 {
					t.Errorf("an allowed request got an answer: %d %q", w.Code, w.Body.String())
				}
				return
			}
			if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != c.challenge {
				t.Errorf("refusal: %d WWW-Authenticate %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), c.challenge)
			}
			if !strings.Contains(w.Body.String(), "bearer token") {
				t.Errorf("refusal body %q does not say what is missing", w.Body.String())
			}
		})
	}

	// Without a token, the fallback decides, told the action and stream.
	open := &Access{Fallback: fallback}
	for _, creds := range []string{"ok", ""} {
		calls = nil
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/whep/cam", nil)
		r.Header.Set("X-Test-Credentials", creds)
		r.Header.Set("Authorization", "Bearer anything")
		got := open.Allow(w, r, ingest.ActionRead, "cam")
		if got != (creds == "ok") || len(calls) != 1 || calls[0] != (call{ingest.ActionRead, "cam"}) {
			t.Errorf("credentials %q: Allow = %v, fallback calls %v", creds, got, calls)
		}
		if !got && (w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Basic realm="fallback"`) {
			t.Errorf("the fallback's refusal was not kept: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// Neither a token nor a fallback: everyone.
	if !(&Access{}).Allow(httptest.NewRecorder(), httptest.NewRequest("POST", "/whip/x", nil), ingest.ActionPublish, "x") {
		t.Error("an Access with nothing configured refused")
	}
}
