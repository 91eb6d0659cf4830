// Package webrtc is the WebRTC face of shardcast: WHIP publishing (RFC
// 9725) into ingest sessions, and the resource protocol and transport that
// WHEP viewers share.
//
// # Basics
//
// A Transport owns the one pion API of the server: the ICE UDP mux on one
// port (--webrtc, default :8189), ICE-TCP on the same port number, the
// addresses to advertise beside the machine's own (a NAT's public address,
// a container's host), the STUN/TURN servers handed to clients, the codecs
// (H.264, H.265, VP9, AV1 video; Opus audio) and the interceptors (NACK,
// receiver and sender reports, transport-wide congestion control), and it
// asks the kernel for an 8 MiB receive buffer on the shared UDP socket.
//
// A Handler serves the resources: POST /whip/{stream} (an SDP offer, answered
// 201 with the complete answer, host candidates gathered up front, a
// Location and an ETag), OPTIONS (CORS and ICE servers as Link headers),
// PATCH on the session resource (trickle ICE and ICE restarts, with
// If-Match), DELETE (ends the session). POST /whep/{stream} goes through a
// Play hook that playback provides; PATCH and DELETE work the same for both.
// Access decides who may publish or read, in one place: a bearer token
// (global or per stream) when one is configured, else the server's usual
// credentials.
//
// # Publishing
//
// A WHIP publisher becomes an ingest.Session (protocol "webrtc"). Each RTP
// track is put back in order (retransmissions asked for by NACK fill
// holes), depacketized with gortsplib's decoders and handed on. A frame
// with a packet that never came is dropped, never stored: the session is
// told of the gap (the fragment ends, the next starts at a keyframe marked
// a discontinuity) and the sender is asked for a keyframe (PLI). Keyframes
// are also asked for at the start, when a fragment runs long, and every
// keyframe interval (browsers send them only when asked). A REMB message
// and a b=AS line in the answer cap the publisher's bitrate.
//
// # Time
//
// The tracks of a session share one presentation timeline. Each track's
// first packet is placed by its arrival; once the sender's RTCP sender
// reports (RTP time to the sender's wall clock, per track) are in for the
// reference track (the first video track) and another track, that track
// is shifted so that what was captured at the same moment plays at the
// same time: browsers stamp audio and video with unrelated RTP bases and
// start them apart. Before the reports (a browser's first audio report
// comes seconds in), arrival stands. The reference track never moves; an
// audio track moves at its next packet (a gap forward, or the audio that
// would overlap dropped going back), another video track at a keyframe.
// Later reports move a track again only when they disagree by 10 ms or
// more, and a shift over 3 s is refused as clocks that do not agree.
// Producer time comes from the sender reports too (ingest.Timing.Reported).
//
// # Caveats
//
// Until sender reports arrive, A/V alignment is by arrival of each track's
// first packet; a sender that sends none stays there. A session whose ICE or
// DTLS fails, or stays disconnected past the disconnect timeout, ends and
// frees everything.
package webrtc
