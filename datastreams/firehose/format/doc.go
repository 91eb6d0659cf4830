// Package format encodes a Firehose batch into the body of one object:
// the destination's CompressionFormat (UNCOMPRESSED, GZIP, ZIP, Snappy,
// HADOOP_SNAPPY), or, with a DataFormatConversionConfiguration, a Parquet
// file whose schema is a table declared in shardcast's configuration.
//
// # Basics
//
// NewEncoder checks an EncoderConfig the way CreateDeliveryStream does and
// returns an Encoder; Encode turns the processed records of one batch into
// an Object (body, default extension, content type).
//
// Without a conversion the records are concatenated byte for byte and
// compressed: GZIP is one gzip member (".gz"); ZIP is an archive with one
// entry named after the object (".zip"); Snappy is the Snappy framing
// format, the stream format of the Snappy project (".snappy"); HADOOP_SNAPPY
// is Hadoop's block framing, blocks of up to 256 KiB, each a 4-byte
// big-endian uncompressed length then one chunk of a 4-byte big-endian
// compressed length and a raw Snappy block (".hsnappy").
//
// With a conversion each record holds one or more JSON objects
// (concatenated or one a line; an array is refused); each object is a row.
// Its keys are matched to the table's columns as the OpenX or the Hive JSON
// SerDe does, its values converted to the columns' Hive types, and the rows
// written as Parquet the way Hive's Parquet writer types them (strings as
// UTF-8 byte arrays, tinyint/smallint as annotated INT32, decimals as
// DECIMAL, date as DATE, timestamp as INT96, array as LIST, map as MAP,
// struct as a group). A record that does not convert is returned as a
// Failed and left out of the file; the engine writes it to the error
// output as "format-conversion-failed".
//
// # Caveats
//
// Objects get no Content-Encoding: Firehose stores compressed objects as
// opaque bytes, and a Content-Encoding would make HTTP clients decompress
// them on download.
//
// ORC output is refused with ErrUnsupported: no maintained Go library
// writes ORC. Tables have one version (VersionId LATEST); SchemaConfiguration's
// CatalogId, Region and RoleARN are ignored. ParquetSerDe's MaxPaddingBytes is
// accepted and ignored, and BlockSizeBytes is measured on the JSON input.
// Hive's uniontype, interval and void types are not supported; binary
// columns take a JSON string's bytes as they are (no base64). An integer
// epoch timestamp read by the OpenX SerDe is in milliseconds from 1e11 on,
// in seconds below. Map entries are written in key order.
package format
