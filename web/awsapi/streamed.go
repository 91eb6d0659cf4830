package awsapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// emptyHash is the SHA-256 of no bytes, as hex.
var emptyHash = func() string {
	s := sha256.Sum256(nil)
	return hex.EncodeToString(s[:])
}()

// CheckStreamed authenticates a request whose body is streamed (PutMedia)
// without reading the body: the signature must cover the headers only,
// with the payload hash the client declared in X-Amz-Content-Sha256
// (UNSIGNED-PAYLOAD, say) or, when it sent none, the hash of an empty
// payload (what the KVS producer libraries sign for their chunked body).
// The canonical request is built from exactly the headers the client
// signed, hop-by-hop ones included: Transfer-Encoding, which net/http
// removes from the header map, is rebuilt from r.TransferEncoding.
func (a *Auth) CheckStreamed(r *http.Request) error {
	s, err := a.checkHeaders(r)
	if err != nil || s == nil {
		return err
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		payloadHash = emptyHash
	}
	if err := checkWithAuthority(r, s.sig, s.secret, payloadHash, s.when); err != nil {
		return err
	}
	if err := a.Authorize(s.sig.accessKey, apiAction(r), "*"); err != nil {
		return &APIError{Type: "AccessDeniedException", Status: http.StatusBadRequest, Message: err.Error()}
	}
	return nil
}
