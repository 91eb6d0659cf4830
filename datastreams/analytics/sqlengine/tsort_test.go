package sqlengine

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

var tsortSchema = []StreamSchema{{Name: src, Columns: []sqltypes.Column{
	col("EVENT_TIME", "TIMESTAMP"), col("V", "INTEGER"),
}}}

const tsortCode = `CREATE OR REPLACE STREAM "SORTED" (event_time TIMESTAMP, v INTEGER);
CREATE OR REPLACE PUMP "SORT_PUMP" AS INSERT INTO "SORTED"
  SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001"
  ORDER BY event_time WITHIN INTERVAL '10' SECOND;
CREATE OR REPLACE STREAM "COUNTS" (minute_start TIMESTAMP, n BIGINT);
CREATE OR REPLACE PUMP "COUNT_PUMP" AS INSERT INTO "COUNTS"
  SELECT STREAM FLOOR(s.ROWTIME TO MINUTE), COUNT(*) FROM "SORTED" s
  GROUP BY FLOOR(s.ROWTIME TO MINUTE);`

// tsortInput makes rows that arrive in order, each with an event time up
// to 14 s before its arrival (so some are beyond the 10 s interval), and
// some NULL times. It returns the rows and, computed here, the sorted
// stream's rows, the late rows' values, and the per-minute counts.
func tsortInput(seed uint64, n int) (rows []in, sorted []string, late []int64, counts []string) {
	const within = 10_000
	r := newRand(seed)
	at := ts("10:00:00")
	type acc struct {
		e   int64
		i   int
		val int64
	}
	var ok []acc
	for i := 0; i < n; i++ {
		at += int64(r.IntN(1500))
		e := at - int64(r.IntN(14_000))
		ev := sqltypes.TimestampMs(e)
		if r.IntN(20) == 0 {
			ev = sqltypes.NullOf(sqltypes.Timestamp)
		}
		rows = append(rows, in{stream: src, at: at, vals: []sqltypes.Value{ev, integer(int64(i))}})
		switch {
		case ev.Null:
		case e < at-within:
			late = append(late, int64(i))
		default:
			ok = append(ok, acc{e, i, int64(i)})
		}
	}
	sort.SliceStable(ok, func(a, b int) bool { return ok[a].e < ok[b].e })
	perMin := map[int64]int64{}
	var mins []int64
	for _, a := range ok {
		sorted = append(sorted, rowText(sqltypes.Row{Rowtime: a.e, Values: []sqltypes.Value{sqltypes.TimestampMs(a.e), integer(a.val)}}))
		m := a.e - a.e%60_000
		if perMin[m] == 0 {
			mins = append(mins, m)
		}
		perMin[m]++
	}
	for _, m := range mins {
		counts = append(counts, fmt.Sprintf("%s | %s | %d", sqltypes.TimestampMs(m+60_000), sqltypes.TimestampMs(m), perMin[m]))
	}
	return rows, sorted, late, counts
}

// The T-sort releases rows in event-time order with the event time as
// ROWTIME, drops NULL times, sends rows beyond the interval to
// error_stream, and a window downstream (its watermark lagging by the
// interval) counts every sorted row; snapshots anywhere change nothing.
func TestTsort(t *testing.T) {
	p := mustCompile(t, tsortCode, tsortSchema)
	for seed := uint64(1); seed <= 3; seed++ {
		rows, sorted, late, counts := tsortInput(seed, 300)
		final := rows[len(rows)-1].at + 120_000
		out := runChecked(t, p, rows, final)
		sameRows(t, "SORTED", rowsOf(out, "SORTED"), sorted)
		sameRows(t, "COUNTS", rowsOf(out, "COUNTS"), counts)
		errs := pick(out, ErrorStream)
		if len(errs) != len(late) {
			t.Fatalf("seed %d: %d error rows, want %d late rows", seed, len(errs), len(late))
		}
		for i, e := range errs {
			if e.Values[2].S != "LateRow" || e.Values[6].S != "SORT_PUMP" || !strings.HasSuffix(e.Values[5].S, hex.EncodeToString([]byte(fmt.Sprint(late[i])))) {
				t.Fatalf("error row %s, want late row %d", rowText(e), late[i])
			}
		}
	}
}

// A sorted row leaves only once the watermark has passed its time plus
// the interval, and never before a row with an earlier time.
func TestTsortRelease(t *testing.T) {
	p := mustCompile(t, tsortCode, tsortSchema)
	rows, _, _, _ := tsortInput(7, 200)
	r, err := p.NewRunner(nil)
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1 << 62)
	for i, x := range rows {
		r.Push(x.stream, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
		for _, o := range r.Take() {
			if o.Stream != "SORTED" {
				continue
			}
			if o.Row.Rowtime+10_000 > x.at {
				t.Fatalf("row %s released at watermark %s", rowText(o.Row), sqltypes.TimestampMs(x.at))
			}
			if o.Row.Rowtime < last {
				t.Fatalf("row %s after a later one", rowText(o.Row))
			}
			last = o.Row.Rowtime
		}
	}
}

func TestTsortPlanErrors(t *testing.T) {
	head := "CREATE OR REPLACE STREAM \"S\" (event_time TIMESTAMP, v INTEGER);\nCREATE OR REPLACE PUMP \"P\" AS INSERT INTO \"S\"\n"
	for _, c := range []struct {
		query string
		at    string // the error points at its last occurrence
		msg   string
	}{
		{`SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time DESC WITHIN INTERVAL '1' SECOND;`, "event_time DESC", "no DESC"},
		{`SELECT STREAM event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time WITHIN INTERVAL '1' SECOND;`, "event_time WITHIN", "AS ROWTIME"},
		{`SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time WITHIN INTERVAL '1' MONTH;`, "INTERVAL '1' MONTH", "day-time INTERVAL"},
		{`SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time WITHIN 5;`, "5;", "day-time INTERVAL"},
		{`SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time, v WITHIN INTERVAL '1' SECOND;`, "v WITHIN", "one term"},
		{`SELECT STREAM v AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY v WITHIN INTERVAL '1' SECOND;`, "v WITHIN", "TIMESTAMP"},
		{`SELECT STREAM event_time, v FROM (SELECT STREAM event_time AS ROWTIME, event_time, v FROM "SOURCE_SQL_STREAM_001" ORDER BY event_time WITHIN INTERVAL '1' SECOND);`, "INTERVAL", "outermost"},
	} {
		wantPlanError(t, head+c.query, tsortSchema, 3, strings.LastIndex(c.query, c.at)+1, c.msg)
	}
}

// A corrupt snapshot of a T-sort buffer is refused or runs on without
// panicking.
func FuzzTsortRestore(f *testing.F) {
	p := mustCompile(f, tsortCode, tsortSchema)
	rows, _, _, _ := tsortInput(3, 40)
	r, _ := p.NewRunner(nil)
	for i, x := range rows {
		r.Push(src, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
		if i%8 == 0 {
			snap, _ := r.Snapshot()
			f.Add(snap)
		}
	}
	f.Fuzz(func(t *testing.T, snap []byte) {
		r, err := p.NewRunner(snap)
		if err != nil {
			return
		}
		for i, x := range rows {
			r.Push(src, sqltypes.Row{Rowtime: x.at + 1<<30, Values: x.vals, ID: inputID(i)})
		}
		r.Advance(1 << 40)
		r.Take()
	})
}
