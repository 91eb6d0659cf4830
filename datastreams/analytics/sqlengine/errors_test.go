package sqlengine

import (
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Runtime errors become error_stream rows and the pump goes on.
func TestErrorStream(t *testing.T) {
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM"
           (ticker_symbol VARCHAR(4),
            sector        VARCHAR(12),
            change        DOUBLE,
            price         DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM ticker_symbol, sector, change, (price / 0) as ProblemColumn
      FROM "SOURCE_SQL_STREAM_001"
      WHERE sector SIMILAR TO '%TECH%';
CREATE OR REPLACE STREAM "OK_STREAM" (ticker_symbol VARCHAR(4), n INTEGER);
CREATE OR REPLACE PUMP "INT_PUMP" AS INSERT INTO "OK_STREAM"
  SELECT STREAM ticker_symbol, CAST(CHANGE AS INTEGER) / CAST(PRICE - PRICE AS INTEGER) FROM "SOURCE_SQL_STREAM_001";`, demoSchema)
	rows, ins := demoRows(13, 100, ts("10:00:00"))
	out := runChecked(t, p, ins, ts("11:00:00"))
	errs := pick(out, ErrorStream)
	tech := 0
	for _, r := range rows {
		if strings.Contains(r.sect, "TECH") {
			tech++
		}
	}
	// REAL / 0 may be an error or infinity; INTEGER / 0 must be an error
	intErrs, realErrs := 0, 0
	for _, e := range errs {
		if len(e.Values) != len(ErrorStreamColumns) {
			t.Fatalf("error row %v", rowText(e))
		}
		switch e.Values[6].S {
		case "INT_PUMP":
			intErrs++
		case "STREAM_PUMP":
			realErrs++
		}
		if e.Values[1].S != "ERROR" || e.Values[3].S == "" || e.Values[4].I != e.Rowtime {
			t.Fatalf("error row %v", rowText(e))
		}
	}
	if intErrs != len(rows) {
		t.Fatalf("%d INTEGER division errors, want %d", intErrs, len(rows))
	}
	dest := pick(out, "DESTINATION_SQL_STREAM")
	if realErrs+len(dest) != tech {
		t.Fatalf("%d errors + %d rows for %d TECH rows", realErrs, len(dest), tech)
	}
	if len(pick(out, "OK_STREAM")) != 0 {
		t.Fatal("rows with a failed expression reached the stream")
	}
	t.Logf("REAL division by zero: %d errors, %d rows", realErrs, len(dest))
}

// A value that does not fit the target column is an error row, not a
// stop: TINYINT overflow, as the anomaly example warns.
func TestInsertOverflowIsAnErrorRow(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("heartRate", "INTEGER")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "S" ("hr" TINYINT);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "S" SELECT STREAM "heartRate" FROM "SOURCE_SQL_STREAM_001";`, schema)
	out := runChecked(t, p, []in{{src, 1, []sqltypes.Value{integer(90)}}, {src, 2, []sqltypes.Value{integer(190)}}, {src, 3, []sqltypes.Value{integer(100)}}}, 10)
	if got := rowsOf(out, "S"); len(got) != 2 {
		t.Fatalf("rows: %v", got)
	}
	if got := pick(out, ErrorStream); len(got) != 1 || got[0].Values[6].S != "P" {
		t.Fatalf("errors: %v", show(out))
	}
}

func TestPlanErrors(t *testing.T) {
	demo := demoSchema
	create := "CREATE STREAM \"D\" (a VARCHAR(4), n BIGINT);\n"
	cases := []struct {
		code         string
		line, column int
		msg          string
	}{
		{"CREATE STREAM x (a INTEGER", 1, 27, ""},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol;`,
			2, 110, "ROWTIME-based"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM sector, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '1' MINUTE);`,
			2, 48, "neither grouped"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(DISTINCT sector) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE);`,
			2, 63, "DISTINCT"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE), STEP(ROWTIME BY INTERVAL '1' SECOND);`,
			2, 151, "only one"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) OVER (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM "SOURCE_SQL_STREAM_001";`,
			2, 107, "CURRENT ROW"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001";`,
			2, 63, "GROUP BY"},
		{create + `CREATE PUMP p AS INSERT INTO "NOPE" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";`,
			2, 30, "does not exist"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "NOPE";`,
			2, 70, "does not exist"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, nope FROM "SOURCE_SQL_STREAM_001";`,
			2, 63, "NOPE"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001";`,
			2, 1, "2 target columns"},
		{"CREATE STREAM error_stream (a INTEGER);", 1, 15, "reserved"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE STREAM "D" (a INTEGER);`, 3, 26, "has a pump"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";
CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";`, 3, 13, "already exists"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM a.ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001" AS a JOIN "SOURCE_SQL_STREAM_001" AS b ON a.ticker_symbol = b.ticker_symbol;`,
			2, 72, "needs a window"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, price FROM "SOURCE_SQL_STREAM_001" WHERE price;`,
			2, 104, "BOOLEAN"},
		{create + `CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001" ORDER BY price;`,
			2, 103, "ROWTIME"},
		{create + `CREATE PUMP p AS INSERT INTO error_stream SELECT STREAM ticker_symbol, 1 FROM "SOURCE_SQL_STREAM_001";`,
			2, 30, "reserved"},
	}
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) { wantPlanError(t, c.code, demo, c.line, c.column, c.msg) })
	}
}

