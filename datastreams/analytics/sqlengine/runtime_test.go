package sqlengine

import (
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Two pumps with different windows feed one stream; an idle Advance that
// jumps over several window ends still delivers that stream's rows in
// ROWTIME order, and the downstream windows see them so.
func TestAdvanceKeepsStreamsOrdered(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "MERGED" (ticker VARCHAR(4), n BIGINT);
CREATE PUMP "MINUTES" AS INSERT INTO "MERGED"
  SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '60' SECOND);
CREATE PUMP "STAGGERED" AS INSERT INTO "MERGED"
  SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY ticker_symbol RANGE INTERVAL '25' SECOND);
CREATE STREAM "TOTALS" (n BIGINT);
CREATE PUMP "TOTAL" AS INSERT INTO "TOTALS"
  SELECT STREAM SUM(n) FROM "MERGED" GROUP BY STEP(ROWTIME BY INTERVAL '30' SECOND);`, demoSchema)
	_, ins := demoRows(15, 40, ts("10:00:00"))
	out := runChecked(t, p, ins, ins[len(ins)-1].at+10*60000)
	last := int64(0)
	merged := pick(out, "MERGED")
	for _, r := range merged {
		if r.Rowtime < last {
			t.Fatalf("MERGED out of order: %s after %s", rowText(r), ttext(last))
		}
		last = r.Rowtime
	}
	var sum, total int64
	for _, r := range merged {
		sum += r.Values[1].I
	}
	for _, r := range pick(out, "TOTALS") {
		total += r.Values[0].I
	}
	if sum != 2*int64(len(ins)) || total != sum {
		t.Fatalf("MERGED counts %d rows, TOTALS %d, want %d", sum, total, 2*len(ins))
	}
}

// State is bounded by the windows: after the watermark passes them,
// nothing of the rows is kept.
func TestStateIsPrunedOnAdvance(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), a DOUBLE, b BIGINT);
CREATE PUMP "P" AS INSERT INTO "D"
  SELECT STREAM ticker_symbol, AVG(price) OVER (PARTITION BY ticker_symbol RANGE INTERVAL '10' SECOND PRECEDING), 0 FROM "SOURCE_SQL_STREAM_001";
CREATE STREAM "E" (t VARCHAR(4), b BIGINT);
CREATE PUMP "Q" AS INSERT INTO "E"
  SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY ticker_symbol RANGE INTERVAL '5' SECOND);`, demoSchema)
	r, err := p.NewRunner(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, ins := demoRows(16, 2000, 0)
	for i, x := range ins {
		r.Push(src, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
	}
	r.Advance(ins[len(ins)-1].at + 60000)
	for _, s := range r.rt.states {
		switch n := s.(type) {
		case *slidingNode:
			if len(n.states[0].parts) != 0 || len(n.states[0].fifo) != 0 {
				t.Fatalf("sliding window keeps %d partitions, %d rows", len(n.states[0].parts), len(n.states[0].fifo))
			}
		case *staggerNode:
			if len(n.open) != 0 {
				t.Fatalf("stagger keeps %d windows", len(n.open))
			}
		}
	}
}

// Every output row has its own ID.
func TestRowIDsAreDistinct(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), n BIGINT);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE);
CREATE PUMP "B" AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";
CREATE PUMP "C" AS INSERT INTO "D" SELECT STREAM ticker_symbol, 2 FROM "SOURCE_SQL_STREAM_001";`, demoSchema)
	_, ins := demoRows(17, 500, 0)
	out := runChecked(t, p, ins, 1<<40)
	seen := map[[16]byte]bool{}
	for _, o := range out {
		if seen[o.Row.ID] {
			t.Fatalf("duplicate ID %x: %s", o.Row.ID, rowText(o.Row))
		}
		seen[o.Row.ID] = true
	}
}

func TestSnapshotRejectsOtherPrograms(t *testing.T) {
	a := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4)); CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001";`, demoSchema)
	b := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), n BIGINT);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE);`, demoSchema)
	r, _ := a.NewRunner(nil)
	snap, _ := r.Snapshot()
	if _, err := b.NewRunner(snap); err == nil {
		t.Fatal("a snapshot of another program restored")
	}
	for _, bad := range [][]byte{{}, {9}, append(append([]byte(nil), snap...), 1)} {
		if _, err := a.NewRunner(bad); err == nil {
			t.Fatalf("snapshot %v restored", bad)
		}
	}
}

func FuzzRestore(f *testing.F) {
	p := mustCompile(f, `CREATE STREAM "D" (t VARCHAR(4), n BIGINT, a DOUBLE);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*), AVG(price) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE);
CREATE PUMP "B" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) OVER w, AVG(price) OVER w FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY ticker_symbol ROWS 3 PRECEDING);`, demoSchema)
	r, _ := p.NewRunner(nil)
	_, ins := demoRows(18, 30, 0)
	for i, x := range ins {
		r.Push(src, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
		if i%10 == 0 {
			snap, _ := r.Snapshot()
			f.Add(snap)
		}
	}
	f.Fuzz(func(t *testing.T, snap []byte) {
		r, err := p.NewRunner(snap)
		if err != nil {
			return
		}
		for i, x := range ins {
			r.Push(src, sqltypes.Row{Rowtime: x.at + 1<<30, Values: x.vals, ID: inputID(i)})
		}
		r.Advance(1 << 40)
		r.Take()
	})
}

func TestFunctionsViewsAndUnion(t *testing.T) {
	p := mustCompile(t, `CREATE FUNCTION pct(c DOUBLE, p DOUBLE) RETURNS DOUBLE
  CONTAINS SQL RETURN CASE WHEN p - c = 0 THEN NULL ELSE c / (p - c) * 100 END;
