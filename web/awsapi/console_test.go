package awsapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/web/iam"
)

// consoleRequest is a Kinesis call carrying a console cookie (and the CSRF
// header when csrf is not empty), as the console's scripts send it.
func consoleRequest(token, csrf, target string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"StreamName":"s"}`))
	r.Header.Set("X-Amz-Target", "Kinesis_20131202."+target)
	r.AddCookie(&http.Cookie{Name: ConsoleCookie, Value: token})
	if csrf != "" {
		r.Header.Set(ConsoleCSRFHeader, csrf)
	}
	r, _ = WithCall(r)
	return r
}

func loginRequest() *http.Request {
	r, _ := WithCall(httptest.NewRequest("POST", "/ui/api/login", nil))
	return r
}

func apiType(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Type
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// A console session is a credential of the key it logged in with: the
// key's policy decides its calls, a change needs the CSRF token, and the
// session ends at logout or after its lifetime.
func TestConsoleSessions(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	readOnly, err := iam.Parse([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:Describe*", "Resource": "*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := &Auth{Keys: map[string]Key{"ADMIN": {Secret: "s3cret"}, "READER": {Secret: "r3ader", Policy: readOnly}}, Now: func() time.Time { return now }}
	for _, bad := range [][2]string{{"ADMIN", "wrong"}, {"NOBODY", "s3cret"}, {"ADMIN", ""}, {"", ""}} {
		if _, _, _, err := a.ConsoleLogin(loginRequest(), bad[0], bad[1]); apiType(err) != "NotAuthorizedException" {
			t.Fatalf("login %q: %v", bad, err)
		}
	}
	// Each attempt is a call the audit log records.
	refused := loginRequest()
	a.ConsoleLogin(refused, "ADMIN", "wrong")
	if c := CallOf(refused); c.Action != ActionConsoleLogin || !c.Denied || c.Resource != "arn:aws:iam::000000000000:user/ADMIN" || c.Protocol != "console" {
		t.Fatalf("a refused login's call: %+v", c)
	}
	lr := loginRequest()
	token, csrf, expires, err := a.ConsoleLogin(lr, "ADMIN", "s3cret")
	if c := CallOf(lr); c.Action != ActionConsoleLogin || c.Denied || c.Identity == nil || c.Identity.KeyID != "ADMIN" {
		t.Fatalf("a login's call: %+v", c)
	}
	if err != nil || !expires.Equal(now.Add(ConsoleLifetime)) || len(token) != 64 || len(csrf) != 64 || token == csrf {
		t.Fatalf("login: %q %q %v %v", token, csrf, expires, err)
	}
	if err := a.Check(consoleRequest(token, csrf, "PutRecord"), nil); err != nil {
		t.Fatalf("a call with the cookie and token: %v", err)
	}
	if err := a.Check(consoleRequest(token, "", "PutRecord"), nil); apiType(err) != "AccessDeniedException" {
		t.Fatalf("without the CSRF token: %v", err)
	}
	if err := a.Check(consoleRequest(token, strings.Repeat("0", 64), "PutRecord"), nil); apiType(err) != "AccessDeniedException" {
		t.Fatalf("with another CSRF token: %v", err)
	}
	if err := a.Check(consoleRequest("not-a-session", csrf, "PutRecord"), nil); apiType(err) != "ExpiredTokenException" {
		t.Fatalf("an unknown cookie: %v", err)
	}
	if id, err := a.Authenticate(consoleRequest(token, csrf, "ListStreams"), nil); err != nil || id == nil || id.KeyID != "ADMIN" {
		t.Fatalf("Authenticate: %+v %v", id, err)
	}
	// A reader's session is held to the reader's policy.
	rtoken, rcsrf, _, err := a.ConsoleLogin(loginRequest(), "READER", "r3ader")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(consoleRequest(rtoken, rcsrf, "DescribeStream"), nil); err != nil {
		t.Fatalf("reader describes: %v", err)
	}
	if err := a.Check(consoleRequest(rtoken, rcsrf, "PutRecord"), nil); apiType(err) != "AccessDeniedException" {
		t.Fatalf("reader puts: %v", err)
	}
	// The plain URLs take the cookie too (GET needs no CSRF token), and a
	// refusal does not challenge the browser for Basic credentials.
	get := httptest.NewRequest("GET", "/hls/cam/index.m3u8", nil)
	get.AddCookie(&http.Cookie{Name: ConsoleCookie, Value: token})
	get, _ = WithCall(get)
	if id, ok := a.AllowReader(httptest.NewRecorder(), get, "cam", ""); !ok || id.KeyID != "ADMIN" {
		t.Fatalf("AllowReader with the cookie: %+v %v", id, ok)
	}
	post := httptest.NewRequest("POST", "/whep/cam", nil)
	post.AddCookie(&http.Cookie{Name: ConsoleCookie, Value: token})
	post, _ = WithCall(post)
	w := httptest.NewRecorder()
	if _, ok := a.Allow(w, post, ActionRead, "cam", ""); ok || w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("WHEP without the CSRF token: %v %d %q", ok, w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Logout ends the session; so does time.
	if err := a.ConsoleLogout(consoleRequest(token, "", "ListStreams")); apiType(err) != "AccessDeniedException" {
		t.Fatalf("a logout without the CSRF token: %v", err)
	}
	if err := a.ConsoleLogout(consoleRequest(token, csrf, "ListStreams")); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(consoleRequest(token, csrf, "ListStreams"), nil); apiType(err) != "ExpiredTokenException" {
		t.Fatalf("after logout: %v", err)
	}
	now = now.Add(ConsoleLifetime)
	if _, _, _, ok := a.ConsoleSession(consoleRequest(rtoken, rcsrf, "ListStreams")); ok {
		t.Fatal("a session outlived its lifetime")
	}
	// A signed request is not a console request, even with the cookie.
	r := consoleRequest(token, csrf, "ListStreams")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ADMIN/20261203/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
	if ConsoleRequest(r) || !ConsoleRequest(consoleRequest(token, csrf, "ListStreams")) {
		t.Fatal("ConsoleRequest")
	}
}

// With no credentials configured a login needs none, and the session's
// calls still need the CSRF token.
func TestConsoleSessionsOpen(t *testing.T) {
	a := &Auth{}
	token, csrf, _, err := a.ConsoleLogin(loginRequest(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(consoleRequest(token, csrf, "PutRecord"), nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(consoleRequest(token, "", "PutRecord"), nil); apiType(err) != "AccessDeniedException" {
		t.Fatalf("without the CSRF token: %v", err)
	}
}

// The sessions held are bounded: the oldest goes first.
func TestConsoleSessionsBounded(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	a := &Auth{Keys: map[string]Key{"K": {Secret: "s"}}, Now: func() time.Time { return now }}
	first, csrf, _, _ := a.ConsoleLogin(loginRequest(), "K", "s")
	for range maxConsoleSessions {
		now = now.Add(time.Millisecond)
		if _, _, _, err := a.ConsoleLogin(loginRequest(), "K", "s"); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.console.m) != maxConsoleSessions {
		t.Fatalf("%d sessions held", len(a.console.m))
	}
	if _, _, _, ok := a.ConsoleSession(consoleRequest(first, csrf, "ListStreams")); ok {
		t.Fatal("the oldest session was kept")
	}
}
