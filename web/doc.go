// Package web is shardcast's HTTP face: one chi router for the AWS APIs,
// the admin endpoints and the landing page, with the middleware every
// request passes through.
//
// # Basics
//
// Every request gets an x-amzn-RequestId, a recover guard (a panic becomes
// an InternalFailure and a logged stack, never a dropped connection), a body
// limit and an access-log line at debug level. AWS JSON APIs arrive as POST /
// with an X-Amz-Target header and are routed by its prefix to the service
// handler (package web/kinesis).
//
// # Caveats
//
// The admin endpoints (/admin/...) check the same SigV4 credentials as the
// APIs, so with keys configured they need a signed request (curl
// --aws-sigv4 does it).
package web
