// Package audit is shardcast's audit log, in the role CloudTrail plays
// for AWS: one JSON line per control-plane call, per denied call and per
// admin call, written to a file rotated by size and, optionally, appended
// to a Kinesis data stream so it can be queried with the rest.
//
// # Basics
//
// Open starts a Log; callers Record an Event for each call that Audited
// says belongs in it, and Close it at shutdown. Record only appends to a
// bounded queue under a mutex: one goroutine encodes what has queued and
// writes it in batches (group commit: one write and one fsync a batch,
// however many callers recorded into it), so a request never waits for
// the disk. When the queue is full, Record drops the event, counts it
// (Stats.Dropped) and warns at most once a minute.
//
// A line is one JSON object and a newline, the Event's fields with the
// names of its json tags, eventTime in RFC 3339 with milliseconds in UTC:
//
//	{"eventTime":"2026-12-02T15:52:21.123Z","accessKeyId":"AKID","principal":"arn:aws:iam::000000000000:user/AKID","action":"kinesis:CreateStream","resource":"arn:aws:kinesis:us-east-1:000000000000:stream/s","result":"allowed","status":200,"protocol":"api","sourceAddress":"192.0.2.1:50100","requestId":"…"}
//
// Names and values from requests are untrusted: every string is escaped
// (control characters, invalid UTF-8 as U+FFFD, U+2028 and U+2029) and
// cut at MaxField bytes, so no request can break a line or make one
// large.
//
// The file (Config.Path, created 0600 in a 0700 directory) is rotated by
// size: when the next line would take it past Config.MaxBytes it is
// closed, audit.log.{N-1} is renamed to audit.log.N … audit.log to
// audit.log.1 (the newest) and a new file is opened; the directory is
// fsynced. Rotation happens between lines only: a line never spans two
// files. Flush returns once everything recorded before it is written and
// fsynced.
//
// A write that fails (a full disk) is retried with backoff, from the
// last line known to be synced (the file is cut back to it), and nothing
// in the batch is lost; new events queue meanwhile and, once the queue is
// full, are dropped and counted.
//
// Config.Sink gets each line after the file has it, from a goroutine of
// its own with a bounded queue (as long as Config.Queue): in order, one
// line at a time, each retried with backoff until the Sink takes it. The
// partition key is the event's principal (or access key id, or
// "anonymous"), the data the line without its newline. Lines that find
// the Sink's queue full are counted in Stats.SinkFailed; the file writer
// never waits for the Sink.
//
// Audited is the policy of what is logged: every denied call; every
// admin ("shardcast:...") and sts action; every control-plane action;
// the data-plane actions (DataPlane: record and media reads and writes)
// only when denied.
//
// # Caveats
//
// Dropping is deliberate: an audit log that could stall requests when the
// disk is slow or full would be a way to stop the service. Watch
// Stats.Dropped (and the warnings) when the log must be complete.
//
// A crash while a line is being written can leave a partial last line;
// the next Open starts on a new line, so that partial line stands alone
// and a reader should skip lines that do not parse. The same happens
// when a failed write cannot be cut back.
//
// A line reaches the Sink at least once when the Sink returns an error
// after all (a timeout on a call that took effect): its consumers may see
// duplicates. Lines still queued for the Sink at Close get a few seconds;
// then they are counted as failed. The Sink must not itself go through
// the audited API path, or a denied append would audit itself.
//
// Flush covers the file only: without a file (Path "") it returns once
// the lines are in the Sink's queue, not once the Sink has them.
//
// An existing file keeps its mode; only a file Open or rotation creates
// is made 0600.
package audit
