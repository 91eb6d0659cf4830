package sqlparse

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

var posType = reflect.TypeOf(Pos{})

// sameTree compares two trees, positions aside; it returns where they
// first differ (a path and the values), or "".
func sameTree(a, b reflect.Value, path string) string {
	if d := diff(a, b); d != "" {
		return path + d
	}
	return ""
}

// diff builds its path only on the way back from a difference, so deep
// trees cost linear time.
func diff(a, b reflect.Value) string {
	if a.Kind() != b.Kind() {
		return ": kind " + a.Kind().String() + " vs " + b.Kind().String()
	}
	switch a.Kind() {
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return ": nil vs non-nil"
			}
			return ""
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return ": " + a.Elem().Type().String() + " vs " + b.Elem().Type().String()
		}
		return diff(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() == posType {
			return ""
		}
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).Type == posType {
				continue
			}
			if d := diff(a.Field(i), b.Field(i)); d != "" {
				return "." + a.Type().Field(i).Name + d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf(": %d vs %d elements", a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diff(a.Index(i), b.Index(i)); d != "" {
				return fmt.Sprintf("[%d]%s", i, d)
			}
		}
		return ""
	case reflect.Float64:
		if a.Float() != b.Float() && !(a.Float() != a.Float() && b.Float() != b.Float()) {
			return fmt.Sprintf(": %v vs %v", a.Float(), b.Float())
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf(": %#v vs %#v", a.Interface(), b.Interface())
	}
	return ""
}

// roundTrip checks that the printed script parses into the same tree.
func roundTrip(t testing.TB, s *Script) {
	t.Helper()
	text := s.String()
	s2, err := parseScript(text, false)
	if err != nil {
		t.Fatalf("printed script does not parse: %v\n%s", err, text)
	}
	if d := sameTree(reflect.ValueOf(s), reflect.ValueOf(s2), "Script"); d != "" {
		t.Fatalf("round trip differs at %s\nprinted: %s", d, text)
	}
}

func TestGuideExamples(t *testing.T) {
	for _, ex := range guideExamples {
		t.Run(ex.name, func(t *testing.T) {
			if ex.statements == 0 {
				q, err := ParseQuery(ex.sql)
				if err != nil {
					t.Fatalf("%v", err)
				}
				sel := leftmostSelect(q)
				if !sel.Stream {
					t.Errorf("SELECT STREAM not marked streaming")
				}
				roundTrip(t, &Script{Statements: []Statement{&CreatePump{Name: Ident{Name: "P"}, Target: Ident{Name: "S"}, Query: q}}})
				return
			}
			s, err := Parse(ex.sql)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if len(s.Statements) != ex.statements {
				t.Fatalf("%d statements, want %d", len(s.Statements), ex.statements)
			}
			roundTrip(t, s)
		})
	}
}

func leftmostSelect(q Query) *Select {
	for {
		switch x := q.(type) {
		case *Select:
			return x
		case *Union:
			q = x.Left
		default:
			return nil
		}
	}
}

func mustParse(t *testing.T, sql string) *Script {
	t.Helper()
	s, err := Parse(sql)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, sql)
	}
	roundTrip(t, s)
	return s
}

func pumpSelect(t *testing.T, sql string) *Select {
	t.Helper()
	s := mustParse(t, `CREATE PUMP p AS INSERT INTO s `+sql)
	return s.Statements[0].(*CreatePump).Query.(*Select)
}

func expr(t *testing.T, sql string) Expr {
	t.Helper()
	e, err := ParseExpr(sql)
	if err != nil {
		t.Fatalf("ParseExpr(%q): %v", sql, err)
	}
	return e
}

