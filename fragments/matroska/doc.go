// Package matroska reads Matroska streams the way Kinesis Video Streams
// sends and takes them: a PutMedia body (one EBML document whose Segment
// and Clusters have unknown sizes, clusters arriving without end) and a
// GetMedia body (one small, self-contained document per fragment, one after
// another).
//
// A Reader turns the bytes into events: a document's header (Info and
// Tracks), a Tags element, a whole Cluster with its frames. It holds at
// most one cluster in memory and never looks ahead further than the ID and
// size of the next element, so a producer's cluster is handed on as soon
// as the element after it starts (unknown size) or its last byte arrives
// (known size).
//
// Errors say what kind of damage was found: ErrInvalid for data that is
// not Matroska as KVS defines it (bad framing, a block for a track the
// header does not declare, a second Segment in one document), ErrTooLarge
// for a cluster over Options.MaxClusterBytes, io.ErrUnexpectedEOF for a
// body that ends inside an element. The reader does not resynchronize: an
// error ends the stream.
//
// Writing Matroska is done elsewhere (package playback, with at-wat/ebml-go);
// this reader is separate because a streaming reader of unknown-size
// elements that reports where damage starts is not what that library offers.
package matroska
