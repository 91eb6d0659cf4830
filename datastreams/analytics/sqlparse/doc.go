// Package sqlparse reads the streaming-SQL dialect of Kinesis Data
// Analytics for SQL into a syntax tree: CREATE STREAM, CREATE PUMP,
// SELECT STREAM with its windows, joins and table functions.
package sqlparse
