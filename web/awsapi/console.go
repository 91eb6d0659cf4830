package awsapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// Console sessions are how the web UI calls the same APIs as the SDKs: a
// login with a configured access key id and its secret opens one; the
// browser holds its token in an HttpOnly, SameSite=Strict cookie
// (ConsoleCookie) and sends it with every request, and the one check takes
// it as a credential of that key: the key's policy decides each call, as
// it does for a signed request. A request that changes anything (any
// method but GET and HEAD) must also carry the session's CSRF token in
// ConsoleCSRFHeader; the token is given only in the login's answer (and
// ConsoleSession's), which a page of another origin cannot read, and a
// custom header cannot be sent across origins with cookies without a
// credentialed CORS preflight, which the server never grants.
const (
	ConsoleCookie     = "shardcast_session"
	ConsoleCSRFHeader = "X-Shardcast-Csrf"
	// ConsoleLifetime is how long a console session lasts from its login.
	ConsoleLifetime = 12 * time.Hour
	// ActionConsoleLogin is a console login in the audit log.
	ActionConsoleLogin = "shardcast:ConsoleLogin"
	// maxConsoleSessions bounds the sessions held; the oldest goes first.
	maxConsoleSessions = 1024
)

// consoleSession is one logged-in browser.
type consoleSession struct {
	id      *Identity // nil when no credentials are configured (Open)
	keyID   string
	csrf    string
	expires time.Time
}

// consoleSessions are held in memory: a restart logs everyone out.
type consoleSessions struct {
	mu sync.Mutex
	m  map[[32]byte]*consoleSession // by the SHA-256 of the cookie's token
}

var (
	errConsoleLogin   = &APIError{Type: "NotAuthorizedException", Status: http.StatusUnauthorized, Message: "The access key id or secret access key is not valid."}
	errConsoleExpired = &APIError{Type: "ExpiredTokenException", Status: http.StatusUnauthorized, Message: "The console session has expired or was closed: log in again."}
	errConsoleCSRF    = &APIError{Type: "AccessDeniedException", Status: http.StatusForbidden, Message: "A console session's request that changes something needs the session's " + ConsoleCSRFHeader + " header."}
)

// ConsoleLogin opens a console session for a long-term access key whose
// secret is given (anything is accepted when no credentials are
// configured): it returns the cookie's token, the CSRF token and when the
// session ends. The attempt is r's call, "shardcast:ConsoleLogin" on the
// key's ARN, for the audit log: refused or not.
func (a *Auth) ConsoleLogin(r *http.Request, keyID, secret string) (token, csrf string, expires time.Time, err error) {
	var id *Identity
	if !a.Open() {
		want, known := a.Secret(keyID)
		// Compared even when the key is unknown, so that timing does not
		// tell which key ids exist.
		ok := subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1 && known
		if !ok || secret == "" {
			record(r, nil, "console", ActionConsoleLogin, a.userARN(keyID), true)
			return "", "", time.Time{}, errConsoleLogin
		}
		id = a.keyIdentity(keyID)
		record(r, id, "console", ActionConsoleLogin, id.ARN, false)
	} else {
		keyID = ""
		record(r, nil, "console", ActionConsoleLogin, "*", false)
	}
	token, csrf = randomToken(), randomToken()
	expires = a.now().Add(ConsoleLifetime)
	s := &a.console
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[32]byte]*consoleSession{}
	}
	now := a.now()
	for k, v := range s.m {
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
	for len(s.m) >= maxConsoleSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.m {
			if at.IsZero() || v.expires.Before(at) {
				oldest, at = k, v.expires
			}
		}
		delete(s.m, oldest)
	}
	s.m[sha256.Sum256([]byte(token))] = &consoleSession{id: id, keyID: keyID, csrf: csrf, expires: expires}
	return token, csrf, expires, nil
}

// ConsoleLogout ends the console session r's cookie names, if any. Ending
// a live session is a change: it needs the session's CSRF token, as every
// other change does.
func (a *Auth) ConsoleLogout(r *http.Request) error {
	c, err := r.Cookie(ConsoleCookie)
	if err != nil || a.consoleSession(r) == nil {
		return nil // nothing to end
	}
	if _, err := a.consoleIdentity(r); err != nil {
		return err
	}
	a.console.mu.Lock()
	delete(a.console.m, sha256.Sum256([]byte(c.Value)))
	a.console.mu.Unlock()
	return nil
}

// ConsoleSession reports the live console session r's cookie names: the
// access key id it was opened with ("" when no credentials are
// configured), its CSRF token and its end.
func (a *Auth) ConsoleSession(r *http.Request) (keyID, csrf string, expires time.Time, ok bool) {
	s := a.consoleSession(r)
	if s == nil {
		return "", "", time.Time{}, false
	}
	return s.keyID, s.csrf, s.expires, true
}

// consoleSession is the live session of r's cookie, nil when there is none.
func (a *Auth) consoleSession(r *http.Request) *consoleSession {
	c, err := r.Cookie(ConsoleCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
	a.console.mu.Lock()
	defer a.console.mu.Unlock()
	s := a.console.m[key]
	if s == nil {
		return nil
	}
	if !a.now().Before(s.expires) {
		delete(a.console.m, key)
		return nil
	}
	return s
}

// hasConsoleCookie reports whether r carries a console cookie at all.
func hasConsoleCookie(r *http.Request) bool {
	c, err := r.Cookie(ConsoleCookie)
	return err == nil && c.Value != ""
}

// consoleIdentity is who r's console cookie logged in as: an error when
// the session is not live, or when r changes something without the
// session's CSRF token.
func (a *Auth) consoleIdentity(r *http.Request) (*Identity, error) {
	s := a.consoleSession(r)
	if s == nil {
		return nil, errConsoleExpired
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get(ConsoleCSRFHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
			return nil, errConsoleCSRF
		}
	}
	return s.id, nil
}

// ConsoleRequest reports whether r is authenticated by a console cookie
// (and not by a signature, a presigned query or Basic credentials).
func ConsoleRequest(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Signature") || q.Has("X-Amz-Algorithm") {
		return false
	}
	return hasConsoleCookie(r)
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