func TestStatements(t *testing.T) {
	s := mustParse(t, `
		/* a block
		   comment */
		create or replace stream "Out" (
			a_b INTEGER NOT NULL, "mixed Case" varchar(8), d DECIMAL(10, 2), ts TIMESTAMP,
			f DOUBLE PRECISION, c CHAR VARYING(3)
		) DESCRIPTION 'it''s out';
		CREATE PUMP p1 DESCRIPTION 'copy' AS INSERT INTO "Out" (a_b, "mixed Case") SELECT STREAM 1, 'x' FROM "IN_001";
		CREATE VIEW v (x) AS SELECT STREAM a FROM s;
		CREATE FUNCTION frac(degrees DOUBLE) RETURNS DOUBLE CONTAINS SQL RETURN degrees - FLOOR(degrees);;
	`)
	if len(s.Statements) != 4 {
		t.Fatalf("%d statements", len(s.Statements))
	}
	cs := s.Statements[0].(*CreateStream)
	if !cs.OrReplace || cs.Name != (Ident{Pos: cs.Name.Pos, Name: "Out", Quoted: true}) || *cs.Description != "it's out" {
		t.Errorf("stream: %+v", cs)
	}
	if cs.Pos != (Pos{4, 3}) || cs.Name.Pos != (Pos{4, 28}) {
		t.Errorf("positions: %v %v", cs.Pos, cs.Name.Pos)
	}
	want := []sqltypes.Column{
		{Name: "A_B", Type: sqltypes.Type{Kind: sqltypes.Integer, NotNull: true}},
		{Name: "mixed Case", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 8}},
		{Name: "D", Type: sqltypes.Type{Kind: sqltypes.Decimal, Precision: 10, Scale: 2}},
		{Name: "TS", Type: sqltypes.Type{Kind: sqltypes.Timestamp}},
		{Name: "F", Type: sqltypes.Type{Kind: sqltypes.Double}},
		{Name: "C", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 3}},
	}
	for i, c := range cs.Columns {
		if c.Name.Name != want[i].Name || !reflect.DeepEqual(c.Type, want[i].Type) {
			t.Errorf("column %d: %s %v, want %v", i, c.Name.Name, c.Type, want[i])
		}
	}
	if cs.Columns[1].TypePos != (Pos{5, 39}) {
		t.Errorf("type position %v", cs.Columns[1].TypePos)
	}
	cp := s.Statements[1].(*CreatePump)
	if cp.OrReplace || *cp.Description != "copy" || cp.Target.Name != "Out" || len(cp.Columns) != 2 || cp.Columns[1].Name != "mixed Case" {
		t.Errorf("pump: %+v", cp)
	}
	cv := s.Statements[2].(*CreateView)
	if cv.Name.Name != "V" || len(cv.Columns) != 1 {
		t.Errorf("view: %+v", cv)
	}
	cf := s.Statements[3].(*CreateFunction)
	if cf.Name.Name != "FRAC" || len(cf.Params) != 1 || cf.Returns.Kind != sqltypes.Double ||
		!reflect.DeepEqual(cf.Options, []string{"CONTAINS SQL"}) || Format(cf.Body) != "DEGREES - FLOOR(DEGREES)" {
		t.Errorf("function: %+v body %s", cf, Format(cf.Body))
	}
	if s, err := Parse("  -- nothing\n ; ;"); err != nil || len(s.Statements) != 0 {
		t.Errorf("empty script: %v %v", s, err)
	}
}

