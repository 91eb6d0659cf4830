package analytics

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/analytics/reccodec"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlengine"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// putLimit is the most records one write to a data stream carries: more
// than the API's 500, as the writes are in process (one append, so one
// fsync, per shard for each); a delivery stream takes firehoseLimit.
const (
	putLimit      = 10000
	firehoseLimit = 500
)

// sink is one output of a running application.
type sink struct {
	id       string
	stream   string // the in-application stream it reads
	format   string
	cols     []sqltypes.Column
	ref      datastreams.StreamRef // a data stream, or
	firehose string                // a delivery stream's name, or
	lambda   *lambdaOutput         // a function's endpoint
	pending  []datastreams.PutEntry
	lastLen  int // how many entries the last write took: pending's size hint
}

func (m *Manager) sinks(st *stored, appARN string, prog *sqlengine.Program) ([]*sink, error) {
	cols := map[string][]sqltypes.Column{sqlengine.ErrorStream: errorColumns}
	if prog != nil {
		for _, s := range prog.Streams() {
			cols[s.Name] = s.Columns
		}
	}
	var out []*sink
	for _, o := range st.Outputs {
		k := &sink{id: o.ID, stream: o.Name, format: reccodec.JSON, cols: cols[o.Name]}
		if o.DestinationSchema != nil && o.DestinationSchema.RecordFormatType == reccodec.CSV {
			k.format = reccodec.CSV
		}
		switch {
		case o.KinesisStreamsOutput != nil:
			k.ref = datastreams.StreamRef{ARN: o.KinesisStreamsOutput.ResourceARN}
		case o.KinesisFirehoseOutput != nil:
			name, ok := firehoseName(o.KinesisFirehoseOutput.ResourceARN)
			if !ok || m.cfg.Firehose == nil {
				return nil, fmt.Errorf("output %s: delivery stream %s cannot be written", o.ID, o.KinesisFirehoseOutput.ResourceARN)
			}
			k.firehose = name
		case o.LambdaOutput != nil:
			url := m.cfg.LambdaEndpoints[o.LambdaOutput.ResourceARN]
			if url == "" {
				return nil, fmt.Errorf("output %s: no endpoint is configured for the function %s", o.ID, o.LambdaOutput.ResourceARN)
			}
			k.lambda = &lambdaOutput{url: url, appARN: appARN, client: &http.Client{Timeout: 5 * time.Minute}}
		default:
			return nil, fmt.Errorf("output %s has no destination shardcast writes", o.ID)
		}
		out = append(out, k)
	}
	return out, nil
}

// add encodes a row for the output.
func (k *sink) add(row sqltypes.Row) {
	var key [2 * len(row.ID)]byte
	hex.Encode(key[:], row.ID[:])
	if k.pending == nil && k.lastLen > 0 {
		k.pending = make([]datastreams.PutEntry, 0, k.lastLen)
	}
	k.pending = append(k.pending, datastreams.PutEntry{PartitionKey: string(key[:]),
		Data: reccodec.Encode(make([]byte, 0, 64), k.format, k.cols, row.Values)})
}

// flush writes entries to the output, retrying failures until they
// succeed or ctx ends (back-pressure, as the service retries without end).
func (m *Manager) flush(ctx context.Context, k *sink, pending []datastreams.PutEntry) error {
	backoff := 50 * time.Millisecond
	retry := 0
	for len(pending) > 0 {
		n := min(len(pending), putLimit)
		if k.firehose != "" {
			n = min(n, firehoseLimit)
		}
		if k.lambda != nil {
			n = min(n, lambdaLimit)
		}
		part := pending[:n]
		var failed []datastreams.PutEntry
		var err error
		switch {
		case k.lambda != nil:
			failed, err = k.lambda.deliver(ctx, part, retry)
		case k.firehose != "":
			data := make([][]byte, n)
			for i, e := range part {
				data[i] = e.Data
			}
			if err = m.cfg.Firehose.PutBatch(ctx, k.firehose, data); err != nil {
				failed = part
			}
		default:
			var out datastreams.PutOutput
			out, err = m.cfg.Streams.PutRecords(ctx, k.ref, part)
			if err != nil {
				failed = part
			} else if out.Failed > 0 {
				for i, r := range out.Results {
					if r.ErrorKind != nil {
						failed = append(failed, part[i])
					}
				}
			}
		}
		if len(failed) == 0 {
			pending = pending[n:]
			backoff, retry = 50*time.Millisecond, 0
			continue
		}
		retry++
		if err != nil {
			m.cfg.Logger.Warn("analytics: write an output (retrying)", "output", k.id, "err", err)
		}
		pending = append(failed, pending[n:]...)
		sleep(ctx, backoff)
		backoff = min(backoff*2, 5*time.Second)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// writeJob is what the runner hands its writer: rows to write, per
// output, or (ack set) a barrier answered once everything before it is
// written.
type writeJob struct {
	parts []writePart
	ack   chan error
}

type writePart struct {
	k       *sink
	entries []datastreams.PutEntry
}

// writer writes the runner's rows in order, beside the runner (so
// computing and writing overlap), until jobs closes or a write fails for
// good (ctx ended); then it answers barriers with the error.
func (m *Manager) writer(ctx context.Context, jobs <-chan writeJob) {
	var failed error
	for j := range jobs {
		for _, p := range j.parts {
			if failed == nil {
				failed = m.flush(ctx, p.k, p.entries)
			}
		}
		if j.ack != nil {
			j.ack <- failed
		}
	}
}

// written lists the partition keys that reached a data-stream output
// since the wall-clock time since (ms): the row ids a run that resumes
// from a checkpoint taken then must not write again.
func (m *Manager) written(ctx context.Context, k *sink, since int64) (map[string]bool, error) {
	seen := map[string]bool{}
	if k.firehose != "" || k.lambda != nil {
		return seen, nil
	}
	shards, err := m.streamShards(k.ref.ARN)
	if err != nil {
		return nil, err
	}
	t := time.UnixMilli(since - 1000)
	for _, sh := range shards {
		it, err := m.cfg.Streams.GetShardIterator(ctx, k.ref, sh.ID, datastreams.AtTimestamp, "", &t)
		if err != nil {
			return nil, err
		}
		for it != "" {
			out, err := m.cfg.Streams.GetRecords(ctx, it, readLimit)
			if err != nil {
				return nil, err
			}
			for _, r := range out.Records {
				seen[r.PartitionKey] = true
			}
			if len(out.Records) == 0 {
				break
			}
			it = out.NextShardIterator
		}
	}
	return seen, nil
}
