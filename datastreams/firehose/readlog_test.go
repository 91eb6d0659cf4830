package firehose

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// A reader of the log (an analytics application) keeps what it has not
// read from retention, though every destination delivered it, until it
// releases the log; SeekLog finds records by the time they were stored.
func TestReadLogHolds(t *testing.T) {
	root := t.TempDir()
	e := openTest(t, root, Config{})
	ctx := context.Background()
	cfg := `{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::123456789012:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}`
	if _, err := e.Create(ctx, CreateInput{Name: "d", Destination: DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(cfg)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReadLog(ctx, "d", "app", 0, 0); err != nil { // the hold, before any record
		t.Fatal(err)
	}
	if _, _, err := e.Put(ctx, "d", [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery's checkpoint", func() bool {
		st := e.Stats()
		return len(st) == 1 && len(st[0].Destinations) == 1 && st[0].Destinations[0].Checkpoint == st[0].LogNext
	})
	e.EnforceRetention()
	recs, err := e.ReadLog(ctx, "d", "app", 0, 10)
	if err != nil || len(recs) != 2 || string(recs[0].Data) != "a" || string(recs[1].Data) != "b" || recs[1].Seq <= recs[0].Seq {
		t.Fatalf("read %+v, %v", recs, err)
	}
	if n, err := e.SeekLog(ctx, "d", recs[1].Arrival); err != nil || n != recs[0].Seq {
		t.Fatalf("seek to the batch's time: %d, %v (want %d)", n, err, recs[0].Seq)
	}
	if n, err := e.SeekLog(ctx, "d", recs[1].Arrival.Add(time.Millisecond)); err != nil || n != recs[1].Seq+1 {
		t.Fatalf("seek past the end: %d, %v", n, err)
	}
	if err := e.ReleaseLog(ctx, "d", "app"); err != nil {
		t.Fatal(err)
	}
	e.EnforceRetention()
	if st := e.Stats(); st[0].LogFirst != st[0].LogNext {
		t.Fatalf("after the release: %+v", st[0])
	}
	if _, err := e.ReadLog(ctx, "none", "app", 0, 10); err == nil {
		t.Fatal("read a missing delivery stream")
	}
}

// A hold stored with HoldLog outlives the engine: after a restart,
// before the reader reads again, retention keeps what it holds, and
// ReleaseLog removes the stored hold.
func TestHoldLogSurvivesRestart(t *testing.T) {
	root := t.TempDir()
	cfg := Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(nil)}
	e := openTest(t, root, cfg)
	ctx := context.Background()
	dest := `{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::123456789012:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}`
	if _, err := e.Create(ctx, CreateInput{Name: "d", Destination: DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(dest)}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Put(ctx, "d", [][]byte{[]byte("a"), []byte("b"), []byte("c")}); err != nil {
		t.Fatal(err)
	}
	recs, err := e.ReadLog(ctx, "d", "app", 0, 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("read %+v, %v", recs, err)
	}
	// The reader checkpointed after "a": it resumes at "b".
	if err := e.HoldLog(ctx, "d", "app", recs[1].Seq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery's checkpoint", func() bool {
		st := e.Stats()
		return len(st) == 1 && len(st[0].Destinations) == 1 && st[0].Destinations[0].Checkpoint == st[0].LogNext
	})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openTest(t, root, cfg)
	e.EnforceRetention()
	got, err := e.ReadLog(ctx, "d", "app", recs[1].Seq, 10)
	if err != nil || len(got) != 2 || string(got[0].Data) != "b" || string(got[1].Data) != "c" {
		t.Fatalf("after the restart, read %+v, %v", got, err)
	}
	if err := e.ReleaseLog(ctx, "d", "app"); err != nil {
		t.Fatal(err)
	}
	e.EnforceRetention()
	if st := e.Stats(); st[0].LogFirst != st[0].LogNext {
		t.Fatalf("after the release: %+v", st[0])
	}
	if err := e.HoldLog(ctx, "none", "app", 0); err == nil {
		t.Fatal("held a missing delivery stream")
	}
}
