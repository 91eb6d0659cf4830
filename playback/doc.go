// Package playback serves stored and live video fragments to readers: HLS
// (KVS streaming sessions in LIVE, LIVE_REPLAY and ON_DEMAND modes, fMP4 or
// MPEG-TS, plus low-latency HLS parts for live fMP4), DASH sessions in the
// same modes (an MPD with a Period per run of one init segment and one
// adaptation set per track, over the same fMP4 fragments), GetMedia and
// GetMediaForFragmentList as Matroska streams carrying the KVS fragment
// tags, and GetClip as one progressive MP4.
//
// It reads through fragments.Stream (stored fragments, the time index and
// the live edge with the parts of the fragment being built) and never
// writes. HTTP stays in package web/kvs: here requests are plain values and
// answers are bytes or writes to an io.Writer.
//
// The plain live URLs (/hls/<stream>/index.m3u8, status.json) end their
// playlist (EXT-X-ENDLIST) once the publisher has been gone two target
// durations, so players stop instead of waiting; KVS LIVE sessions keep
// KVS's behaviour (no ENDLIST).
//
// HLS and DASH session tokens are self-contained: the session's parameters
// (its protocol among them, so that a token opens only its own protocol's
// resources), the stream's incarnation id and the expiry, sealed with an
// HMAC key, so any change to a token is detected and no session state is
// kept on the server.
package playback
