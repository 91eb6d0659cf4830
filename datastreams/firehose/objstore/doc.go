// Package objstore holds the object stores the S3 destinations of
// Firehose delivery streams write to: a directory tree (the embedded
// default) and an S3-compatible server.
//
// # Basics
//
// Dir keeps bucket b's object k in the file <root>/b/k. Put writes the
// object to a temporary file, syncs it and renames it into place, so a
// reader never sees part of an object and a crash leaves none.
//
// # Caveats
//
// Dir keeps no metadata: ContentType and ContentEncoding are dropped (the
// key's extension says the encoding). Keys that would leave the bucket's
// directory ("..", absolute paths) are refused.
package objstore
