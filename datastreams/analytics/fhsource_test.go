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

func (f fhLog) ReleaseLog(name, reader string) { f.e.ReleaseLog(name, reader) }

// openFirehose opens a Firehose engine in memory with one DirectPut
// delivery stream called name.
func (w *world) openFirehose(t *testing.T, name string) *firehose.Engine {
	t.Helper()
	e, err := firehose.Open(firehose.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(nil), Keyring: w.ring,
		Account: testAccount, Region: "us-east-1", Objects: objstore.NewDir(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	cfg := `{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::000000000000:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":60}}`
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
	put := func(from, n int) {
		var data [][]byte
		for i := from; i < from+n; i++ {
			data = append(data, fmt.Appendf(nil, `{"n":%d}`, i))
		}
		if _, _, err := fh.Put(ctx, "ticks", data); err != nil {
			t.Fatal(err)
		}
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM",
		KinesisFirehoseInput: &ResourceRole{ResourceARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/ticks", RoleARN: testRole},
		InputSchema:          &SourceSchema{RecordFormat: &RecordFormat{RecordFormatType: "JSON"}, RecordColumns: []RecordColumn{{Name: "N", Mapping: "$.n", SqlType: "INTEGER"}}}}
	code := `CREATE OR REPLACE STREAM "D" (n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM n FROM "SOURCE_SQL_STREAM_001";`
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
	recs := w.waitRecords("out", 10)
	var got []int
	for _, r := range recs {
		var v map[string]int
		if err := json.Unmarshal(r.Data, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v["N"])
	}
	sort.Ints(got)
	if fmt.Sprint(got) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Fatalf("rows %v", got)
	}
}
