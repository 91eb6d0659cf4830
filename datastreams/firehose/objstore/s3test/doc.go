// Package s3test starts a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw, Apache-2.0) with its posix backend, which
// make deps builds from the Go module proxy at a pinned version.
//
// # Basics
//
// Start runs the server as a subprocess on a free loopback port, with its
// objects in a fresh directory, and returns the endpoint URL and the root
// credentials. Buckets are created with the S3 API (CreateBucket, or
// aws s3 mb); each one is a directory under the root. The server is stopped
// when the test ends.
//
// # Caveats
//
// Object metadata (Content-Type, Content-Encoding, ETags) goes to a sidecar
// directory, so the filesystem needs no extended attributes. A missing
// versitygw fails the test with the make deps hint; it never skips.
package s3test