// CREATE OR REPLACE of a pump replaces it.
func TestReplacePump(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (a VARCHAR(4));
CREATE OR REPLACE PUMP p AS INSERT INTO "D" SELECT STREAM sector FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001";`, demoSchema)
	_, ins := demoRows(14, 3, 0)
	out := runChecked(t, p, ins, 10000)
	for i, r := range pick(out, "D") {
		if r.Values[0].S != ins[i].vals[0].S {
			t.Fatalf("row %d: %v", i, rowText(r))
		}
	}
}

func FuzzCompile(f *testing.F) {
	seeds := []string{rcfCode, joinCode(`"ORDERS" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS o JOIN "SHIPMENTS" AS s ON o."orderid" = s."orderid"`),
		`CREATE STREAM "D" (a VARCHAR(4), n BIGINT); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(ROWTIME TO MINUTE) HAVING COUNT(*) > 2;`,
		`CREATE STREAM "D" (a VARCHAR(4), n DOUBLE); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM ticker_symbol, AVG(price) OVER w FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY ticker_symbol ROWS 3 PRECEDING);`,
		`CREATE STREAM "D" (a VARCHAR(4), n BIGINT); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM * FROM TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM ticker_symbol FROM "SOURCE_SQL_STREAM_001"), 'TICKER_SYMBOL', 3, 10));`,
		`CREATE STREAM "D" (a TIMESTAMP, b VARCHAR(4), n INTEGER); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM FLOOR(ROWTIME TO MINUTE), ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY FLOOR(ROWTIME TO MINUTE), ticker_symbol RANGE INTERVAL '1' MINUTE);`,
		`CREATE STREAM "D" (a VARCHAR(4)); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM CASE WHEN price BETWEEN 1 AND 2 THEN 'x' WHEN sector IN ('A', 'B') THEN NULL ELSE ticker_symbol END FROM (SELECT STREAM * FROM "SOURCE_SQL_STREAM_001") AS s WHERE NOT (change IS NULL) ORDER BY ROWTIME, 1;`,
	}
	seeds = append(seeds, `CREATE STREAM "D" (a VARCHAR(4)); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM s.ROWTIME - INTERVAL '2' SECOND AS ROWTIME, ticker_symbol FROM "SOURCE_SQL_STREAM_001" AS s ORDER BY s.ROWTIME - INTERVAL '2' SECOND WITHIN INTERVAL '5' SECOND;`)
	seeds = append(seeds, `CREATE STREAM "D" (x DOUBLE, y DOUBLE, h VARCHAR(100));
CREATE PUMP p AS INSERT INTO "D" SELECT * FROM TABLE(HOTSPOTS(CURSOR(SELECT STREAM change, price FROM "SOURCE_SQL_STREAM_001"), 100, 0.5, 3));`,
		`CREATE FUNCTION f(a INTEGER) RETURNS INTEGER RETURN a * 2; CREATE STREAM "D" (n INTEGER); CREATE PUMP p AS INSERT INTO "D" SELECT STREAM DISTINCT f(1) FROM "SOURCE_SQL_STREAM_001" AS s, "SHIPMENTS" OVER (ROWS 2 PRECEDING) AS t;`)
	for _, s := range seeds {
		f.Add(s)
	}
	schemas := append(append([]StreamSchema(nil), demoSchema...), joinSchema...)
	lib := testLib()
	f.Fuzz(func(t *testing.T, code string) {
		p, err := Compile(code, Env{Inputs: schemas, Functions: lib})
		if err != nil {
			return
		}
		// what compiles runs a few rows without panicking
		r, err := p.NewRunner(nil)
		if err != nil {
			t.Fatal(err)
		}
		_, ins := demoRows(1, 20, 0)
		for i, x := range ins {
			r.Push(src, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
			r.Push("ORDERS", sqltypes.Row{Rowtime: x.at, Values: []sqltypes.Value{integer(int64(i % 3))}})
		}
		snap, err := r.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.NewRunner(snap); err != nil {
			t.Fatal(err)
		}
		r.Advance(1 << 40)
		r.Take()
	})
}
