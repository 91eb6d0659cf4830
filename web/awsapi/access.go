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

// apiAction names the operation of an API request for the policy check,
// as IAM names it: "kinesis:PutRecord", "firehose:PutRecordBatch",
// "kinesisvideo:GetMedia"; requests on other paths (the admin endpoints)
// are named by their route with AdminAction.
func apiAction(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, op, _ := strings.Cut(t, ".")
		svc := "kinesis"
		switch {
		case strings.HasPrefix(prefix, "Firehose_"):
			svc = "firehose"
		case strings.HasPrefix(prefix, "DynamoDB_"):
			svc = "dynamodb"
		case strings.HasPrefix(prefix, "KinesisAnalytics_"):
			svc = "kinesisanalytics"
		}
		return svc + ":" + op
	}
	if a := CallOf(r).Action; a != "" {
		return a // named by the route (AdminAction)
	}
	op := strings.TrimPrefix(r.URL.Path, "/")
	if op != "" && !strings.Contains(op, "/") {
		return "kinesisvideo:" + strings.ToUpper(op[:1]) + op[1:]
	}
	return "shardcast:" + r.Method + " " + r.URL.Path
}

// AdminAction names the action and resource (an ARN, or "*") of an admin
// request (the router calls it before the request reaches ReadSigned):
// the policy check then asks for them, "shardcast:RotateMasterKey" on
// "*" for example.
func AdminAction(r *http.Request, action, resource string) {
	c := CallOf(r)
	c.Action, c.Resource, c.Protocol = action, resource, "admin"
}

// realm is the protection space named in WWW-Authenticate.
const realm = "shardcast"

// AllowReader lets a reader of resource through the URLs that are not
// signed API calls (plain HLS, the player page): Allow with ActionRead.
func (a *Auth) AllowReader(w http.ResponseWriter, r *http.Request, resource, signedPath string) (*Identity, bool) {
	return a.Allow(w, r, ActionRead, resource, signedPath)
}

// readerIdentity verifies the credentials r carries: HTTP Basic, a
// presigned query, or a console session's cookie. No credentials at all is the anonymous nil.
func (a *Auth) readerIdentity(r *http.Request, signedPath string) (*Identity, error) {
	if keyID, secret, ok := r.BasicAuth(); ok {
		want, known := a.Secret(keyID)
		if !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
			return nil, &APIError{Message: "The access key id or secret in the Basic credentials is not valid."}
		}
		return a.keyIdentity(keyID), nil
	}
	if r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Algorithm") {
		id, err := a.verifyPresigned(r, r.URL.Path, presignPayloads...)
		if err != nil && signedPath != "" && (signedPath != r.URL.Path || r.Method != http.MethodGet) {
			// signedPath is a playlist, presigned for a GET: a request of
			// another path or method (WHEP's POST, PATCH and DELETE) that
			// carries its query is checked as that GET.
			get := r
			if r.Method != http.MethodGet {
				get = r.Clone(r.Context())
				get.Method = http.MethodGet
			}
			if id2, err2 := a.verifyPresigned(get, signedPath, presignPayloads...); err2 == nil {
				return id2, nil
			}
		}
		return id, err
	}
	if hasConsoleCookie(r) {
		return a.consoleIdentity(r)
	}
	return nil, nil
}

// presignPayloads are the payload hashes presigning tools sign: none
// (S3's UNSIGNED-PAYLOAD) or an empty one (the other services' signers).
var presignPayloads = []string{"UNSIGNED-PAYLOAD", emptyHash}

// presigned is a parsed presigned query.
type presigned struct {
	keyID, region, service string
	when                   time.Time
	expires                int
}

func presignError(typ, msg string) *APIError {
	return &APIError{Type: typ, Status: http.StatusBadRequest, Message: msg}
}

// parsePresigned reads the X-Amz-* parameters of a presigned query and
// checks that it is in date.
func (a *Auth) parsePresigned(q url.Values) (presigned, error) {
	var p presigned
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return p, presignError("IncompleteSignatureException", "The presigned URL needs X-Amz-Algorithm=AWS4-HMAC-SHA256.")
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[4] != "aws4_request" || cred[0] == "" {
		return p, presignError("IncompleteSignatureException", "The presigned URL's X-Amz-Credential is malformed.")
	}
	p.keyID, p.region, p.service = cred[0], cred[2], cred[3]
	var err error
	if p.when, err = time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err != nil {
		return p, presignError("IncompleteSignatureException", "The presigned URL's X-Amz-Date is malformed.")
	}
	if p.expires, err = strconv.Atoi(q.Get("X-Amz-Expires")); err != nil || p.expires < 1 || p.expires > 604800 {
		return p, presignError("IncompleteSignatureException", "The presigned URL's X-Amz-Expires must be 1 to 604800 seconds.")
	}
	if q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-SignedHeaders") == "" {
		return p, presignError("IncompleteSignatureException", "The presigned URL needs X-Amz-Signature and X-Amz-SignedHeaders.")
	}
	if t := a.now(); t.After(p.when.Add(time.Duration(p.expires)*time.Second)) || p.when.After(t.Add(a.skew())) {
		return p, presignError("InvalidSignatureException", fmt.Sprintf("Signature expired: the presigned URL was signed at %s for %d seconds; it is now %s.",
			p.when.UTC().Format("20060102T150405Z"), p.expires, t.UTC().Format("20060102T150405Z")))
	}
	return p, nil
}

