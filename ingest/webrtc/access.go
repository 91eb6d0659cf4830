package webrtc

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Access decides who may publish (WHIP) and read (WHEP), in one place.
// With a bearer token configured for the stream (StreamTokens), or else a
// global one (Token), a request must carry it (Authorization: Bearer);
// others get 401 with WWW-Authenticate: Bearer. Without a token the
// server's usual check (Fallback) decides; a nil Fallback lets everyone in.
type Access struct {
	Token        string
	StreamTokens map[string]string
	// Fallback decides when no token applies; when it refuses it has
	// written the answer (a 401 with its own challenge).
	Fallback func(w http.ResponseWriter, r *http.Request, action, stream string) bool
	// Known reports whether a bearer token is one the server's policy
	// check knows (a token with a policy): then Fallback decides for it,
	// even on a stream that one of the tokens above guards.
	Known func(token string) bool
}

// token is the bearer token that guards stream, "" for none.
func (a *Access) token(stream string) string {
	if t, ok := a.StreamTokens[stream]; ok && t != "" {
		return t
	}
	return a.Token
}

// Allow reports whether r may do action on stream; when not, the 401 has
// been written.
func (a *Access) Allow(w http.ResponseWriter, r *http.Request, action, stream string) bool {
	want := a.token(stream)
	if want == "" {
		if a.Fallback == nil {
			return true
		}
		return a.Fallback(w, r, action, stream)
	}
	got, ok := bearer(r)
	if ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		return true
	}
	if ok && a.Known != nil && a.Fallback != nil && a.Known(got) {
		return a.Fallback(w, r, action, stream)
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="shardcast"`)
	msg := "a bearer token is required (Authorization: Bearer <token>)"
	if ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shardcast", error="invalid_token"`)
		msg = "the bearer token is not valid for this stream"
	}
	httpError(w, http.StatusUnauthorized, msg)
	return false
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