func TestSelectClauses(t *testing.T) {
	sel := pumpSelect(t, `SELECT STREAM DISTINCT s.*, a x, b AS "y", COUNT(*) AS n
		FROM src AS s
		WHERE a > 1
		GROUP BY a, STEP(s.ROWTIME BY INTERVAL '1' MINUTE)
		HAVING COUNT(*) > 2
		ORDER BY FLOOR(s.ROWTIME TO SECOND), n DESC`)
	if !sel.Stream || !sel.Distinct || len(sel.Items) != 4 {
		t.Fatalf("%+v", sel)
	}
	if st, ok := sel.Items[0].Expr.(*Star); !ok || st.Qualifier[0].Name != "S" {
		t.Errorf("qualified star: %#v", sel.Items[0].Expr)
	}
	if sel.Items[1].Alias.Name != "X" || sel.Items[2].Alias.Name != "y" || !sel.Items[2].Alias.Quoted {
		t.Errorf("aliases")
	}
	if c := sel.Items[3].Expr.(*Call); !c.Star || c.Name.Name != "COUNT" {
		t.Errorf("COUNT(*): %+v", c)
	}
	step := sel.GroupBy[1].(*Call)
	iv := step.Args[1].(*IntervalLit)
	if step.Name.Name != "STEP" || len(step.Args) != 2 || iv.Ms != 60000 || iv.Unit != "MINUTE" {
		t.Errorf("STEP: %s", Format(step))
	}
	if f := sel.OrderBy[0].Expr.(*Call); f.Name.Name != "FLOOR_TO" || Format(f.Args[1]) != "'SECOND'" {
		t.Errorf("FLOOR TO: %s", Format(f))
	}
	if !sel.OrderBy[1].Desc || sel.Having == nil {
		t.Errorf("order/having")
	}

	sel = pumpSelect(t, `SELECT STREAM ticker, COUNT(ticker) AS c FROM src
		WINDOWED BY STAGGER (PARTITION BY FLOOR(event_time TO MINUTE), ticker RANGE INTERVAL '1' MINUTE)`)
	if sel.Stagger == nil || len(sel.Stagger.PartitionBy) != 2 || sel.Stagger.Range.(*IntervalLit).Ms != 60000 {
		t.Errorf("stagger: %+v", sel.Stagger)
	}

	sel = pumpSelect(t, `SELECT STREAM CAST(ts AS TIMESTAMP) AS ROWTIME, x FROM src ORDER BY ROWTIME WITHIN INTERVAL '2' SECOND`)
	if sel.Within == nil || len(sel.OrderBy) != 1 {
		t.Errorf("t-sort: %+v", sel)
	}

	sel = pumpSelect(t, `SELECT STREAM a, SUM(b) OVER w, AVG(b) OVER (w ROWS 3 PRECEDING),
		MAX(b) OVER (PARTITION BY a ORDER BY c RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
		MIN(b) OVER (RANGE CURRENT ROW), LAG(b, 1) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
		FROM src WINDOW w AS (PARTITION BY a RANGE INTERVAL '10' SECOND PRECEDING), w2 AS (ROWS 2 PRECEDING)`)
	if len(sel.Windows) != 2 || sel.Windows[0].Spec.Frame.Unit != Range || sel.Windows[1].Spec.Frame.Start.Offset.(*Literal).Value.I != 2 {
		t.Errorf("windows: %+v", sel.Windows)
	}
	if o := sel.Items[1].Expr.(*Call).Over; o.Base.Name != "W" || o.Frame != nil {
		t.Errorf("OVER w: %+v", o)
	}
	if o := sel.Items[2].Expr.(*Call).Over; o.Base.Name != "W" || o.Frame.Unit != Rows || o.Frame.Start.Kind != Preceding {
		t.Errorf("OVER (w ROWS ...): %+v", o)
	}
	if f := sel.Items[3].Expr.(*Call).Over.Frame; f.End == nil || f.End.Kind != CurrentRow || f.Start.Offset.(*IntervalLit).Ms != 3600000 {
		t.Errorf("BETWEEN frame: %+v", f)
	}
	if f := sel.Items[4].Expr.(*Call).Over.Frame; f.Start.Kind != CurrentRow || f.End != nil {
		t.Errorf("RANGE CURRENT ROW: %+v", f)
	}
	if f := sel.Items[5].Expr.(*Call).Over.Frame; f.Start.Kind != UnboundedPreceding || f.End.Kind != UnboundedFollowing {
		t.Errorf("unbounded: %+v", f)
	}
}

