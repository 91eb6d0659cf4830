// Package sqlfunc is the scalar function library of analytics
// applications: operators, CAST and coercion, the string, numeric,
// date-time and log-parsing functions of the Kinesis Data Analytics SQL
// reference, and the conversions between SQL values and the JSON and CSV
// of input and output records.
package sqlfunc
