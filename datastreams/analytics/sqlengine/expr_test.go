package sqlengine

import (
	"math"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

var numSchema = []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("K", "VARCHAR(4)"), col("X", "INTEGER"), col("B", "BOOLEAN")}}}

func numRow(at int64, k string, x *int64, b *bool) in {
	xv, bv := sqltypes.NullOf(sqltypes.Integer), sqltypes.NullOf(sqltypes.Boolean)
	if x != nil {
		xv = integer(*x)
	}
	if b != nil {
		bv = sqltypes.Bool(*b)
	}
	return in{src, at, []sqltypes.Value{str(k), xv, bv}}
}

func ip(i int64) *int64 { return &i }
func bp(b bool) *bool   { return &b }

// Three-valued logic and the predicates the engine evaluates itself.
func TestThreeValuedLogic(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "D" (a BOOLEAN, o BOOLEAN, n BOOLEAN, bt BOOLEAN, nb BOOLEAN, sy BOOLEAN, i BOOLEAN, ni BOOLEAN,
  it BOOLEAN, isf BOOLEAN, iu BOOLEAN, neg INTEGER, c VARCHAR(8), s VARCHAR(8));
CREATE PUMP "P" AS INSERT INTO "D" SELECT STREAM
  B AND X > 1, B OR X > 1, NOT B, X BETWEEN 1 AND 3, X NOT BETWEEN 1 AND 3, X BETWEEN SYMMETRIC 3 AND 1,
  X IN (1, 2, NULL), X NOT IN (5, 6), B IS TRUE, B IS FALSE, B IS UNKNOWN, -X,
  CASE WHEN X > 2 THEN 'big' WHEN X IS NULL THEN 'none' ELSE 'small' END,
  CASE K WHEN 'a' THEN 'A' WHEN 'b' THEN 'B' END
FROM "SOURCE_SQL_STREAM_001";`, numSchema)
	out := runChecked(t, p, []in{
		numRow(1, "a", ip(2), bp(true)),
		numRow(2, "b", ip(0), bp(false)),
		numRow(3, "c", nil, nil),
		numRow(4, "a", ip(3), nil),
	}, 10)
	sameRows(t, "logic", rowsOf(out, "D"), []string{
		ttext(1) + " | TRUE | TRUE | FALSE | TRUE | FALSE | TRUE | TRUE | TRUE | TRUE | FALSE | FALSE | -2 | small | A",
		ttext(2) + " | FALSE | FALSE | TRUE | FALSE | TRUE | FALSE | NULL | TRUE | FALSE | TRUE | FALSE | 0 | small | B",
		ttext(3) + " | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | FALSE | FALSE | TRUE | NULL | none | NULL",
		ttext(4) + " | NULL | TRUE | NULL | TRUE | FALSE | TRUE | NULL | TRUE | FALSE | FALSE | TRUE | -3 | big | A",
	})
}

func TestAggregateFunctions(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "T" (k VARCHAR(4), n BIGINT, c BIGINT, s BIGINT, a INTEGER, mn INTEGER, mx INTEGER, f INTEGER, l INTEGER,
  vp DOUBLE, vs DOUBLE, sp DOUBLE, ss DOUBLE);
CREATE PUMP "TP" AS INSERT INTO "T" SELECT STREAM K, COUNT(*), COUNT(X), SUM(X), AVG(X), MIN(X), MAX(X), FIRST_VALUE(X), LAST_VALUE(X),
  VAR_POP(X), VAR_SAMP(X), STDDEV_POP(X), STDDEV_SAMP(X)
FROM "SOURCE_SQL_STREAM_001" GROUP BY K, FLOOR(ROWTIME TO SECOND);
CREATE STREAM "W" (k VARCHAR(4), lag1 INTEGER, lag2 INTEGER, nth INTEGER, c BIGINT);
CREATE PUMP "WP" AS INSERT INTO "W" SELECT STREAM K, LAG(X) OVER w, LAG(X, 2) OVER w, NTH_VALUE(X, 2) OVER w, COUNT(*) OVER w
FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY K ROWS 3 PRECEDING);
CREATE STREAM "M" (k VARCHAR(4), n BIGINT);
CREATE PUMP "MP" AS INSERT INTO "M" SELECT STREAM K, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY K, MONOTONIC(X);
CREATE STREAM "CD" (n BIGINT);
CREATE PUMP "CDP" AS INSERT INTO "CD" SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'K', 1));`, numSchema)
	var ins []in
	xs := []int64{2, 4, 4, 4, 5, 5, 7, 9}
	for i, x := range xs {
		ins = append(ins, numRow(int64(100+i), "a", ip(x), nil))
	}
	ins = append(ins, numRow(200, "a", nil, nil), numRow(300, "b", ip(1), nil), numRow(1500, "c", ip(10), nil), numRow(1600, "c", ip(10), nil))
	out := runChecked(t, p, ins, 5000)
	got := rowsOf(out, "T")
	// xs: mean 5, population variance 4, sample variance 32/7
	want0 := ttext(1000) + " | a | 9 | 8 | 40 | 5 | 2 | 9 | 2 | 9 | 4 | " + ftext(32.0/7) + " | 2 | " + ftext(math.Sqrt(32.0/7))
	if len(got) != 3 || got[0] != want0 || got[1] != ttext(1000)+" | b | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 0 | NULL | 0 | NULL" {
		t.Fatalf("tumbling aggregates:\n%s\nwant first\n%s", strings.Join(got, "\n"), want0)
	}
	w := rowsOf(out, "W")
	// the 4th row of a: window (2, 4, 4, 4): LAG 4, LAG 2 -> 4, NTH 2 -> 4; the 5th: (4, 4, 4, 5)
	if w[0] != ttext(100)+" | a | NULL | NULL | NULL | 1" || w[1] != ttext(101)+" | a | 2 | NULL | 4 | 2" || w[4] != ttext(104)+" | a | 4 | 4 | 4 | 4" {
		t.Fatalf("sliding LAG/NTH_VALUE: %v", w[:5])
	}
	m := rowsOf(out, "M")
	// MONOTONIC(X) closes a group when X changes: 2 | 4,4,4 | 5,5 | 7 | 9 | NULL skipped | 1 | 10,10
	if len(m) != 6 || m[1] != ttext(103)+" | a | 3" || m[2] != ttext(105)+" | a | 2" {
		t.Fatalf("MONOTONIC groups: %v", m)
	}
	cd := rowsOf(out, "CD")
	sameRows(t, "distinct items", cd, []string{ttext(1000) + " | 2", ttext(2000) + " | 1"})
}