func TestFrom(t *testing.T) {
	sel := pumpSelect(t, `SELECT STREAM * FROM orders OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS o
		LEFT OUTER JOIN trades OVER w AS t ON o.id = t.id
		CROSS JOIN x, y z
		NATURAL FULL JOIN q
		RIGHT JOIN r USING (id, k)
		WINDOW w AS (ROWS 10 PRECEDING)`)
	j := sel.From.(*Join)
	if j.Kind != RightJoin || len(j.Using) != 2 {
		t.Fatalf("outer join: %+v", j)
	}
	j = j.Left.(*Join)
	if j.Kind != FullJoin || !j.Natural {
		t.Fatalf("natural: %+v", j)
	}
	j = j.Left.(*Join)
	if j.Kind != CommaJoin || j.Right.(*TableRef).Alias.Name != "Z" {
		t.Fatalf("comma: %+v", j)
	}
	j = j.Left.(*Join)
	if j.Kind != CrossJoin || j.On != nil {
		t.Fatalf("cross: %+v", j)
	}
	j = j.Left.(*Join)
	if j.Kind != LeftJoin || j.On == nil {
		t.Fatalf("left: %+v", j)
	}
	o, tr := j.Left.(*TableRef), j.Right.(*TableRef)
	if o.Over.Frame.Start.Offset.(*IntervalLit).Ms != 60000 || o.Alias.Name != "O" {
		t.Errorf("orders: %+v", o)
	}
	if tr.Over.Base.Name != "W" || tr.Alias.Name != "T" {
		t.Errorf("trades: %+v", tr)
	}

	sel = pumpSelect(t, `SELECT STREAM l.r.COLUMN1 FROM (SELECT STREAM W3C_LOG_PARSE("log", 'COMMON') FROM "SRC") AS l(r)`)
	sq := sel.From.(*SubqueryRef)
	if sq.Alias.Name != "L" || len(sq.Columns) != 1 || len(sel.Items[0].Expr.(*Name).Parts) != 3 {
		t.Errorf("subquery: %+v", sq)
	}
	sel = pumpSelect(t, `SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM "S"), 100, 256, 100000, 1)) AS r`)
	tf := sel.From.(*TableFunc)
	if tf.Call.Name.Name != "RANDOM_CUT_FOREST" || len(tf.Call.Args) != 5 || tf.Alias.Name != "R" {
		t.Errorf("table function: %+v", tf)
	}
	if _, ok := tf.Call.Args[0].(*Cursor); !ok {
		t.Errorf("cursor: %#v", tf.Call.Args[0])
	}
	s := mustParse(t, `CREATE PUMP p AS INSERT INTO s
		SELECT STREAM a FROM x UNION ALL SELECT STREAM a FROM y INTERSECT SELECT STREAM a FROM z`)
	u := s.Statements[0].(*CreatePump).Query.(*Union)
	if u.Op != "UNION" || !u.All || u.Right.(*Union).Op != "INTERSECT" {
		t.Errorf("set operators: %s", Format(u))
	}
	// an ORDER BY after a union sorts the union; in parentheses it is the
	// last query's
	s = mustParse(t, `CREATE PUMP p AS INSERT INTO s
		SELECT STREAM x, y FROM t1 UNION ALL SELECT STREAM a, b FROM t2 ORDER BY ROWTIME, MOD(x, 5)`)
	u = s.Statements[0].(*CreatePump).Query.(*Union)
	if len(u.OrderBy) != 2 || len(u.Right.(*Select).OrderBy) != 0 {
		t.Errorf("union ORDER BY: %s", Format(u))
	}
	s = mustParse(t, `CREATE PUMP p AS INSERT INTO s
		(SELECT STREAM x FROM t1 ORDER BY ROWTIME) UNION ALL (SELECT STREAM a FROM t2 ORDER BY ROWTIME)
		UNION ALL SELECT STREAM c FROM t3 INTERSECT SELECT STREAM d FROM t4 ORDER BY ROWTIME WITHIN INTERVAL '1' SECOND`)
	u = s.Statements[0].(*CreatePump).Query.(*Union)
	if len(u.OrderBy) != 1 || u.Within == nil || len(u.Right.(*Union).OrderBy) != 0 ||
		len(u.Left.(*Union).Right.(*Select).OrderBy) != 1 || len(u.Left.(*Union).Left.(*Select).OrderBy) != 1 {
		t.Errorf("parenthesized ORDER BY: %s", Format(u))
	}
	if q, err := ParseQuery(`VALUES (1, 'a'), ROW(2, 'b')`); err != nil || len(q.(*Values).Rows) != 2 {
		t.Errorf("VALUES: %v %v", q, err)
	}
}

