package sqlengine

import (
	"encoding/json"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

const rcfCode = `--Creates a temporary stream.
CREATE OR REPLACE STREAM "TEMP_STREAM" (
	        "heartRate"        INTEGER,
	        "rateType"         varchar(20),
	        "ANOMALY_SCORE"    DOUBLE);

--Creates another stream for application output.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
	        "heartRate"        INTEGER,
	        "rateType"         varchar(20),
	        "ANOMALY_SCORE"    DOUBLE);

-- Compute an anomaly score for each record in the input stream
-- using Random Cut Forest
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
   INSERT INTO "TEMP_STREAM"
      SELECT STREAM "heartRate", "rateType", ANOMALY_SCORE
      FROM TABLE(RANDOM_CUT_FOREST(
              CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001")));

-- Sort records by descending anomaly score, insert into output stream
CREATE OR REPLACE PUMP "OUTPUT_PUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM * FROM "TEMP_STREAM"
      ORDER BY FLOOR("TEMP_STREAM".ROWTIME TO SECOND), ANOMALY_SCORE DESC;`

// heartRates is the guide's generator: 99% NORMAL 60-100, 1% HIGH
// 150-200, ten a second.
func heartRates(n int) []in {
	rng := rand.New(rand.NewPCG(21, 21))
	var ins []in
	at := ts("10:00:00")
	for i := range n {
		hr, kind := int64(60+rng.IntN(41)), "NORMAL"
		if rng.IntN(100) == 0 && i > 300 {
			hr, kind = int64(150+rng.IntN(51)), "HIGH"
		}
		ins = append(ins, in{src, at + int64(i)*100, []sqltypes.Value{integer(hr), str(kind)}})
	}
	return ins
}

func TestExampleRandomCutForest(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("heartRate", "INTEGER"), col("rateType", "VARCHAR(20)")}}}
	p := mustCompile(t, rcfCode, schema)
	ins := heartRates(3000)
	out := run(t, p, ins, ins[len(ins)-1].at+1000, 0, false)
	temp := pick(out, "TEMP_STREAM")
	if len(temp) != len(ins) {
		t.Fatalf("TEMP_STREAM has %d rows, want %d", len(temp), len(ins))
	}
	for i, r := range temp[:256] {
		if s := r.Values[2].F; s != 0 {
			t.Fatalf("row %d scored %v during warm-up", i, s)
		}
	}
	var normal, high []float64
	for _, r := range temp[256:] {
		if r.Values[1].S == "HIGH" {
			high = append(high, r.Values[2].F)
		} else {
			normal = append(normal, r.Values[2].F)
		}
	}
	sort.Float64s(normal)
	p99 := normal[len(normal)*99/100]
	above := 0
	for _, h := range high {
		if h > 1.5*p99 {
			above++
		}
	}
	// the stated margin: nine in ten anomalies score above 1.5 times the
	// 99th percentile of the normal rows
	if len(high) < 10 || above*10 < len(high)*9 {
		t.Fatalf("%d of %d HIGH rows score above 1.5 x p99 of NORMAL (%.3f)", above, len(high), p99)
	}
	t.Logf("normal median %.3f, p99 %.3f; %d/%d HIGH above 1.5 x p99", normal[len(normal)/2], p99, above, len(high))

	// the output pump sorts each second by score, descending
	dest := pick(out, "DESTINATION_SQL_STREAM")
	if len(dest) != len(ins) {
		t.Fatalf("DESTINATION_SQL_STREAM has %d rows, want %d", len(dest), len(ins))
	}
	for i := 1; i < len(dest); i++ {
		a, b := dest[i-1], dest[i]
		if a.Rowtime/1000 > b.Rowtime/1000 || a.Rowtime/1000 == b.Rowtime/1000 && a.Values[2].F < b.Values[2].F {
			t.Fatalf("rows %d and %d out of order: %s / %s", i-1, i, rowText(a), rowText(b))
		}
	}
	// replay after a snapshot scores alike (the forest is seeded from
	// the pump and saved with the state)
	short := ins[:400]
	runCheckedEvery(t, p, short, short[len(short)-1].at+1000, 97, 250)
}

func pick(out []Output, stream string) []sqltypes.Row {
	var rows []sqltypes.Row
	for _, o := range out {
		if o.Stream == stream {
			rows = append(rows, o.Row)
		}
	}
	return rows
}

func TestRandomCutForestWithExplanation(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("Systolic", "INTEGER"), col("Diastolic", "INTEGER"), col("BloodPressureLevel", "VARCHAR(20)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "TEMP_STREAM" (
	"Systolic"                  INTEGER,
	"Diastolic"                 INTEGER,
	"BloodPressureLevel"        varchar(20),
	"ANOMALY_SCORE"             DOUBLE,
	"ANOMALY_EXPLANATION"       varchar(512));

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "TEMP_STREAM"
SELECT STREAM "Systolic", "Diastolic", "BloodPressureLevel", ANOMALY_SCORE, ANOMALY_EXPLANATION
FROM TABLE(RANDOM_CUT_FOREST_WITH_EXPLANATION(
    CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 100, 256, 100000, 1, true
));`, schema)
	rng := rand.New(rand.NewPCG(22, 22))
	var ins []in
	for i := range 1500 {
		s, d, lvl := int64(90+rng.IntN(31)), int64(60+rng.IntN(21)), "NORMAL"
		if i > 300 && rng.IntN(200) == 0 {
			s, d, lvl = int64(160+rng.IntN(20)), int64(60+rng.IntN(21)), "HIGH"
		}
		ins = append(ins, in{src, ts("10:00:00") + int64(i)*100, []sqltypes.Value{integer(s), integer(d), str(lvl)}})
	}
	out := pick(run(t, p, ins, ts("11:00:00"), 0, false), "TEMP_STREAM")
	sawHigh := false
	for _, r := range out[256:] {
		var exp map[string]map[string]string
		if err := json.Unmarshal([]byte(r.Values[4].S), &exp); err != nil {
			t.Fatalf("explanation %q: %v", r.Values[4].S, err)
		}
		sys, ok := exp["Systolic"]
		if !ok || len(exp) != 2 || len(sys["ATTRIBUTION_SCORE"]) == 0 || sys["DIRECTION"] == "" {
			t.Fatalf("explanation %q lacks the columns' attribution", r.Values[4].S)
		}
		if r.Values[2].S == "HIGH" {
			sawHigh = true
			if sys["DIRECTION"] != "HIGH" {
				t.Errorf("a high systolic reading explained as %v", sys)
			}
		}
	}
	if !sawHigh {
		t.Fatal("no HIGH rows in the data")
	}
}
