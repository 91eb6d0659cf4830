package awsapi

import (
	"bytes"
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

// Auth checks SigV4 authentication of API requests.
type Auth struct {
	// Keys maps access key ids to secret keys. Empty: any well-formed
	// signature is accepted and nothing is verified.
	Keys map[string]string
	// MaxSkew bounds the difference between X-Amz-Date and now (default 15m).
	MaxSkew time.Duration
	Now     func() time.Time
}

var (
	errMissingAuth = &APIError{Type: "MissingAuthenticationTokenException", Message: "Missing Authentication Token", Status: http.StatusBadRequest}
	errBadClient   = &APIError{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
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
	if len(s.signedHeaders) == 0 {
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
	sig    sigV4
	secret string
	when   time.Time
}

// checkHeaders does the checks that need no body; nil, nil means there is
// nothing to verify (no keys configured).
func (a *Auth) checkHeaders(r *http.Request) (*signedHeaders, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.URL.Query().Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" && len(a.Keys) == 0 {
			return nil, nil // presigned: accepted, like a header, when nothing is verified
		}
		return nil, errMissingAuth
	}
	sig, err := parseAuthorization(h)
	if err != nil {
		return nil, err
	}
	if len(a.Keys) == 0 {
		return nil, nil
	}
	secret, ok := a.Keys[sig.accessKey]
	if !ok {
		return nil, errBadClient
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	skew := a.MaxSkew
	if skew == 0 {
		skew = 15 * time.Minute
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return nil, &APIError{Type: "IncompleteSignatureException", Status: http.StatusBadRequest, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	if d := now().Sub(when); d > skew || d < -skew {
		return nil, &APIError{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)", when.Format("20060102T150405Z"),
				now().Add(-skew).UTC().Format("20060102T150405Z"), now().UTC().Format("20060102T150405Z"), skew)}
	}
	return &signedHeaders{sig: sig, secret: secret, when: when}, nil
}

// ReadSigned authenticates r and reads its body: the checks that need no
// body come first, so a request without a known key, or out of date, is
// refused before its body is received; then the body is read (ReadBody)
// and the signature verified over it.
func (a *Auth) ReadSigned(r *http.Request) (body []byte, release func(), err error) {
	if _, err := a.checkHeaders(r); err != nil {
		return nil, func() {}, err
	}
	body, release, err = ReadBody(r)
	if err == nil {
		err = a.Check(r, body)
	}
	return body, release, err
}

// Check authenticates r, whose body is passed in (already read) so the
// payload hash can be verified.
func (a *Auth) Check(r *http.Request, body []byte) error {
	s, err := a.checkHeaders(r)
	if err != nil || s == nil {
		return err
	}
	sig, secret, when := s.sig, s.secret, s.when
	// Re-sign a copy that holds exactly the headers the client signed.
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" && v != payloadHash && v != "UNSIGNED-PAYLOAD" {
		return errSignature
	} else if v == "UNSIGNED-PAYLOAD" {
		payloadHash = v
	}
	if sig.signsAuthority() {
		return checkWithAuthority(r, sig, secret, payloadHash, when)
	}
	u := &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	c, err := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return errSignature
	}
	c.URL.Host, c.Host = r.Host, r.Host
	c.ContentLength = 0
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
	err = v4.NewSigner().SignHTTP(r.Context(), creds, c, payloadHash, sig.service, sig.region, when)
	if err != nil {
		return errSignature
	}
	want, err := parseAuthorization(c.Header.Get("Authorization"))
	if err != nil || subtle.ConstantTimeCompare([]byte(want.signature), []byte(sig.signature)) != 1 {
		return errSignature
	}
	if err := a.Authorize(sig.accessKey, apiAction(r), "*"); err != nil {
		return &APIError{Type: "AccessDeniedException", Status: http.StatusBadRequest, Message: err.Error()}
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
