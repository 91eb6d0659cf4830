// Package awsapi is the AWS protocol plumbing shared by shardcast's API
// handlers: reading and writing JSON bodies the way AWS services do, the
// error envelope, model-constraint validation messages, request ids and
// SigV4 authentication.
//
// # Basics
//
// Handlers decode with ReadJSON, which turns malformed input into the
// SerializationException texts AWS clients know; Timestamp and Blob are the
// JSON shapes of AWS timestamps (epoch seconds) and blobs (base64). A
// Validator collects model-constraint failures into one ValidationException
// ("N validation errors detected: ..."). WriteError renders any error through
// an ErrorTable, the one place that maps a handler package's sentinel errors to
// wire names and HTTP statuses; anything unmapped is an InternalFailure and is
// logged.
//
// Auth checks every API request for SigV4 credentials. With no keys
// configured it accepts any well-formed signature, as local AWS emulators do;
// with keys it verifies the signature with the AWS SDK's signer.
// ReadSigned checks what needs no body (a known key, a fresh date) before it
// reads the body, so an unknown client cannot make the server receive one.
//
// Authorize is the one decision on who (a verified access key id, or
// anonymous) may do what (an IAM-style action) to which stream; the signed
// APIs, the plain HLS and player URLs (AllowReader: HTTP Basic with the key
// id and secret, or a SigV4 presigned query) and the RTSP server (through
// its Guard interface, Basic and Digest) all ask it. With no keys it allows
// everything; with keys, anonymous requests are refused and every key may
// do everything (per-key policies grow there).
//
// # Caveats
//
// The JSON protocols are spoken (awsJson1.1 with X-Amz-Target, and
// REST-JSON), and awsJson1.1's CBOR twin (application/x-amz-cbor-1.1, what
// the Java SDKs send by default): CodecOf tells a request's wire format from
// its Content-Type, the one place that decides it; the codec decodes inputs
// into the same structs (blobs from byte strings, timestamps from tag 1 and
// epoch milliseconds) and encodes outputs and errors in the same format.
package awsapi
