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

// CheckStreamed authenticates and authorizes a request whose body is
// streamed (PutMedia) without reading the body: the signature must cover
// the headers only, with the payload hash the client declared in
// X-Amz-Content-Sha256 (UNSIGNED-PAYLOAD, say) or, when it sent none, the
// hash of an empty payload (what the KVS producer libraries sign for
// their chunked body). The canonical request is built from exactly the
// headers the client signed, hop-by-hop ones included: Transfer-Encoding,
// which net/http removes from the header map, is rebuilt from
// r.TransferEncoding. The stream is the one its headers name.
func (a *Auth) CheckStreamed(r *http.Request) error {
	action := apiAction(r)
	s, err := a.checkHeaders(r)
	if err != nil {
		record(r, nil, "api", action, "", true)
		return err
	}
	resource := a.resourceOf(action, r, nil)
	if s == nil {
		record(r, nil, "api", action, resource, false)
		return nil
	}
	if s.presigned {
		s.id, err = a.verifyPresigned(r, r.URL.Path, "UNSIGNED-PAYLOAD", emptyHash)
	} else {
		payloadHash := r.Header.Get("X-Amz-Content-Sha256")
		if payloadHash == "" {
			payloadHash = emptyHash
		}
		err = checkWithAuthority(r, s.sig, s.secret, payloadHash, s.when)
	}
	if err != nil {
		record(r, nil, "api", action, resource, true)
		return err
	}
	return a.authorizeCall(r, s.id, "api", action, resource)
}
