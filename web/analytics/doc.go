// Package analytics is the HTTP face of analytics applications: the
// Kinesis Data Analytics for SQL API (JSON 1.1, X-Amz-Target
// KinesisAnalytics_20150814.<Operation>) over the application manager.
//
// # Basics
//
// The handler checks the signature, decodes each operation's input,
// checks the model's constraints (lengths, patterns, ranges: a
// ValidationException lists what failed, as AWS does) and calls the
// manager; the manager's error kinds map to the API's exception names in
// one table. Timestamps travel as epoch seconds with a millisecond
// fraction.
//
// # Caveats
//
// Operations shardcast does not run (Lambda outputs, Firehose inputs)
// answer UnsupportedOperationException with a message saying what to
// use instead.
package analytics
