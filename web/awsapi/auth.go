package awsapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardcast/shardcast/web/iam"
)

type ctxKey int

const requestIDKey ctxKey = 0

// WithRequestID returns r's context carrying a fresh request id, and sets the
// x-amzn-RequestId response header.
func WithRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	w.Header().Set("X-Amzn-Requestid", id)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
}

// RequestID returns the request id set by WithRequestID.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// Auth is the one check every request goes through: it authenticates
// (SigV4 in the Authorization header or a presigned query, with long-term
// keys or STS session credentials; HTTP Basic, presigned URLs and bearer
// tokens on the URLs that are not API calls; RTSP through Secret and
// Authorize) and authorizes, with the caller's IAM-style policies, the
// action on the resource the request names. Its fields are set before the
// first request and not changed after.
type Auth struct {
	// Keys maps access key ids to their secret and policy. With no keys
	// and no tokens, any well-formed signature is accepted and nothing is
	// verified (Open).
	Keys map[string]Key
	// Tokens are the bearer tokens WHIP and WHEP accept.
	Tokens []Token
	// Roles maps the roles STS lets callers assume to their policies
	// (nil: all rights); a session of a role no longer here is refused.
	Roles map[string]*iam.Policy
	// Sessions opens STS session tokens; nil refuses them.
	Sessions SessionTokens
	// Account and Region appear in the ARNs that policies match.
	Account, Region string
	// VideoARN returns the ARN of an existing video stream (KVS ARNs
	// carry the creation time).
	VideoARN func(name string) (string, bool)
	// MaxSkew bounds the difference between X-Amz-Date and now (default 5m).
	MaxSkew time.Duration
	Now     func() time.Time

	once    sync.Once
	signer  *v4.Signer           // one, so its cache of derived signing keys lasts
	ids     map[string]*Identity // of Keys, by key id
	cacheMu sync.Mutex
	cache   map[string]*Identity // of session tokens seen, by token
	console consoleSessions      // the web UI's logins
}

var (
	errMissingAuth = &APIError{Type: "MissingAuthenticationTokenException", Message: "Missing Authentication Token", Status: http.StatusBadRequest}
	errBadClient   = &APIError{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
	errExpired     = &APIError{Type: "ExpiredTokenException", Message: "The security token included in the request is expired", Status: http.StatusBadRequest}
	errSignature   = &APIError{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
		Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
)

// sigV4 is a parsed Authorization header.
type sigV4 struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (sigV4, error) {
	var s sigV4
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return s, &APIError{Type: "IncompleteSignatureException", Status: http.StatusBadRequest,
			Message: "Authorization header requires the AWS4-HMAC-SHA256 algorithm."}
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return s, &APIError{Type: "IncompleteSignatureException", Status: http.StatusBadRequest, Message: "Credential is malformed: " + v}
			}
			s.accessKey, s.date, s.region, s.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	var missing []string
	if s.accessKey == "" {
		missing = append(missing, "Credential")
	}
	if len(s.signedHeaders) == 0 || s.signedHeaders[0] == "" {
		missing = append(missing, "SignedHeaders")
	}
	if s.signature == "" {
		missing = append(missing, "Signature")
	}
	if len(missing) > 0 {
		return s, &APIError{Type: "IncompleteSignatureException", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Authorization header requires %s parameter(s).", strings.Join(missing, ", "))}
	}
	return s, nil
}

// signedHeaders is what a request's headers say about its signature, once they
// have passed the checks that need no body.
type signedHeaders struct {
	sig       sigV4
	secret    string
	when      time.Time
	id        *Identity
	presigned bool
	console   bool // a console session's cookie: no signature to verify
}

func (a *Auth) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Auth) skew() time.Duration {
	if a.MaxSkew > 0 {
		return a.MaxSkew
	}
	return 5 * time.Minute
}

// checkHeaders does the checks that need no body; nil, nil means there is
// nothing to verify (no credentials configured).
func (a *Auth) checkHeaders(r *http.Request) (*signedHeaders, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		q := r.URL.Query()
		if q.Get("X-Amz-Algorithm") == "" && !q.Has("X-Amz-Signature") {
			if hasConsoleCookie(r) {
				id, err := a.consoleIdentity(r)
				if err != nil {
					return nil, err
				}
				if a.Open() {
					return nil, nil
				}
				return &signedHeaders{id: id, console: true}, nil
			}
			return nil, errMissingAuth
		}
		if a.Open() {
			return nil, nil // presigned: accepted, like a header, when nothing is verified
		}
		return a.checkPresignedQuery(r)
	}
	sig, err := parseAuthorization(h)
	if err != nil {
		return nil, err
	}
	if a.Open() {
		return nil, nil
	}
	secret, id, err := a.credential(sig.accessKey, r.Header.Get("X-Amz-Security-Token"))
	if err != nil {
		return nil, err
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return nil, &APIError{Type: "IncompleteSignatureException", Status: http.StatusBadRequest, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	if err := a.fresh(when); err != nil {
		return nil, err
	}
	return &signedHeaders{sig: sig, secret: secret, when: when, id: id}, nil
}

// fresh refuses a signing time more than MaxSkew from now.
func (a *Auth) fresh(when time.Time) error {
	now, skew := a.now(), a.skew()
	if d := now.Sub(when); d > skew || d < -skew {
		return &APIError{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)", when.UTC().Format("20060102T150405Z"),
				now.Add(-skew).UTC().Format("20060102T150405Z"), now.UTC().Format("20060102T150405Z"), int(skew/time.Minute))}
	}
	return nil
}