// checkPresignedQuery does the checks of an API request's presigned query
// that need no body: well formed, in date, a known key.
func (a *Auth) checkPresignedQuery(r *http.Request) (*signedHeaders, error) {
	q := r.URL.Query()
	p, err := a.parsePresigned(q)
	if err != nil {
		return nil, err
	}
	if _, _, err := a.credential(p.keyID, q.Get("X-Amz-Security-Token")); err != nil {
		return nil, err
	}
	return &signedHeaders{presigned: true}, nil
}

// verifyPresigned checks a SigV4 presigned query (as `aws s3 presign` and
// the SDKs' PresignHTTP make them) over path, signed with one of the
// payload hashes, and returns who signed it.
func (a *Auth) verifyPresigned(r *http.Request, path string, payloads ...string) (*Identity, error) {
	q := r.URL.Query()
	p, err := a.parsePresigned(q)
	if err != nil {
		return nil, err
	}
	secret, id, err := a.credential(p.keyID, q.Get("X-Amz-Security-Token"))
	if err != nil {
		typ := errBadClient.Type
		var ae *APIError
		if errors.As(err, &ae) {
			typ = ae.Type
		}
		return nil, &APIError{Type: typ, Status: http.StatusBadRequest, Message: "The presigned URL's access key id is not known, or its session token is not valid or expired."}
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
		return nil, errSignature
	}
	c.URL.Path, c.URL.RawQuery = path, signed.Encode()
	c.URL.Host, c.Host = r.Host, r.Host
	for _, name := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		switch name {
		case "host", "":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: p.keyID, SecretAccessKey: secret, SessionToken: q.Get("X-Amz-Security-Token")}
	for _, payload := range payloads {
		cc := c.Clone(r.Context())
		u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = p.service == "s3" }).
			PresignHTTP(r.Context(), creds, cc, payload, p.service, p.region, p.when)
		if err != nil {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(pu.Query().Get("X-Amz-Signature")), []byte(q.Get("X-Amz-Signature"))) == 1 {
			return id, nil
		}
	}
	return nil, &APIError{Type: errSignature.Type, Status: http.StatusBadRequest,
		Message: "The presigned URL's signature does not match: check the secret access key and sign the URL as it is requested."}
}

// PresignAlike returns path presigned with the same credentials, date and
// expiry as r's own presigned query, which has been verified (Allow): a
// page opened with a presigned URL can hand its player a URL of its own.
func (a *Auth) PresignAlike(r *http.Request, id *Identity, path string) (string, error) {
	q := r.URL.Query()
	when, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return "", fmt.Errorf("presign: %w", err)
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil {
		return "", fmt.Errorf("presign: %w", err)
	}
	return a.Presign(r, id, path, when, time.Duration(expires)*time.Second)
}

// Presign makes a presigned URL (path and query) of path on r's host with
// id's credentials (a key, or a session's, whose token it carries),
// signed at when and valid for expires.
func (a *Auth) Presign(r *http.Request, id *Identity, path string, when time.Time, expires time.Duration) (string, error) {
	if id == nil {
		return "", fmt.Errorf("presign: %w", errUnauthenticated)
	}
	creds := aws.Credentials{AccessKeyID: id.KeyID}
	if id.Session != nil {
		creds.SecretAccessKey, creds.SessionToken = id.Session.Secret, id.token
	} else if secret, ok := a.Secret(id.KeyID); ok {
		creds.SecretAccessKey = secret
	} else {
		return "", fmt.Errorf("presign: %w", errUnauthenticated)
	}
	if expires > 604800*time.Second {
		expires = 604800 * time.Second
	}
	c, err := http.NewRequest(http.MethodGet, "http://placeholder/", nil)
	if err != nil {
		return "", err
	}
	c.URL.Path, c.URL.RawQuery = path, "X-Amz-Expires="+strconv.Itoa(int(expires/time.Second))
	c.URL.Host, c.Host = r.Host, r.Host
	u, _, err := v4.NewSigner().PresignHTTP(r.Context(), creds, c, "UNSIGNED-PAYLOAD", "kinesisvideo", cmpOr(a.Region, "us-east-1"), when)
	if err != nil {
		return "", err
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return pu.RequestURI(), nil
}
