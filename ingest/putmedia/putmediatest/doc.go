// Package putmediatest writes the Matroska that PutMedia producers send,
// for tests and benchmarks: the document header (EBML header, a Segment
// of unknown size, Info and Tracks) and clusters of SimpleBlocks, as the
// KVS producer libraries lay them out. It also splits H.264 Annex B
// streams into access units and builds the codec private data of a track.
package putmediatest
