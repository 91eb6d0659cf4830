// Package putmedia takes Kinesis Video Streams PutMedia uploads: a
// Matroska body (one EBML document whose clusters arrive without end) read
// as it arrives, each cluster stored as one fragment, and a stream of
// acknowledgement events answered while the body still arrives.
//
// # Fragments
//
// Every Matroska cluster becomes exactly one fragment, re-muxed to
// fragmented MP4 (through the same fragments.Fragmenter as RTSP and WebRTC
// ingest, so every playback path serves it). The tracks and their codec
// private data come from the document's Tracks element; a new EBML
// document with different tracks starts a new init segment. H.264, H.265,
// AAC and Opus tracks are stored; other tracks are ignored.
//
// A fragment's producer timestamp is the cluster's first frame: with
// timecode type RELATIVE, the producer start timestamp plus the frame's
// timecode; with ABSOLUTE, the timecode itself (in the document's
// TimecodeScale units, nanoseconds since the Unix epoch once scaled).
//
// Video frames before a cluster's first keyframe cannot start a fragment
// and are dropped (KVS stores them; no player could decode them). A cluster
// with no keyframe at all is refused with ERROR 4006.
//
// # Acknowledgements
//
// BUFFERING when a cluster's timecode has been read, RECEIVED when the
// whole cluster has, PERSISTED once its fragment is durable (the append
// returned), each with FragmentTimecode = the cluster's Timecode as sent.
// PERSISTED carries the stored fragment's number; BUFFERING and RECEIVED
// do not: the number is the log's sequence, known only once the append
// returns, and a predicted number would be wrong whenever that append is
// not the one predicted (a failed append, another writer after a restart).
// A stream without retention (0 hours) keeps fragments in memory for live
// readers only: RECEIVED is then the last acknowledgement, as in KVS.
// ERROR carries KVS's ErrorId and a name (ErrorCode) and ends the upload;
// every fragment acknowledged PERSISTED before it stays stored. IDLE is
// sent every IdleEvery while no data arrives; after IdleTimeout without
// data the upload ends.
//
// # Publisher slot
//
// An upload holds its stream's publisher slot (ingest.Manager.StartDirect)
// from Start to the end of Run: a second PutMedia, or a PutMedia while an
// RTSP or WebRTC camera publishes, is refused before the response starts.
// Media is written synchronously: a slow disk slows the body's reading,
// nothing is dropped.
package putmedia