// ReadSigned authenticates r and reads its body: the checks that need no
// body come first, so a request without a known key, or out of date, is
// refused before its body is received; then the body is read (ReadBody),
// the signature verified over it, and the call authorized on the
// resource its input names.
func (a *Auth) ReadSigned(r *http.Request) (body []byte, release func(), err error) {
	s, err := a.checkHeaders(r)
	if err != nil {
		record(r, nil, "api", apiAction(r), "", true)
		return nil, func() {}, err
	}
	body, release, err = ReadBody(r)
	if err == nil {
		err = a.finish(r, s, body)
	}
	return body, release, err
}

// Check authenticates and authorizes r, whose body is passed in (already
// read) so the payload hash can be verified.
func (a *Auth) Check(r *http.Request, body []byte) error {
	s, err := a.checkHeaders(r)
	if err != nil {
		record(r, nil, "api", apiAction(r), "", true)
		return err
	}
	return a.finish(r, s, body)
}

// finish verifies the signature of s over body and authorizes the call.
func (a *Auth) finish(r *http.Request, s *signedHeaders, body []byte) error {
	action := apiAction(r)
	resource := a.resourceOf(action, r, body)
	if s == nil {
		record(r, nil, "api", action, resource, false)
		return nil
	}
	if s.console {
		return a.authorizeCall(r, s.id, "api", action, resource)
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	var err error
	if s.presigned {
		s.id, err = a.verifyPresigned(r, r.URL.Path, "UNSIGNED-PAYLOAD", payloadHash, emptyHash)
	} else {
		err = a.verifyHeader(r, s, payloadHash, true)
	}
	if err != nil {
		record(r, nil, "api", action, resource, true)
		return err
	}
	return a.authorizeCall(r, s.id, "api", action, resource)
}

// verifyHeader checks the Authorization header's signature of r with the
// payload hash (the one the client declared, when declared is allowed
// and it sent one).
func (a *Auth) verifyHeader(r *http.Request, s *signedHeaders, payloadHash string, declared bool) error {
	sig, secret, when := s.sig, s.secret, s.when
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" && declared {
		if v != payloadHash && v != "UNSIGNED-PAYLOAD" {
			return errSignature
		}
		payloadHash = v
	}
	if sig.signsAuthority() {
		return checkWithAuthority(r, sig, secret, payloadHash, when)
	}
	// Re-sign a copy that holds exactly the headers the client signed.
	c := &http.Request{Method: r.Method, Host: r.Host, Header: make(http.Header, len(sig.signedHeaders)),
		URL: &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}}
	for _, name := range sig.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: sig.accessKey, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	a.init()
	if err := a.signer.SignHTTP(r.Context(), creds, c, payloadHash, sig.service, sig.region, when); err != nil {
		return errSignature
	}
	want, err := parseAuthorization(c.Header.Get("Authorization"))
	if err != nil || subtle.ConstantTimeCompare([]byte(want.signature), []byte(sig.signature)) != 1 {
		return errSignature
	}
	return nil
}

// bodyPool recycles request buffers: PutRecords bodies are large and
// arrive hundreds of times a second.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// ReadBody reads a request body into a pooled buffer. release returns the
// buffer; the caller must not keep the body (or slices of it) afterwards. The
// buffer grows as bytes arrive, never past Content-Length: a client that
// declares a large body and sends little costs little. A body over the
// server's limit becomes a 413; a read refused with an *APIError (the
// router's limits) becomes that error.
func ReadBody(r *http.Request) (body []byte, release func(), err error) {
	bp := bodyPool.Get().(*[]byte)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = growBody(buf, r.ContentLength)
		}
		n, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			*bp = buf[:0]
			bodyPool.Put(bp)
			var tooBig *http.MaxBytesError
			var ae *APIError
			switch {
			case errors.As(rerr, &tooBig):
				return nil, func() {}, &APIError{Type: "SerializationException", Status: http.StatusRequestEntityTooLarge,
					Message: fmt.Sprintf("Request body is larger than %d bytes.", tooBig.Limit), CapitalMessage: true}
			case errors.As(rerr, &ae):
				return nil, func() {}, ae
			}
			return nil, func() {}, serializationError("could not read the request body")
		}
	}
	return buf, func() {
		if cap(buf) <= 16<<20 {
			*bp = buf[:0]
			bodyPool.Put(bp)
		}
	}, nil
}

// growBody returns buf with room for more: twice the capacity (at least
// 16 KiB), but no more than a body of the declared length (and the read
// that sees its end) needs.
func growBody(buf []byte, declared int64) []byte {
	n := max(2*cap(buf), 16<<10)
	if declared >= 0 && int64(n) > declared+1 {
		n = max(int(declared)+1, len(buf)+1)
	}
	nb := make([]byte, len(buf), n)
	copy(nb, buf)
	return nb
}