CREATE OR REPLACE VIEW "TECH" AS SELECT STREAM ticker_symbol, pct(change, price) AS pc FROM "SOURCE_SQL_STREAM_001" WHERE sector = 'TECHNOLOGY';
CREATE STREAM "BOTH" (t VARCHAR(4), pc DOUBLE);
CREATE PUMP "U" AS INSERT INTO "BOTH"
  SELECT STREAM ticker_symbol, pc FROM "TECH"
  UNION ALL
  SELECT STREAM ticker_symbol, price FROM "SOURCE_SQL_STREAM_001" WHERE sector = 'RETAIL';`, demoSchema)
	rows, ins := demoRows(23, 200, 0)
	out := runChecked(t, p, ins, 1<<40)
	var want []string
	for _, r := range rows {
		switch r.sect {
		case "TECHNOLOGY":
			v := "NULL"
			if r.price-r.change != 0 {
				v = ftext(r.change / (r.price - r.change) * 100)
			}
			want = append(want, ttext(r.at)+" | "+r.ticker+" | "+v)
		case "RETAIL":
			want = append(want, ttext(r.at)+" | "+r.ticker+" | "+ftext(r.price))
		}
	}
	sameRows(t, "union", rowsOf(out, "BOTH"), want)
	if len(rowsOf(out, "TECH")) == 0 {
		t.Fatal("the view's stream is empty")
	}
}

func TestLateRowTakesTheWatermark(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), n BIGINT);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE);`, demoSchema)
	r, _ := p.NewRunner(nil)
	_, ins := demoRows(24, 2, 0)
	r.Push(src, sqltypes.Row{Rowtime: 1000, Values: ins[0].vals, ID: inputID(0)})
	r.Advance(90000)
	r.Push(src, sqltypes.Row{Rowtime: 2000, Values: ins[0].vals, ID: inputID(1)})
	r.Advance(200000)
	got := rowsOf(r.Take(), "D")
	want := []string{ttext(60000) + " | " + ins[0].vals[0].S + " | 1", ttext(120000) + " | " + ins[0].vals[0].S + " | 1"}
	sameRows(t, "late row", got, want)
}

// SELECT DISTINCT groups on the whole select list, the COUNT_DISTINCT page's
// exact-count idiom.
func TestSelectDistinct(t *testing.T) {
	p := mustCompile(t, `CREATE OR REPLACE STREAM output_stream (ticker_symbol VARCHAR(4), unique_count BIGINT);
CREATE OR REPLACE PUMP stream_pump AS
INSERT INTO output_stream
SELECT STREAM TICKER_SYMBOL, COUNT(distinct_stream.price) AS unique_count
  FROM (
    SELECT STREAM DISTINCT rowtime as window_time,
      TICKER_SYMBOL,
      CHANGE,
      PRICE,
      STEP((SOURCE_SQL_STREAM_001.rowtime) BY INTERVAL '5' SECOND)
      FROM SOURCE_SQL_STREAM_001) as distinct_stream
  GROUP BY TICKER_SYMBOL,
      STEP((distinct_stream.window_time) BY INTERVAL '5' SECOND);`, demoSchema)
	var ins []in
	for i, pr := range []float64{1, 1, 2, 1, 3, 3} {
		at := int64(1000 + i/2) // pairs of rows share a ROWTIME
		ins = append(ins, in{src, at, []sqltypes.Value{str("AMZN"), str("TECH"), real(0), real(pr)}})
	}
	ins = append(ins, in{src, 20000, []sqltypes.Value{str("AMZN"), str("TECH"), real(0), real(9)}})
	out := runChecked(t, p, ins, 60000)
	// distinct (rowtime, price): (1000,1), (1001,2), (1001,1), (1002,3);
	// the outer window's term is a sub-query column, monotonic but not
	// ROWTIME itself: it closes when a row of the next window arrives,
	// at the ROWTIME of its last row (the inner DISTINCT emits a
	// ROWTIME group at ROWTIME + 1 ms)
	sameRows(t, "distinct", rowsOf(out, "OUTPUT_STREAM"), []string{ttext(1003) + " | AMZN | 4"})
}

// A pump that selects ROWTIME inserts the other columns; ROWTIME goes
// with the row.
func TestInsertSkipsSelectedRowtime(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), p REAL);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ROWTIME, ticker_symbol, price FROM "SOURCE_SQL_STREAM_001";`, demoSchema)
	_, ins := demoRows(25, 1, 0)
	out := runChecked(t, p, ins, 1<<40)
	sameRows(t, "rowtime skipped", rowsOf(out, "D"), []string{ttext(ins[0].at) + " | " + ins[0].vals[0].S + " | " + ins[0].vals[3].String()})
}

// One Program runs in several runners at once (the race detector checks
// that they share nothing mutable).
func TestRunnersShareNothing(t *testing.T) {
	p := mustCompile(t, rcfCode, []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("heartRate", "INTEGER"), col("rateType", "VARCHAR(20)")}}})
	q := mustCompile(t, `CREATE STREAM "D" (t VARCHAR(4), n BIGINT, a DOUBLE);
CREATE PUMP "A" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) OVER w, AVG(price) OVER w FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY ticker_symbol ROWS 3 PRECEDING);
CREATE PUMP "B" AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*), 0 FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY ticker_symbol RANGE INTERVAL '1' SECOND);`, demoSchema)
	done := make(chan []string)
	for range 3 {
		go func() {
			a := normalize(run(t, p, heartRates(300), 1<<40, 0, false))
			_, ins := demoRows(26, 300, 0)
			done <- append(a, normalize(run(t, q, ins, 1<<40, 0, false))...)
		}()
	}
	first := <-done
	for range 2 {
		if got := <-done; strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Fatal("concurrent runners of one program disagree")
		}
	}
}
