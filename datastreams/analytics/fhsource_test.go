package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// fhLog gives a Firehose engine's logs to the manager, as cmd does.
type fhLog struct{ e *firehose.Engine }

func (f fhLog) SeekLog(ctx context.Context, name string, t time.Time) (uint64, error) {
	return f.e.SeekLog(ctx, name, t)
}

func (f fhLog) ReadLog(ctx context.Context, name, reader string, from uint64, limit int) ([]DeliveryRecord, error) {
	recs, err := f.e.ReadLog(ctx, name, reader, from, limit)
	out := make([]DeliveryRecord, len(recs))
	for i, r := range recs {
		out[i] = DeliveryRecord{Seq: r.Seq, Arrival: r.Arrival, Data: r.Data}
	}
	return out, err
}

func (f fhLog) HoldLog(ctx context.Context, name, reader string, from uint64) error {
	return f.e.HoldLog(ctx, name, reader, from)
}

func (f fhLog) ReleaseLog(ctx context.Context, name, reader string) error {
	return f.e.ReleaseLog(ctx, name, reader)
}

// openFirehose opens a Firehose engine in memory with one DirectPut
// delivery stream called name.
func (w *world) openFirehose(t *testing.T, name string) *firehose.Engine {
	t.Helper()
	return w.openFirehoseIn(t, name, registry.NewMemCatalog(), shard.NewMemStore(nil), t.TempDir(), 60, true)
}

