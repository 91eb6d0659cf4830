// Package prefix evaluates the S3 prefixes of a Firehose destination
// (Prefix and ErrorOutputPrefix with their !{namespace:value} expressions)
// and names the objects written under them.
//
// # Basics
//
// New validates a Config the way CreateDeliveryStream does and returns a
// Prefixes. The engine asks PartitionOf for each processed record, keeps
// one buffer per partition, and when a buffer flushes evaluates
// Prefix(oldest arrival, partition keys) once for the object; ObjectKey then
// appends "<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>". Failed
// records go under ErrorPrefix(oldest arrival, error output type).
//
// The expressions are:
//
//	!{timestamp:<pattern>}           the oldest record's arrival, in CustomTimeZone
//	!{firehose:random-string}        11 random characters, new at each occurrence
//	!{firehose:error-output-type}    ErrorOutputPrefix only
//	!{partitionKeyFromQuery:<key>}   Prefix only, dynamic partitioning
//	!{partitionKeyFromLambda:<key>}  Prefix only, dynamic partitioning
//
// Without a Prefix, objects go under yyyy/MM/dd/HH/; a Prefix without
// expressions gets that time path appended by plain concatenation ("logs"
// gives "logs2026/07/13/14/"), as AWS does.
//
// # Caveats
//
// Timestamp patterns support the subset of Java's DateTimeFormatter that
// prefixes use: the letters y u M d H m s S (see parseLayout) and quoted
// text; other letters are refused at validation rather than printed wrong.
//
// Where AWS's behaviour is not documented, the layout is our choice: a
// Prefix with only !{firehose:random-string} gets no time path appended;
// error objects without an ErrorOutputPrefix go under
// Prefix + "<error-output-type>/" + yyyy/MM/dd/HH/, and an ErrorOutputPrefix
// without expressions gets "<error-output-type>/" + yyyy/MM/dd/HH/ appended.
// With dynamic partitioning the Prefix must name at least one partition
// key (AWS refuses a timestamp-only Prefix then, by users' reports). The error codes CodeMissingKey and CodeTooLong are ours.
package prefix
