package web

import (
	"net/http"
	"strings"
)

// Browsers let a page on one origin call the AWS APIs on another only when
// the server says so (CORS). The SDKs sign every request with SigV4 in the
// Authorization header and never rely on cookies, so the answer is the same
// for every origin: "*" is safe here, and no credentialed mode is offered.

// corsAllowMethods are the methods the APIs (and the admin endpoints) use;
// PATCH is WHIP/WHEP trickle ICE.
const corsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// corsAllowHeaders is what a preflight that names no headers is allowed:
// the headers the AWS SDKs for JavaScript send.
const corsAllowHeaders = "authorization, content-type, content-length, content-md5, x-amz-date, x-amz-target, " +
	"x-amz-content-sha256, x-amz-security-token, x-amz-user-agent, x-amz-checksum-crc32, x-amz-sdk-checksum-algorithm, " +
	"amz-sdk-invocation-id, amz-sdk-request, range"

// corsExposeHeaders are the answer's headers a page's script may read: what
// the SDKs read from AWS answers (request ids, error types, media types of
// streamed answers).
const corsExposeHeaders = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-id-2, x-amz-request-id, " +
	"ETag, Content-Type, Content-Length, Content-Range, Date, Retry-After"

// corsMaxAge is how long (seconds) a browser may reuse a preflight's
// answer; browsers cap it lower themselves (Chromium at 2 hours).
const corsMaxAge = "86400"

// withCORS answers CORS preflights (OPTIONS naming an
// Access-Control-Request-Method) itself and adds the CORS headers to every
// other answer, before the handler runs, so that errors and streamed
// answers carry them too.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			allow := corsAllowHeaders
			if asked := strings.Join(r.Header.Values("Access-Control-Request-Headers"), ", "); asked != "" {
				// Whatever the page's SDK wants to send is fine: the
				// signature, not the header list, is what is checked.
				allow = asked
			}
			h.Set("Access-Control-Allow-Headers", allow)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			h.Add("Vary", "Access-Control-Request-Headers")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}