// openFirehoseIn opens a Firehose engine over cat and store, creating the
// delivery stream name (buffering for interval seconds) when create.
func (w *world) openFirehoseIn(t *testing.T, name string, cat registry.Catalog, store shard.Store, dir string, interval int, create bool) *firehose.Engine {
	t.Helper()
	e, err := firehose.Open(firehose.Config{Catalog: cat, Store: store, Keyring: w.ring,
		Account: testAccount, Region: "us-east-1", Objects: objstore.NewDir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if !create {
		return e
	}
	cfg := fmt.Sprintf(`{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::000000000000:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":%d}}`, interval)
	if _, err := e.Create(context.Background(), firehose.CreateInput{Name: name,
		Destination: firehose.DestinationConfig{Kind: firehose.DestExtendedS3, Config: json.RawMessage(cfg)}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// A Firehose input reads the delivery stream's records from its start
// on; a manager restarted mid-run resumes from the checkpoint, with the
// records put while none ran, each row written once.
func TestFirehoseInputResumes(t *testing.T) {
	w := newWorld(t)
	w.createStream("out", 1)
	fh := w.openFirehose(t, "ticks")
	cfg := Config{FirehoseInputs: fhLog{fh}, CheckpointInterval: 50 * time.Millisecond}
	m := w.manager(cfg)
	ctx := context.Background()
	put := func(from, n int) { putNs(t, fh, "ticks", from, n) }
	in, code := ticksInput(), ticksCode
	bad := in
	bad.KinesisFirehoseInput = &ResourceRole{ResourceARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/none", RoleARN: testRole}
	if _, err := m.Create(ctx, CreateInput{Name: "x", Code: code, Inputs: []Input{bad}}); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("a missing delivery stream: %v", err)
	}
	if _, err := m.Create(ctx, CreateInput{Name: "app", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("D", "out", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	start := func(pos string) error {
		return m.Start(ctx, "app", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: pos}}})
	}
	if err := start(StartTrimHorizon); !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), "TRIM_HORIZON") {
		t.Fatalf("TRIM_HORIZON: %v", err)
	}
	put(0, 5) // before a start from the last stopped point, with none: read
	d, err := m.Discover(ctx, DiscoverInput{ResourceARN: in.KinesisFirehoseInput.ResourceARN, Start: StartTrimHorizon})
	if err != nil || len(d.RawInputRecords) != 5 || len(d.InputSchema.RecordColumns) != 1 || d.InputSchema.RecordColumns[0].Mapping != "$.n" {
		t.Fatalf("discover: %+v, %v", d, err)
	}
	if err := start(StartLastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "app", StatusRunning)
	w.waitRecords("out", 5)
	time.Sleep(150 * time.Millisecond) // a checkpoint or more
	m.Close()
	put(5, 3) // while no manager runs

	m = w.manager(cfg)
	defer m.Close()
	waitStatus(t, m, "app", StatusRunning)
	put(8, 2)
	w.wantNs("out", "[0 1 2 3 4 5 6 7 8 9]")
}

// What a Firehose input has not checkpointed outlives a restart of the
// delivery stream too: the records put while no application ran were
// delivered to the bucket, and the restarted delivery stream's retention
// ran before the application read them, yet it reads every one.
func TestFirehoseInputHoldOutlivesRestart(t *testing.T) {
	w := newWorld(t)
	w.createStream("out", 1)
	cat, store, dir := registry.NewMemCatalog(), shard.NewMemStore(nil), t.TempDir()
	fh := w.openFirehoseIn(t, "ticks", cat, store, dir, 0, true)
	cfg := Config{FirehoseInputs: fhLog{fh}, CheckpointInterval: 50 * time.Millisecond}
	m := w.manager(cfg)
	ctx := context.Background()
	put := func(from, n int) { putNs(t, fh, "ticks", from, n) }
	delivered := func() {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			st := fh.Stats()
			if len(st) == 1 && len(st[0].Destinations) == 1 && st[0].Destinations[0].Checkpoint == st[0].LogNext {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not delivered: %+v", st)
			}
		}
	}
	in, code := ticksInput(), ticksCode
	if _, err := m.Create(ctx, CreateInput{Name: "app", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("D", "out", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "app", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartNow}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "app", StatusRunning)
	put(0, 5)
	w.waitRecords("out", 5)
	time.Sleep(150 * time.Millisecond) // a checkpoint or more
	m.Close()
	put(5, 3) // while no application runs: delivered, then the restart
	delivered()
	fh.Close()

	fh = w.openFirehoseIn(t, "ticks", cat, store, dir, 0, false)
	fh.EnforceRetention()
	cfg.FirehoseInputs = fhLog{fh}
	m = w.manager(cfg)
	defer m.Close()
	waitStatus(t, m, "app", StatusRunning)
	put(8, 2)
	w.wantNs("out", "[0 1 2 3 4 5 6 7 8 9]")
	// Deleting the application releases the hold.
	a, err := m.Describe("app")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "app", StatusReady)
	if err := m.Delete(ctx, "app", a.CreateTimestamp); err != nil {
		t.Fatal(err)
	}
	delivered()
	fh.EnforceRetention()
	if st := fh.Stats(); st[0].LogFirst != st[0].LogNext {
		t.Fatalf("after the delete, the log keeps %d..%d", st[0].LogFirst, st[0].LogNext)
	}
}

// ticksInput reads the delivery stream ticks: JSON records {"n": N}.
func ticksInput() Input {
	return Input{NamePrefix: "SOURCE_SQL_STREAM",
		KinesisFirehoseInput: &ResourceRole{ResourceARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/ticks", RoleARN: testRole},
		InputSchema:          &SourceSchema{RecordFormat: &RecordFormat{RecordFormatType: "JSON"}, RecordColumns: []RecordColumn{{Name: "N", Mapping: "$.n", SqlType: "INTEGER"}}}}
}

// ticksCode copies ticksInput's N into the in-application stream D.
const ticksCode = `CREATE OR REPLACE STREAM "D" (n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM n FROM "SOURCE_SQL_STREAM_001";`

// putNs puts the records {"n": from} to {"n": from+n-1} into a delivery
// stream.
func putNs(t *testing.T, fh *firehose.Engine, name string, from, n int) {
	t.Helper()
	var data [][]byte
	for i := from; i < from+n; i++ {
		data = append(data, fmt.Appendf(nil, `{"n":%d}`, i))
	}
	if _, _, err := fh.Put(context.Background(), name, data); err != nil {
		t.Fatal(err)
	}
}

// wantNs waits for as many JSON rows in stream as want lists and checks
// their N values, sorted, against want (fmt's form of an []int).
func (w *world) wantNs(stream, want string) {
	w.t.Helper()
	recs := w.waitRecords(stream, strings.Count(want, " ")+1)
	var got []int
	for _, r := range recs {
		var v map[string]int
		if err := json.Unmarshal(r.Data, &v); err != nil {
			w.t.Fatal(err)
		}
		got = append(got, v["N"])
	}
	sort.Ints(got)
	if fmt.Sprint(got) != want {
		w.t.Fatalf("rows %v, want %s", got, want)
	}
}
