// Package kvs serves the Kinesis Video Streams APIs over the fragments
// store: the control plane (service kinesisvideo) and the archived-media
// operations (kinesis-video-archived-media). Both are REST-JSON: POST to a
// path named after the operation, JSON in and out.
//
// # Basics
//
// Every path the AWS SDK uses is routed, case-sensitively (/tagStream and
// /TagResource are both real). Requests check their model constraints
// server-side, because the SDKs only check required members; failures are
// InvalidArgumentException in AWS's "N validation errors detected" form.
// GetDataEndpoint answers the server's own base URL for every API, so clients
// that follow it come back here.
//
// # Caveats
//
// Signaling channels, edge and image/notification configuration, and the
// media read APIs not built yet answer UnsupportedOperationException (see
// the README's compatibility table).
package kvs
