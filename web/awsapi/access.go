package awsapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Actions that Authorize decides on, named as IAM names them.
const (
	// ActionPublish is sending media into a stream (RTSP ANNOUNCE/RECORD).
	ActionPublish = "kinesisvideo:PutMedia"
	// ActionRead is reading a stream's media outside the signed APIs: the
	// plain HLS URLs, the /play page, RTSP DESCRIBE.
	ActionRead = "kinesisvideo:GetMedia"
)

// errUnauthenticated is a request that needs credentials and brought
// none, or ones that did not verify.
var errUnauthenticated = errors.New("credentials required")

// Open reports whether no credentials are configured: then nothing is
// verified and every request is allowed.
func (a *Auth) Open() bool { return a == nil || len(a.Keys) == 0 }

// Secret returns the secret key of an access key id.
func (a *Auth) Secret(keyID string) (string, bool) {
	if a == nil {
		return "", false
	}
	s, ok := a.Keys[keyID]
	return s, ok && keyID != ""
}

// Authorize is the one place that decides whether who (an access key id
// its caller has verified, "" for an anonymous request) may do action
// (ActionPublish, ActionRead, or an API operation such as
// "kinesis:PutRecord") on resource (a stream name, or "*" when the request
// names none yet). Every protocol asks it: the signed APIs, RTSP and the
// plain HLS and player URLs. With no credentials configured everything is
// allowed; with credentials, anonymous requests are refused with
// errUnauthenticated and every configured key may do everything (per-key
// policies can grow here).
func (a *Auth) Authorize(who, action, resource string) error {
	if a.Open() {
		return nil
	}
	if _, ok := a.Secret(who); !ok {
		return fmt.Errorf("%s on %s: %w", action, resource, errUnauthenticated)
	}
	return nil
}

// apiAction names the operation of an API request for Authorize.
func apiAction(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return "kinesis:" + op
	}
	op := strings.TrimPrefix(r.URL.Path, "/")
	if op != "" && !strings.Contains(op, "/") {
		return "kinesisvideo:" + strings.ToUpper(op[:1]) + op[1:]
	}
	return "shardcast:" + r.Method + " " + r.URL.Path
}

// realm is the protection space named in WWW-Authenticate.
const realm = "shardcast"

// AllowReader lets a reader of resource through the URLs that are not
// signed API calls (plain HLS, the player page): with credentials
// configured it needs HTTP Basic (user the access key id, password the
// secret) or a SigV4 presigned query. A presigned query is verified over
// the request's path, or else over signedPath (a stream's playlist, whose
// presigned parameters its segments carry); only the query's X-Amz-*
// parameters are covered, so a player may add its own (hls.js adds
// _HLS_msn). When refused it has written a 401 with
// WWW-Authenticate: Basic and returns "", false; otherwise it returns the
// verified key id ("" when nothing is configured).
func (a *Auth) AllowReader(w http.ResponseWriter, r *http.Request, resource, signedPath string) (string, bool) {
	return a.Allow(w, r, ActionRead, resource, signedPath)
}

// readerIdentity verifies the credentials r carries: HTTP Basic, or a
// presigned query. No credentials at all is the anonymous "".
func (a *Auth) readerIdentity(r *http.Request, signedPath string) (string, error) {
	if id, secret, ok := r.BasicAuth(); ok {
		want, known := a.Secret(id)
		if !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
			return "", &APIError{Message: "The access key id or secret in the Basic credentials is not valid."}
		}
		return id, nil
	}
	if r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Algorithm") {
		who, err := a.verifyPresigned(r, r.URL.Path)
		if err != nil && signedPath != "" && (signedPath != r.URL.Path || r.Method != http.MethodGet) {
			// signedPath is a playlist, presigned for a GET: a request of
			// another path or method (WHEP's POST, PATCH and DELETE) that
			// carries its query is checked as that GET.
			get := r
			if r.Method != http.MethodGet {
				get = r.Clone(r.Context())
				get.Method = http.MethodGet
			}
			if w2, err2 := a.verifyPresigned(get, signedPath); err2 == nil {
				return w2, nil
			}
		}
		return who, err
	}
	return "", nil
}