func TestExpressions(t *testing.T) {
	cases := []struct{ in, want string }{
		// precedence, shown by the printer's parentheses
		{"a OR b AND NOT c = d", "A OR B AND NOT C = D"},
		{"(a OR b) AND c", "(A OR B) AND C"},
		{"a || b + c * -d % e", "A || B + C * -D % E"},
		{"(a + b) * c - (d - e)", "(A + B) * C - (D - E)"},
		{"NOT a IS NOT NULL", "NOT A IS NOT NULL"},
		{"a != b", "A <> B"},
		{"x IS UNKNOWN OR y IS TRUE OR z IS NOT FALSE", "X IS UNKNOWN OR Y IS TRUE OR Z IS NOT FALSE"},
		{"a NOT BETWEEN SYMMETRIC 1 AND 2 + 3", "A NOT BETWEEN SYMMETRIC 1 AND 2 + 3"},
		{"a BETWEEN 1 AND 2 AND b", "A BETWEEN 1 AND 2 AND B"},
		{"a NOT IN (1, 2, 3)", "A NOT IN (1, 2, 3)"},
		{"s NOT LIKE 'a!%%' ESCAPE '!'", "S NOT LIKE 'a!%%' ESCAPE '!'"},
		{"sector SIMILAR TO '%TECH%'", "SECTOR SIMILAR TO '%TECH%'"},
		{"CASE WHEN a > 1 THEN 'x' WHEN a < 0 THEN 'y' ELSE NULL END", "CASE WHEN A > 1 THEN 'x' WHEN A < 0 THEN 'y' ELSE NULL END"},
		{"CASE a WHEN 1 THEN 2 END", "CASE A WHEN 1 THEN 2 END"},
		{"CAST(x AS varchar(10))", "CAST(X AS VARCHAR(10))"},
		{"CAST(x AS double precision)", "CAST(X AS DOUBLE)"},
		{"COUNT(DISTINCT x)", "COUNT(DISTINCT X)"},
		{"SUBSTRING(s FROM 2 FOR 3)", "SUBSTRING(S FROM 2 FOR 3)"},
		{"SUBSTRING(s, 2, 3)", "SUBSTRING(S FROM 2 FOR 3)"},
		{"POSITION('.com' IN r) - 4", "POSITION('.com' IN R) - 4"},
		{"TRIM(s)", "TRIM(BOTH ' ' FROM S)"},
		{"TRIM(LEADING 'x' FROM s)", "TRIM(LEADING 'x' FROM S)"},
		{"TRIM(TRAILING FROM s)", "TRIM(TRAILING ' ' FROM S)"},
		{"TRIM('x' FROM s)", "TRIM(BOTH 'x' FROM S)"},
		{"OVERLAY(s PLACING 'ab' FROM 2 FOR 1)", "OVERLAY(S PLACING 'ab' FROM 2 FOR 1)"},
		{"EXTRACT(second FROM event_time)", "EXTRACT(SECOND FROM EVENT_TIME)"},
		{"CEILING(x TO HOUR) + CEIL(y)", "CEIL(X TO HOUR) + CEIL(Y)"},
		{"STEP(x BY 10)", "STEP(X BY 10)"},
		{"CURRENT_ROW_TIMESTAMP - CURRENT_TIMESTAMP()", "CURRENT_ROW_TIMESTAMP - CURRENT_TIMESTAMP"},
		{"LOCALTIMESTAMP > CURRENT_DATE", "LOCALTIMESTAMP > CURRENT_DATE"},
		{"\"t\".\"Company\"", "\"t\".\"Company\""},
		{"- - 5", "- -5"},
		{"x'0aFF' = X'0AFF'", "X'0AFF' = X'0AFF'"},
		{"1e3 + 1.50 + .5 + 12345678901", "1E3 + 1.50 + .5 + 12345678901"},
		{"TIMESTAMP '2026-01-01 00:00:00' + INTERVAL '1:30' MINUTE TO SECOND", "TIMESTAMP '2026-01-01 00:00:00' + INTERVAL '1:30' MINUTE TO SECOND"},
		{"DATE '2026-02-03' < TIME '10:11:12.5'", "DATE '2026-02-03' < TIME '10:11:12.5'"},
		{"INTERVAL '2' DAY(3) + INTERVAL -'5' MINUTE - INTERVAL '-1' HOUR", "INTERVAL '2' DAY(3) + INTERVAL -'5' MINUTE - INTERVAL '-1' HOUR"},
		{"'it''s'", "'it''s'"},
		{"a = b = c", "A = B = C"},
		{"a = (b = c)", "A = (B = C)"},
		{"(a IS NULL) IS NULL", "A IS NULL IS NULL"},
		{"NOT (a AND b)", "NOT (A AND B)"},
		{"u&'can''t\\0009' || U&'!+01F600!!' UESCAPE '!'", "'can''t\t' || '\U0001F600!'"},
		{"(t1 - t2) MINUTE TO SECOND(3) + (a - b) DAY", "(T1 - T2) MINUTE TO SECOND(3) + (A - B) DAY"},
		{"(a - b) * 2", "(A - B) * 2"},
	}
	for _, c := range cases {
		e := expr(t, c.in)
		if got := Format(e); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, got, c.want)
		}
		e2 := expr(t, Format(e))
		if d := sameTree(reflect.ValueOf(&e).Elem(), reflect.ValueOf(&e2).Elem(), "Expr"); d != "" {
			t.Errorf("%s: round trip differs at %s", c.in, d)
		}
	}
}

