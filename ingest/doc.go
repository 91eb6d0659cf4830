// Package ingest turns publishers into stored fragments: a Session takes
// the tracks and access units of one publisher (an RTSP camera, a WebRTC
// browser), runs them through a fragments.Fragmenter and appends each
// fragment to the video stream. Protocol front ends live in sub-packages
// (ingest/rtsp).
//
// # Basics
//
// Manager.Start finds (or, when allowed, creates) the video stream and takes
// its single publisher slot; a second publisher is refused with ErrBusy.
// Write* calls never block the caller (a protocol's read loop): units are
// copied into a bounded queue that the session's goroutine drains; when the
// queue is full, units are dropped and counted. Close flushes the last,
// partial GOP as a final fragment and frees the slot.
//
// # Producer time
//
// A fragment's producer timestamp is the session's anchor plus the media
// time (RTP timestamps) elapsed to its first sample, so the fragments of
// one publisher session are contiguous in producer time. The anchor comes
// from the sender's clock (Timing.Reported: RTCP sender reports) when it
// says an earlier time than arrival, else from arrival; it is held so no
// unit is stamped later than it arrived, and it moves at most 5 ms per
// second of media (producerClock): a sender clock that drifts or jitters
// is followed smoothly, never by a jump.
//
// # Caveats
//
// A fragment the disk refuses (a full disk) does not end the session: the
// stream holds it in memory for live viewers and stores it when space
// returns; the session shows the error (Info.StoreError), counts held and
// unstored fragments and logs at most once per storeLogEvery.
//
// A fragment is acknowledged (counted, timed) only once it is durable. The
// commit latency recorded per session runs from the arrival of the keyframe
// that closed a fragment to the end of its append.
package ingest