// verifyPresigned checks a SigV4 presigned query (as `aws s3 presign` and
// the SDKs' PresignHTTP make them) over path, and returns its access key id.
func (a *Auth) verifyPresigned(r *http.Request, path string) (string, error) {
	q := r.URL.Query()
	bad := func(msg string) (string, error) { return "", &APIError{Message: msg} }
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return bad("The presigned URL needs X-Amz-Algorithm=AWS4-HMAC-SHA256.")
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return bad("The presigned URL's X-Amz-Credential is malformed.")
	}
	keyID, region, service := cred[0], cred[2], cred[3]
	secret, ok := a.Secret(keyID)
	if !ok {
		return bad("The presigned URL's access key id is not known.")
	}
	when, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return bad("The presigned URL's X-Amz-Date is malformed.")
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || expires > 604800 {
		return bad("The presigned URL's X-Amz-Expires must be 1 to 604800 seconds.")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	skew := a.MaxSkew
	if skew == 0 {
		skew = 15 * time.Minute
	}
	if t := now(); t.After(when.Add(time.Duration(expires)*time.Second)) || when.After(t.Add(skew)) {
		return bad("The presigned URL has expired.")
	}
	// Re-sign the same URL (the X-Amz-* parameters but the signature) with
	// the same headers, and compare.
	signed := url.Values{}
	for k, v := range q {
		if strings.HasPrefix(k, "X-Amz-") && k != "X-Amz-Signature" && k != "X-Amz-SignedHeaders" && k != "X-Amz-Credential" {
			signed[k] = v
		}
	}
	c, err := http.NewRequest(r.Method, "http://placeholder/", nil)
	if err != nil {
		return bad("The presigned URL's signature does not match.")
	}
	c.URL.Path, c.URL.RawQuery = path, signed.Encode()
	c.URL.Host, c.Host = r.Host, r.Host
	for _, name := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		if name != "host" && name != "" {
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: q.Get("X-Amz-Security-Token")}
	// Presigning tools hash no payload (S3's UNSIGNED-PAYLOAD) or an
	// empty one (the other services' signers).
	for _, payload := range []string{"UNSIGNED-PAYLOAD", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"} {
		cc := c.Clone(r.Context())
		u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }).
			PresignHTTP(r.Context(), creds, cc, payload, service, region, when)
		if err != nil {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(pu.Query().Get("X-Amz-Signature")), []byte(q.Get("X-Amz-Signature"))) == 1 {
			return keyID, nil
		}
	}
	return bad("The presigned URL's signature does not match: check the secret access key and sign the URL as it is requested.")
}

// PresignAlike returns path presigned with the same key, date and expiry
// as r's own presigned query, which has been verified (AllowReader): a
// page opened with a presigned URL can hand its player a URL of its own.
func (a *Auth) PresignAlike(r *http.Request, keyID, path string) (string, error) {
	q := r.URL.Query()
	when, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return "", fmt.Errorf("presign: %w", err)
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil {
		return "", fmt.Errorf("presign: %w", err)
	}
	return a.Presign(r, keyID, path, when, time.Duration(expires)*time.Second)
}

// Presign makes a presigned URL (path and query) of path on r's host with
// the key keyID, signed at when and valid for expires.
func (a *Auth) Presign(r *http.Request, keyID, path string, when time.Time, expires time.Duration) (string, error) {
	secret, ok := a.Secret(keyID)
	if !ok {
		return "", fmt.Errorf("presign: %w", errUnauthenticated)
	}
	c, err := http.NewRequest(http.MethodGet, "http://placeholder/", nil)
	if err != nil {
		return "", err
	}
	c.URL.Path, c.URL.RawQuery = path, "X-Amz-Expires="+strconv.Itoa(int(expires/time.Second))
	c.URL.Host, c.Host = r.Host, r.Host
	u, _, err := v4.NewSigner().PresignHTTP(r.Context(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		c, "UNSIGNED-PAYLOAD", "kinesisvideo", "us-east-1", when)
	if err != nil {
		return "", err
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return pu.RequestURI(), nil
}
