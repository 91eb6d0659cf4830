package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

const countCode = `CREATE OR REPLACE STREAM "COUNTS" (ticker VARCHAR(4), n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "COUNTS"
  SELECT STREAM ticker, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`

// A manager closed mid-run checkpoints; the next one resumes the
// application from that checkpoint (its snapshot in the checkpoint log,
// as the inline limit is tiny) and every window is counted once, with
// the records put while no manager ran.
func TestCheckpointRecovery(t *testing.T) {
	w := newWorld(t)
	w.createStream("in", 1)
	w.createStream("out", 1)
	cfg := Config{CheckpointInterval: 50 * time.Millisecond, InlineSnapshot: 8, ArrivalSlack: 300 * time.Millisecond}
	m := w.manager(cfg)
	ctx := context.Background()
	in := jsonInput("in", RecordColumn{Name: "TICKER", Mapping: "$.ticker", SqlType: "VARCHAR(4)"})
	if _, err := m.Create(ctx, CreateInput{Name: "app", Code: countCode, Inputs: []Input{in}, Outputs: []Output{streamOut("COUNTS", "out", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "app", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "app", StatusRunning)
	batch := func(n int) {
		var recs []map[string]any
		for i := range n {
			recs = append(recs, map[string]any{"ticker": []string{"A", "B", "C"}[i%3]})
		}
		w.put("in", 1, recs...)
	}
	batch(30)
	time.Sleep(1100 * time.Millisecond)
	batch(12)
	time.Sleep(200 * time.Millisecond)
	m.Close()
	defs, err := w.catalog.Load(ctx, Kind)
	if err != nil || len(defs) != 1 {
		t.Fatal(err, defs)
	}
	st := mustStored(defs[0])
	if st.Checkpoint == nil || st.Checkpoint.SnapshotSeq == nil || len(st.Checkpoint.Snapshot) != 0 {
		t.Fatalf("checkpoint %+v: want a snapshot in the log", st.Checkpoint)
	}
	batch(9) // while no manager runs

	m = w.manager(cfg)
	defer m.Close()
	waitStatus(t, m, "app", StatusRunning)
	time.Sleep(300 * time.Millisecond)
	batch(6)

	want := map[string]int{}
	for _, r := range w.records("in") {
		var v map[string]string
		json.Unmarshal(r.Data, &v)
		want[fmt.Sprintf("%s@%d", v["ticker"], r.Arrival.UnixMilli()/1000)]++
	}
	var wantRows []string
	perWindow := map[string]int{}
	for k, n := range want {
		tk, _, _ := strings.Cut(k, "@")
		perWindow[fmt.Sprintf("%s=%d", tk, n)]++
	}
	for k, n := range perWindow {
		for range n {
			wantRows = append(wantRows, k)
		}
	}
	sort.Strings(wantRows)
	w.waitRecords("out", len(wantRows))
	time.Sleep(1200 * time.Millisecond)
	out := w.records("out")
	var got []string
	for _, r := range out {
		var v map[string]any
		json.Unmarshal(r.Data, &v)
		got = append(got, fmt.Sprintf("%s=%v", v["TICKER"], v["N"]))
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(wantRows, " ") {
		t.Fatalf("windows\n got %v\nwant %v", got, wantRows)
	}
}

// Stop then LAST_STOPPED_POINT resumes each input where it stopped: no
// record is read twice, none is skipped.
func TestLastStoppedPoint(t *testing.T) {
	w := newWorld(t)
	w.createStream("in", 2)
	w.createStream("out", 1)
	m := w.manager(Config{CheckpointInterval: 50 * time.Millisecond})
	defer m.Close()
	ctx := context.Background()
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4));
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM ticker FROM "SOURCE_SQL_STREAM_001";`
	in := jsonInput("in", RecordColumn{Name: "TICKER", Mapping: "$.ticker", SqlType: "VARCHAR(4)"})
	if _, err := m.Create(ctx, CreateInput{Name: "copy", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("D", "out", "CSV")}}); err != nil {
		t.Fatal(err)
	}
	start := func(pos string) {
		t.Helper()
		if err := m.Start(ctx, "copy", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: pos}}}); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, m, "copy", StatusRunning)
	}
	start(StartTrimHorizon)
	w.put("in", 2, map[string]any{"ticker": "A"}, map[string]any{"ticker": "B"})
	w.waitRecords("out", 2)
	if err := m.Stop(ctx, "copy"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "copy", StatusReady)
	w.put("in", 2, map[string]any{"ticker": "C"}, map[string]any{"ticker": "D"})
	start(StartLastStoppedPoint)
	w.waitRecords("out", 4)
	time.Sleep(300 * time.Millisecond)
	out := w.records("out")
	var got []string
	for _, r := range out {
		got = append(got, strings.TrimSpace(string(r.Data)))
	}
	sort.Strings(got)
	if strings.Join(got, "") != "ABCD" {
		t.Fatalf("rows %v", got)
	}
}

// A crash after rows were written but before the checkpoint that covers
// them: the manager resumes from an older checkpoint (put back in the
// catalog, as a kill -9 leaves it), computes those rows again, finds their
// ids in the output stream and writes none of them twice.
func TestResumeSuppressesRowsWritten(t *testing.T) {
	w := newWorld(t)
	w.createStream("in", 1)
	w.createStream("out", 2)
	cfg := Config{CheckpointInterval: 50 * time.Millisecond}
	m := w.manager(cfg)
	ctx := context.Background()
	in := jsonInput("in", RecordColumn{Name: "TICKER", Mapping: "$.ticker", SqlType: "VARCHAR(4)"})
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4), n INTEGER);
CREATE OR REPLACE PUMP "P1" AS INSERT INTO "D" SELECT STREAM ticker, 1 FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE PUMP "P2" AS INSERT INTO "D" SELECT STREAM ticker, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`
	if _, err := m.Create(ctx, CreateInput{Name: "app", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("D", "out", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "app", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "app", StatusRunning)
	w.put("in", 1, map[string]any{"ticker": "A"}, map[string]any{"ticker": "B"})
	w.waitRecords("out", 2)
	time.Sleep(200 * time.Millisecond) // checkpointed past them
	old, err := w.catalog.Load(ctx, Kind)
	if err != nil {
		t.Fatal(err)
	}
	oldCP := mustStored(old[0]).Checkpoint
	if oldCP == nil {
		t.Fatal("no checkpoint yet")
	}
	// More rows, and windows that close, after that checkpoint.
	w.put("in", 1, map[string]any{"ticker": "A"}, map[string]any{"ticker": "C"})
	time.Sleep(1100 * time.Millisecond)
	w.put("in", 1, map[string]any{"ticker": "D"})
	n := len(w.waitRecords("out", 7)) // the five single rows and at least two window results
	m.Close()
	// The crash: the catalog still holds the older checkpoint.
	cur, _ := w.catalog.Load(ctx, Kind)
	def := cur[0].Clone()
	st := mustStored(def)
	st.Checkpoint = oldCP
	st.encode(def)
	def.Version++
	if err := w.catalog.Put(ctx, def); err != nil {
		t.Fatal(err)
	}
	m = w.manager(cfg)
	defer m.Close()
	waitStatus(t, m, "app", StatusRunning)
	time.Sleep(1500 * time.Millisecond)
	out := w.records("out")
	keys := map[string]bool{}
	for _, r := range out {
		if keys[r.PartitionKey] {
			t.Errorf("row %s written twice: %s", r.PartitionKey, r.Data)
		}
		keys[r.PartitionKey] = true
	}
	if len(out) < n {
		t.Fatalf("%d rows, had %d before the restart", len(out), n)
	}
}
