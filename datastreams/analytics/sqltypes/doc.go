// Package sqltypes holds the SQL types and values of analytics
// applications: the streaming-SQL dialect of Kinesis Data Analytics for
// SQL, as the parser, the function library, the engine and the record
// codecs all see them.
//
// # Basics
//
// A Type is a Kind with its length (CHAR, VARCHAR, VARBINARY), precision
// and scale (DECIMAL) and NOT NULL. A Value is one SQL value of a Kind, or
// NULL; a Row is the values of one row of a stream with its ROWTIME and
// an identity (ID) that the engine derives from the row's provenance, so
// that a result computed again after a restart carries the same ID.
//
// Datetimes are milliseconds: TIMESTAMP since the Unix epoch in UTC, DATE
// the midnight that starts the day, TIME since midnight; an INTERVAL is a
// day-time span in milliseconds.
//
// # Caveats
//
// DECIMAL is held as a float64 with its declared scale; year-month
// intervals are not supported (the dialect has none as a column type).
package sqltypes
