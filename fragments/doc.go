// Package fragments is shardcast's video domain: it cuts access units into
// keyframe-aligned fragmented-MP4 fragments and stores them as the records
// of a video stream's shard log, indexed by time.
//
// # Basics
//
// A Fragmenter takes access units of the tracks of one publisher (H.264 or
// H.265 video, AAC or Opus audio), each with a presentation time in its
// track's clock and the producer's wall-clock time, and emits a Fragment at
// each video keyframe: one moof+mdat holding every track's samples of that
// GOP, plus the init segment (ftyp+moov) that decodes it. A change of codec
// parameters (SPS/PPS) makes a new init segment and marks a discontinuity.
// Streams without video are cut every AudioDuration.
//
// A Store keeps video streams (the Kinesis Video Streams model) on the
// shard core: every stream has one shard log whose records are fragments,
// so a fragment number is a sequence number; fragments are encrypted at rest
// under the stream's data key, kept for DataRetentionInHours (0: a
// five-minute live buffer in memory only) and indexed by producer and server
// time in the catalog.
//
// # Caveats
//
// Only the first video track of a publisher is stored. Audio samples that
// arrive later than the keyframe that closed their fragment are dropped.
//
// A full disk: fragments the log refuses are held in memory (up to
// maxHeldBytes a stream) under the numbers they will be stored with; live
// HLS readers get them, ListFragments and GetMedia only once they are
// stored, which happens by itself when space returns (they then carry the
// server time of that write). Held fragments are lost if the server stops
// first. Time-index writes that fail are kept and retried; at start the
// index is completed from the log (reindex). An optional disk reserve
// (reserve.go) deletes the oldest video segments, across streams, while free
// space is below it.
package fragments
