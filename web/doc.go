// Package web is shardcast's HTTP face: one chi router for the AWS APIs,
// the admin endpoints and the landing page, with the middleware every
// request passes through.
//
// # Basics
//
// Every request gets an x-amzn-RequestId, a recover guard (a panic becomes
// an InternalFailure and a logged stack, never a dropped connection), body
// limits and an access-log line at debug level. Bodies are read whole before
// the signature over them can be checked, so what one may cost is bounded:
// its size (413 when declared or found over MaxBodyBytes), its time (408
// and a closed connection when it has not arrived within BodyTimeout of the
// request's headers) and, across all requests, the memory bodies hold
// (BodyBudget, taken as bytes arrive; a body that cannot get its share
// within BodyBudgetWait gets a retryable 503 ServiceUnavailable). AWS JSON
// APIs arrive as POST / with an X-Amz-Target header and are routed by its
// prefix to the service handler (package web/kinesis).
//
// Every answer allows any origin (CORS: Access-Control-Allow-Origin "*"
// and the AWS headers the SDKs read exposed), and preflights are answered
// before routing with the headers they ask for: requests are authorized by
// their SigV4 signature, never by cookies, so a page on another site gains
// nothing it could not do itself. The router is served over HTTP/1.1 and
// unencrypted HTTP/2 alike; under HTTP/2 a body that runs out of time ends
// its stream only (a Connection header there would end every stream). With
// a certificate (TLSCert, re-read on Reload), TLSListener serves both over
// TLS: ALPN offers h2 and http/1.1, and the protocol is what the client
// sends after the handshake, so HTTP/2 with prior knowledge and no ALPN
// (the Java async client's default) works too. Handlers see r.TLS nil on
// those connections.
//
// # Caveats
//
// The admin endpoints (/admin/...) check the same SigV4 credentials as the
// APIs, so with keys configured they need a signed request (curl
// --aws-sigv4 does it). With keys configured the plain live URLs
// (/hls/<stream>/...) and the player (/play/<stream>) need HTTP Basic
// credentials or a presigned URL (awsapi.Auth.AllowReader); a presigned
// playlist's media URIs carry its X-Amz-* parameters, and a presigned
// player page gets a presigned playlist. KVS session URLs (/hls/v1/...,
// /dash/v1/...) are authorized by their SessionToken alone.
package web
