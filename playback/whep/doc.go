// Package whep serves live viewers over WebRTC (WHEP, the viewing half of
// WHIP): each viewer is a pion PeerConnection fed from a stream's unit feed
// (fragments.Stream.SubscribeUnits), from the latest keyframe, without
// touching disk.
//
// The HTTP resource protocol (POST/PATCH/DELETE, ETag, auth) and the shared
// ICE transport belong to package ingest/webrtc; it calls Server.Play with
// the viewer's offer and gets back the viewer and the complete SDP answer.
//
// Video is sent as stored: H.264, H.265, VP9 or AV1, in the payload type
// the viewer offered for that codec, packetized by playback/rtpout (the
// RTSP re-serve's packetizer) to payloads of at most 1100 bytes, below
// pion's 1200-byte SRTP MTU. Opus audio passes through; AAC audio
// (from RTSP cameras) is not sent, as there is no well-kept pure-Go AAC
// decoder and Opus encoder to transcode it with, so such a viewer gets
// video only.
//
// RTP timestamps come from the units' presentation times on one clock
// shared by the tracks, so audio and video stay aligned. The units cached
// since the latest keyframe are sent at once, their timestamps drawn
// together, so the first picture shows at once and what follows plays at
// the live edge. A viewer that reads too slowly misses units and resumes at
// the next keyframe; it never holds back the publisher or other viewers.
// When the publisher leaves, a viewer waits for the next one (Config.
// RejoinWait) and carries on if it sends the same video codec.
//
// A viewer's picture-loss reports (PLI) are read but not passed on: there
// is no way yet to ask the publisher for a keyframe from here.
package whep