// The incrementally kept sliding aggregates agree with a recomputation
// over the window, NULLs included.
func TestSlidingIncrementalAgrees(t *testing.T) {
	p := mustCompile(t, `CREATE STREAM "R" (k VARCHAR(4), c BIGINT, cx BIGINT, s BIGINT, a INTEGER, mn INTEGER, mx INTEGER);
CREATE PUMP "RP" AS INSERT INTO "R" SELECT STREAM K, COUNT(*) OVER w, COUNT(X) OVER w, SUM(X) OVER w, AVG(X) OVER w, MIN(X) OVER w, MAX(X) OVER w
FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY K RANGE INTERVAL '2' SECOND PRECEDING);
CREATE STREAM "N" (k VARCHAR(4), mn INTEGER, mx INTEGER, s BIGINT);
CREATE PUMP "NP" AS INSERT INTO "N" SELECT STREAM K, MIN(X) OVER w, MAX(X) OVER w, SUM(X) OVER w
FROM "SOURCE_SQL_STREAM_001" WINDOW w AS (PARTITION BY K ROWS 4 PRECEDING);`, numSchema)
	rng := newRand(31)
	var ins []in
	at := int64(0)
	for range 600 {
		at += int64(rng.IntN(300))
		k := []string{"a", "b", "c"}[rng.IntN(3)]
		var x *int64
		if rng.IntN(5) != 0 {
			x = ip(int64(rng.IntN(100) - 50))
		}
		ins = append(ins, numRow(at, k, x, nil))
	}
	out := runCheckedEvery(t, p, ins, at+10000, 3, 7)
	var wantR, wantN []string
	for i, r := range ins {
		var win, last []sqltypes.Value
		for _, o := range ins[:i+1] {
			if o.vals[0].S != r.vals[0].S {
				continue
			}
			last = append(last, o.vals[1])
			if o.at > r.at-2000 {
				win = append(win, o.vals[1])
			}
		}
		last = last[max(0, len(last)-5):]
		agg := func(vs []sqltypes.Value) (n, s int64, mn, mx string) {
			mn, mx = "NULL", "NULL"
			var lo, hi int64
			for _, v := range vs {
				if v.Null {
					continue
				}
				if n == 0 || v.I < lo {
					lo = v.I
				}
				if n == 0 || v.I > hi {
					hi = v.I
				}
				n++
				s += v.I
			}
			if n > 0 {
				mn, mx = integer(lo).String(), integer(hi).String()
			}
			return
		}
		n, s, mn, mx := agg(win)
		ss, av := "NULL", "NULL"
		if n > 0 {
			ss, av = integer(s).String(), integer(s/n).String()
		}
		wantR = append(wantR, strings.Join([]string{ttext(r.at), r.vals[0].S, integer(int64(len(win))).String(), integer(n).String(), ss, av, mn, mx}, " | "))
		n, s, mn, mx = agg(last)
		ss = "NULL"
		if n > 0 {
			ss = integer(s).String()
		}
		wantN = append(wantN, strings.Join([]string{ttext(r.at), r.vals[0].S, mn, mx, ss}, " | "))
	}
	sameRows(t, "range window", rowsOf(out, "R"), wantR)
	sameRows(t, "rows window", rowsOf(out, "N"), wantN)
}
