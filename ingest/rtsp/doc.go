// Package rtsp is the RTSP front end of ingest: a server that cameras and
// encoders publish to (ANNOUNCE/RECORD over TCP or UDP), and pull sources
// that connect to cameras (DESCRIBE/SETUP/PLAY) and keep reconnecting.
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
// # Caveats
//
// The server does not serve RTSP playback (DESCRIBE and PLAY answer 404);
// read streams over HLS or GetMedia. With a Guard that has credentials,
// ANNOUNCE (publishing, to existing and new streams alike) and DESCRIBE
// need RTSP Basic or Digest credentials (user the access key id, password
// the secret): without them the answer is a 401 offering both, with wrong
// ones a 401 and a closed connection. Pull sources are clients and are not
// affected. Formats other than the four above are
// ignored; a publisher offering none of them is refused with 415.
package rtsp
