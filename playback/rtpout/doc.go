// Package rtpout turns access units of the unit feed
// (fragments.Stream.SubscribeUnits) into RTP packets for the live readers:
// the RTSP re-serve (ingest/rtsp) and WHEP viewers (playback/whep).
//
// A Packetizer serves one track: it knows the codec's payload format
// (gortsplib's encoders for H.264, H.265, VP9, AV1, AAC and Opus), the
// payload type and size cap the reader's transport asks for, and a random
// RTP timestamp base, and stamps every packet of a unit with one RTP
// timestamp. Format gives the gortsplib format with the codec parameters,
// for an SDP. It imports only fragments and the media libraries.
package rtpout
