// Package reccodec turns the records of an analytics application's
// sources into rows and its rows into output records: the JSON and CSV
// record formats of an InputSchema, a ReferenceSchema and a
// DestinationSchema.
//
// # Basics
//
// A Decoder is built once from a record format and the mapped columns and
// decodes one record into zero or more rows. JSON records are parsed
// once; RecordRowPath selects the row (or, ending in [0:], one row per
// array element) and each column's Mapping is a JSONPath from there:
// $.a.b, $.a[2], $['a b'], $.arr[0:] (the whole array as its JSON text)
// and $.arr[0:].f (one row per element of arr, the other columns
// repeated; an empty array gives one row whose exploded columns are
// NULL). A missing member is NULL. CSV records are split into rows by the
// row delimiter and into fields by the column delimiter, left to right: a
// row may have more fields than columns, never fewer. Values are
// converted to the columns' types by sqlfunc.FromJSON and
// sqlfunc.FromText, so coercion follows one set of rules everywhere.
//
// Encode writes one row as a JSON object keyed by the column names in
// column order, or as a CSV line ending in a newline.
//
// # Caveats
//
// One array may be exploded per schema, one level deep, as Kinesis Data
// Analytics allows. CSV fields are not unquoted: a delimiter inside
// quotes still splits, as the service's simple delimiters do; CSV output
// quotes a field that holds a comma, a quote or a line break.
package reccodec
