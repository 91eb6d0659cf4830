package sts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The tests' Authenticate is a real SigV4 check (header form) built on the
// SDK's signer, as the server's is; its errors render as the server's do
// ("Type: message"), which is all this package reads of them.

type jsonAuthError struct{ typ, msg string }

func (e *jsonAuthError) Error() string { return e.typ + ": " + e.msg }

const testAccount = "123456789012"

// testEnv is a server with its handler, keys and clock.
type testEnv struct {
	srv    *httptest.Server
	sealer *Sealer
	keys   map[string]string

	mu  sync.Mutex
	now time.Time
}

func (e *testEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *testEnv) setClock(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

// Test keys: "allowed" is trusted by role reader; "other" by no role but
// chain's "*"; "denied" is refused by the policy check.
const (
	keyAllowed = "AKIDALLOWED000000001"
	keyOther   = "AKIDOTHER00000000002"
	keyDenied  = "AKIDDENIED0000000003"
)

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	e := &testEnv{
		sealer: mustSealer(t, testKey(7)),
		keys: map[string]string{
			keyAllowed: "secretallowed0000000000000000000000000001",
			keyOther:   "secretother000000000000000000000000000002",
			keyDenied:  "secretdenied00000000000000000000000000003",
		},
		now: time.Now().UTC().Truncate(time.Second),
	}
	h := New(Config{
		Sealer:  e.sealer,
		Account: testAccount,
		Roles: map[string]Role{
			"reader": {Trusted: []string{keyAllowed, keyDenied}, MaxSession: 2 * time.Hour},
			"chain":  {Trusted: []string{"*"}, MaxSession: 12 * time.Hour},
		},
		Authenticate: e.authenticate,
		Authorize: func(c Caller, action, resource string) error {
			if parentKey(c) == keyDenied {
				return errors.New("denied by policy")
			}
			return nil
		},
		Now:    e.clock,
		Logger: slog.New(slog.DiscardHandler),
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// authenticate checks the header form of SigV4 by signing a copy of the
// request (only its signed headers) with the SDK's signer.
func (e *testEnv) authenticate(r *http.Request, body []byte) (Caller, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return Caller{}, &jsonAuthError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	fields := map[string]string{}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return Caller{}, &jsonAuthError{"IncompleteSignatureException", "Unsupported signing algorithm"}
	}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return Caller{}, &jsonAuthError{"IncompleteSignatureException", "Authorization header is incomplete"}
	}
	keyID, region := scope[0], scope[2]
	caller := Caller{KeyID: keyID}
	var secret, token string
	if token = r.Header.Get("X-Amz-Security-Token"); token != "" {
		c, err := e.sealer.Open(token)
		if err != nil || c.AccessKeyID != keyID {
			return Caller{}, &jsonAuthError{"UnrecognizedClientException", "The security token included in the request is invalid."}
		}
		if !e.clock().Before(c.Expiration) {
			return Caller{}, &jsonAuthError{"ExpiredTokenException", "The security token included in the request is expired"}
		}
		secret, caller.Temporary = c.SecretAccessKey, &c
		caller.ARN = "arn:aws:iam::" + testAccount + ":user/" + c.ParentKeyID
		if c.Role != "" {
			caller.ARN = assumedRoleARN(testAccount, c.Role, c.SessionName)
		}
	} else {
		if secret, ok = e.keys[keyID]; !ok {
			return Caller{}, &jsonAuthError{"UnrecognizedClientException", "The security token included in the request is invalid."}
		}
		caller.ARN = "arn:aws:iam::" + testAccount + ":user/" + keyID
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return Caller{}, &jsonAuthError{"IncompleteSignatureException", "X-Amz-Date is missing or malformed"}
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	cp, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	cp.Header = http.Header{}
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	cp.ContentLength = 0
	if slices.Contains(signed, "content-length") {
		cp.ContentLength = int64(len(body))
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token},
		cp, hex.EncodeToString(sum[:]), "sts", region, when)
	if err != nil {
		return Caller{}, err
	}
	_, want, _ := strings.Cut(cp.Header.Get("Authorization"), "Signature=")
	if subtle.ConstantTimeCompare([]byte(want), []byte(fields["Signature"])) != 1 {
		return Caller{}, &jsonAuthError{"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return caller, nil
}

// rawCall signs and sends a Query request by hand (for what SDKs cannot
// send: unknown actions, the GET form); it returns the status and body.
func (e *testEnv) rawCall(t *testing.T, method, form, keyID string) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	url := e.srv.URL + "/"
	if method == http.MethodGet {
		url += "?" + form
		form = ""
	} else {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: e.keys[keyID]},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", e.clock()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}
