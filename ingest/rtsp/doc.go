// Package rtsp is the RTSP front end of ingest: a server that cameras and
// encoders publish to (ANNOUNCE/RECORD over TCP or UDP), and pull sources
// that connect to cameras (DESCRIBE/SETUP/PLAY) and keep reconnecting. The
// same server re-serves every stream live to RTSP readers (DESCRIBE/SETUP/
// PLAY), whatever protocol its publisher uses.
//
// # Basics
//
// Both sides share one binding step: the SDP's medias are mapped to tracks
// (H.264, H.265, AAC as MPEG4-GENERIC or MP4A-LATM, Opus), and each
// track's RTP packets are depacketized into access units with gortsplib's
// decoders, timed with its PTS (synchronized across tracks), its arrival
// and, once the sender's RTCP sender reports arrive, the sender's wall
// clock (decoded here per RFC 3550: gortsplib's PacketNTP misreads the
// NTP fraction), and handed to an ingest.Session, which derives producer
// time from them. Publishing to rtsp://host:8554/<stream> feeds <stream>.
//
// # Live re-serve
//
// Playing rtsp://host:8554/<stream> (TCP or UDP) reads the stream's unit
// feed (fragments.Stream.SubscribeUnits): the access units of the current
// publisher as they arrive, never from disk and never waiting for a part
// or a fragment. Per stream and publisher session one goroutine
// packetizes each unit once with playback/rtpout (gortsplib's encoders:
// H.264, H.265, VP9, AV1, AAC, Opus; RTP timestamps from the units'
// presentation times, RTCP sender reports from their producer time) for
// one shared ServerStream, and hands the packets to every reader. A reader starts with the packets
// since the latest keyframe, so its first picture comes at once, whenever
// it joins; one too slow for its write queue skips to the next keyframe
// and holds back nobody. When the publisher leaves, its readers are
// disconnected (they may reconnect to the next one); when the last reader
// leaves, the goroutine ends.
//
// # RTSPS
//
// With TLSAddress and TLSConfig the same server also speaks RTSP over TLS
// (rtsps://host:8322/<stream>) on that second address: the same streams,
// publishing and reading, and the same Guard. The TLS is ended in the
// server's listener, so both addresses feed one gortsplib server and its
// live re-serves; a session set up over TLS must use TCP (interleaved):
// asking for UDP is answered 461 Unsupported Transport. SRTP (RTP/SAVP)
// is not offered.
//
// # Caveats
//
// RTSP playback is live only: an unknown stream answers 404 Not Found, a
// stream without a publisher 404 Stream Not Live (read the past over HLS
// or GetMedia). With a Guard that has credentials, ANNOUNCE (publishing,
// to existing and new streams alike), DESCRIBE and a reader's SETUP need
// RTSP Basic or Digest credentials (user the access key id, password the
// secret) allowed to publish or to read the stream: without them the
// answer is a 401 offering both, with wrong ones a 401 and a closed
// connection. Pull sources are clients and are not
// affected. Formats other than the four above are
// ignored; a publisher offering none of them is refused with 415.
package rtsp