func TestLiterals(t *testing.T) {
	lit := func(s string) *Literal { return expr(t, s).(*Literal) }
	if l := lit("42"); !reflect.DeepEqual(l.Value, sqltypes.Int(42)) || l.Type.Kind != sqltypes.Integer {
		t.Errorf("42: %+v", l)
	}
	if l := lit("3000000000"); !reflect.DeepEqual(l.Value, sqltypes.BigIntV(3000000000)) {
		t.Errorf("bigint: %+v", l)
	}
	if l := lit("12.50"); l.Value.K != sqltypes.Decimal || l.Value.F != 12.5 || l.Type.Precision != 4 || l.Type.Scale != 2 {
		t.Errorf("decimal: %+v", l)
	}
	if l := lit("1.5e-3"); !reflect.DeepEqual(l.Value, sqltypes.Float(0.0015)) {
		t.Errorf("double: %+v", l)
	}
	if l := lit("'abc'"); l.Value.K != sqltypes.Char || l.Value.S != "abc" || l.Type.Len != 3 {
		t.Errorf("string: %+v", l)
	}
	if l := lit("TRUE"); !l.Value.Truth() {
		t.Errorf("true: %+v", l)
	}
	if l := lit("UNKNOWN"); !l.Value.Null || l.Value.K != sqltypes.Boolean {
		t.Errorf("unknown: %+v", l)
	}
	if l := lit("NULL"); !l.Value.Null || l.Value.K != sqltypes.Null {
		t.Errorf("null: %+v", l)
	}
	if l := lit("X'00ff'"); l.Value.S != "\x00\xff" {
		t.Errorf("binary: %+v", l)
	}
	if l := lit("TIMESTAMP '2026-01-02 03:04:05.678'"); !reflect.DeepEqual(l.Value, sqltypes.TimestampMs(1767323045678)) {
		t.Errorf("timestamp: %+v", l.Value)
	}
	if l := lit("DATE '1970-01-02'"); !reflect.DeepEqual(l.Value, sqltypes.DateMs(86400000)) {
		t.Errorf("date: %+v", l.Value)
	}
	if l := lit("TIME '01:00:01'"); !reflect.DeepEqual(l.Value, sqltypes.TimeMs(3601000)) {
		t.Errorf("time: %+v", l.Value)
	}
	ivs := map[string]struct{ ms, months int64 }{
		"INTERVAL '5' MINUTE":                  {300000, 0},
		"INTERVAL '1:30' MINUTE TO SECOND":     {90000, 0},
		"INTERVAL '2' DAY(3)":                  {2 * 86400000, 0},
		"INTERVAL '1 2:03:04.5' DAY TO SECOND": {86400000 + 2*3600000 + 3*60000 + 4500, 0},
		"INTERVAL '3 4' DAY TO HOUR":           {3*86400000 + 4*3600000, 0},
		"INTERVAL -'10' SECOND":                {-10000, 0},
		"INTERVAL '-1:01' HOUR TO MINUTE":      {-3660000, 0},
		"INTERVAL '1-6' YEAR TO MONTH":         {0, 18},
		"INTERVAL '0.25' SECOND":               {250, 0},
	}
	for in, want := range ivs {
		iv := expr(t, in).(*IntervalLit)
		if iv.Ms != want.ms || iv.Months != want.months {
			t.Errorf("%s: %d ms %d months, want %v", in, iv.Ms, iv.Months, want)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	n := expr(t, `abc.DeF."GhI"."a""b"`).(*Name)
	want := []Ident{{Name: "ABC"}, {Name: "DEF"}, {Name: "GhI", Quoted: true}, {Name: `a"b`, Quoted: true}}
	for i, id := range n.Parts {
		if id.Name != want[i].Name || id.Quoted != want[i].Quoted {
			t.Errorf("part %d: %+v", i, id)
		}
	}
	if got := Format(n); got != `ABC.DEF."GhI"."a""b"` {
		t.Errorf("printed %s", got)
	}
	// a quoted name that is a keyword, or lower case, stays quoted
	if got := FormatIdent(Ident{Name: "FROM"}); got != `"FROM"` {
		t.Errorf("reserved: %s", got)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		sql       string
		line, col int
		msg       string
	}{
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a WHERE b", 1, 48, "expected FROM after SELECT list, found WHERE"},
		{"CREATE STREAM s (a INTEGER,\n  b VARCHAR)", 2, 5, "VARCHAR needs a length"},
		{"CREATE STREAM s (a BLOB)", 1, 20, "unknown type"},
		{"CREATE TABLE t (a INTEGER)", 1, 8, "expected STREAM, PUMP, VIEW or FUNCTION after CREATE, found TABLE"},
		{"SELECT STREAM * FROM s", 1, 1, "expected CREATE, found SELECT"},
		{"CREATE STREAM s (a INTEGER) CREATE STREAM t (b INTEGER)", 1, 29, "expected ; or end of input"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a, FROM x", 1, 49, "expected an expression, found FROM"},
		{"CREATE PUMP p AS INSERT INTO s\n  SELECT STREAM 'abc FROM x", 2, 17, "string is not closed"},
		{"CREATE STREAM \"s (a INTEGER)", 1, 15, "quoted identifier is not closed"},
		{"CREATE STREAM s (a INTEGER) /* open", 1, 29, "comment /* is not closed"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a # b FROM x", 1, 48, "unexpected character '#'"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM x WHERE b = INTERVAL '5' WEEK", 1, 78, "expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM INTERVAL '1:xx' MINUTE TO SECOND FROM x", 1, 55, "is not a valid INTERVAL MINUTE TO SECOND"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM INTERVAL '1' SECOND TO MINUTE FROM x", 1, 69, "is not an interval type"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM TIMESTAMP '2026-13-01 00:00:00' FROM x", 1, 56, "is not of the form"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM X'ABC' FROM x", 1, 46, "odd number of hex digits"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM x GROUP BY a WINDOWED BY STAGGER (PARTITION BY a RANGE INTERVAL '1' MINUTE)", 1, 66, "WINDOWED BY replaces GROUP BY"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM SUM(a) OVER (PARTITION a) FROM x", 1, 69, "expected BY after PARTITION, found A"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM SUM(a) OVER (ROWS 2) FROM x", 1, 65, "expected PRECEDING or FOLLOWING after the window size, found )"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM x WHERE a IN (SELECT b FROM y)", 1, 67, "IN (SELECT ...) is not supported"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM TABLE(x) AS t", 1, 59, "TABLE( ) takes a table function call"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM CASE END FROM x", 1, 51, "expected WHEN in CASE, found END"},
		{"CREATE PUMP p AS INSERT s SELECT STREAM a FROM x", 1, 25, "expected INTO after INSERT, found S"},
		{"CREATE PUMP p AS INSERT INTO s (a, b", 1, 37, "expected ) after the column names, found end of input"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM x ORDER BY a UNION ALL SELECT STREAM a FROM y", 1, 66, "ORDER BY comes after the last query of a UNION"},
		{"CREATE STREAM s (a DECIMAL(30, 2))", 1, 20, "precision 1..19"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM 1.5.5 FROM x", 1, 49, "expected FROM after SELECT list, found .5"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM 12abc FROM x", 1, 48, "unexpected 'a' after the number 12"},
		{"CREATE STREAM \"\" (a INTEGER)", 1, 15, "empty quoted identifier"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM U&'\\00' FROM x", 1, 46, "needs 4 hex digits"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM (a - b) SECOND TO MINUTE FROM x", 1, 64, "an interval unit smaller than SECOND"},
		{"CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM x\nWHERE 1e999 > a", 2, 7, "out of range"},
	}
	for _, c := range cases {
		_, err := Parse(c.sql)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not an *Error", c.sql, err)
			continue
		}
		if pe.Line != c.line || pe.Column != c.col || !strings.Contains(pe.Message, c.msg) {
			t.Errorf("%q:\n got %d:%d %s\nwant %d:%d ...%s...", c.sql, pe.Line, pe.Column, pe.Message, c.line, c.col, c.msg)
		}
	}
}

func TestLimits(t *testing.T) {
	long := "CREATE STREAM s (a INTEGER);" + strings.Repeat(" ", MaxCodeLength)
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "the limit is 102400") {
		t.Errorf("long code: %v", err)
	}
	// exactly at the limit is fine
	ok := "CREATE STREAM s (a INTEGER);"
	ok += strings.Repeat(" ", MaxCodeLength-len(ok))
	if _, err := Parse(ok); err != nil {
		t.Errorf("code at the limit: %v", err)
	}
	for _, deep := range []string{
		strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000),
		strings.Repeat("- ", 1000) + "1",
		strings.Repeat("NOT ", 1000) + "a",
		strings.Repeat("f(", 1000) + "1" + strings.Repeat(")", 1000),
		strings.Repeat("CASE WHEN ", 1000) + "1",
		strings.Repeat("CAST(", 1000) + "1",
	} {
		_, err := ParseExpr(deep)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("deep nesting: %v", err)
		}
	}
	// a long chain of operators is not nesting: it parses, prints and
	// reads back
	chain := "CREATE PUMP p AS INSERT INTO s SELECT STREAM " + strings.Repeat("a + ", 20000) + "a FROM x"
	s, err := Parse(chain)
	if err != nil {
		t.Fatalf("long chain: %v", err)
	}
	roundTrip(t, s)
	deepQuery := "CREATE PUMP p AS INSERT INTO s " + strings.Repeat("SELECT STREAM * FROM (", 1000) + "SELECT STREAM * FROM x" + strings.Repeat(") AS t", 1000)
	if _, err := Parse(deepQuery); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep query: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, ex := range guideExamples {
		f.Add(ex.sql)
	}
	for _, s := range []string{
		"CREATE FUNCTION f(x INTEGER) RETURNS INTEGER LANGUAGE SQL NOT DETERMINISTIC RETURN x + 1",
		"CREATE VIEW v AS SELECT STREAM a FROM x UNION ALL SELECT STREAM a FROM y",
		"CREATE PUMP p AS INSERT INTO s SELECT STREAM TRIM(LEADING 'x' FROM a), OVERLAY(a PLACING b FROM 1), EXTRACT(HOUR FROM t) FROM x",
		"CREATE PUMP p AS INSERT INTO s SELECT STREAM * FROM a NATURAL JOIN b, c CROSS JOIN d RIGHT JOIN e USING (k)",
		"CREATE PUMP p AS INSERT INTO s VALUES (1, INTERVAL '1 2:03:04' DAY TO SECOND), (X'AB', DATE '2020-01-01')",
		"CREATE PUMP p AS INSERT INTO s SELECT STREAM U&'a\\0041' || u&'x!+00263Ay' UESCAPE '!', (a - b) HOUR TO MINUTE FROM x UNION ALL SELECT STREAM 1, 2 FROM y ORDER BY ROWTIME WITHIN INTERVAL '1' SECOND",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		s, err := Parse(code)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Column < 1 {
				t.Fatalf("error %v is not an *Error with a position", err)
			}
			return
		}
		roundTrip(t, s)
	})
}
