package sqlfunc

import (
	"strings"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func mustType(s string) sqt.Type {
	if base, ok := strings.CutSuffix(s, " NOT NULL"); ok {
		t := mustType(base)
		t.NotNull = true
		return t
	}
	t, err := sqt.ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCast(t *testing.T) {
	tests := []struct {
		v    sqt.Value
		to   string
		want sqt.Value
	}{
		// the reference's examples: a date as text, CHAR padding, REAL to INTEGER rounds
		{sqt.DateMs(ts("2008-08-23").I), "VARCHAR(10)", sqt.Str("2008-08-23")},
		{sqt.DateMs(ts("2008-08-23").I), "CHAR(12)", sqt.Value{K: sqt.Char, S: "2008-08-23  "}},
		{real32(-1.5), "INTEGER", sqt.Int(-2)},
		{sqt.Float(2.5), "INTEGER", sqt.Int(3)},
		{sqt.Float(2.4), "BIGINT", sqt.BigIntV(2)},
		{sqt.Str(" 42 "), "INTEGER", sqt.Int(42)},
		{sqt.Str("127"), "TINYINT", typed(sqt.TinyInt, 127)},
		{sqt.Str("-32768"), "SMALLINT", typed(sqt.SmallInt, -32768)},
		{sqt.Str("1.5e2"), "DOUBLE", sqt.Float(150)},
		{sqt.Str("3.14159"), "DECIMAL(5,2)", dec(3.14)},
		{sqt.Float(2.345), "DECIMAL(10,1)", dec(2.3)},
		{sqt.Str("abcdef"), "VARCHAR(3)", sqt.Str("abc")},
		{sqt.Str("ab"), "CHAR(4)", sqt.Value{K: sqt.Char, S: "ab  "}},
		{sqt.Str("héllo"), "VARCHAR(2)", sqt.Str("hé")},
		{sqt.Int(42), "VARCHAR(10)", sqt.Str("42")},
		{sqt.Float(100), "VARCHAR(10)", sqt.Str("100.0")},
		{sqt.Float(1e10), "VARCHAR(10)", sqt.Str("1.0E10")},
		{real32(84.51), "VARCHAR(10)", sqt.Str("84.51")},
		{sqt.Bool(true), "VARCHAR(5)", sqt.Str("TRUE")},
		{sqt.Str("True"), "BOOLEAN", sqt.Bool(true)},
		{sqt.Str(" false "), "BOOLEAN", sqt.Bool(false)},
		{sqt.Str("1992-02-14"), "DATE", sqt.DateMs(ts("1992-02-14").I)},
		{sqt.Str("1992-02-14 18:35:44.0"), "TIMESTAMP", ts("1992-02-14 18:35:44")},
		{sqt.Str("1992-02-14 18:35:44.123456"), "TIMESTAMP", sqt.TimestampMs(ts("1992-02-14 18:35:44").I + 123)},
		{sqt.Str("2018-05-09T12:50:41.337510"), "TIMESTAMP", sqt.TimestampMs(ts("2018-05-09 12:50:41").I + 337)},
		{sqt.Str("2018-05-09T12:50:41Z"), "TIMESTAMP", ts("2018-05-09 12:50:41")},
		{sqt.Str("2018-05-09T12:50:41+02:00"), "TIMESTAMP", ts("2018-05-09 10:50:41")},
		{sqt.Str("2018-05-09T12:50:41.5-0130"), "TIMESTAMP", sqt.TimestampMs(ts("2018-05-09 14:20:41").I + 500)},
		{sqt.Str("1992-02-14"), "TIMESTAMP", ts("1992-02-14 00:00:00")},
		{sqt.Str("18:35:44"), "TIME", sqt.TimeMs((18*3600 + 35*60 + 44) * 1000)},
		{ts("1992-02-14 18:35:44.5"), "VARCHAR(30)", sqt.Str("1992-02-14 18:35:44.500")},
		{ts("1992-02-14 18:35:44"), "DATE", sqt.DateMs(ts("1992-02-14").I)},
		{ts("1992-02-14 18:35:44"), "TIME", sqt.TimeMs((18*3600 + 35*60 + 44) * 1000)},
		{sqt.DateMs(ts("1992-02-14").I), "TIMESTAMP", ts("1992-02-14 00:00:00")},
		{sqt.Str("X'0aFF'"), "VARBINARY(4)", sqt.Bytes([]byte{0x0a, 0xff})},
		{sqt.Bytes([]byte{1, 2, 3}), "VARBINARY(2)", sqt.Bytes([]byte{1, 2})},
		{sqt.Bytes([]byte{1}), "BINARY(2)", sqt.Value{K: sqt.Binary, S: "\x01\x00"}},
		{sqt.NullOf(sqt.Varchar), "INTEGER", sqt.NullOf(sqt.Integer)},
		{sqt.Int(5), "DOUBLE", sqt.Float(5)},
		{iv("0 00:00:01.5"), "BIGINT", sqt.BigIntV(1500)},
	}
	for _, tc := range tests {
		got, err := Cast(tc.v, mustType(tc.to))
		if err != nil {
			t.Errorf("CAST(%v AS %s): %v", tc.v, tc.to, err)
			continue
		}
		if !same(got, tc.want) {
			t.Errorf("CAST(%v AS %s) = %q (%s), want %q (%s)", tc.v, tc.to, got, got.K, tc.want, tc.want.K)
		}
	}
}

func TestCastErrors(t *testing.T) {
	tests := []struct {
		v  sqt.Value
		to string
	}{
		{sqt.Int(128), "TINYINT"},
		{sqt.Int(-129), "TINYINT"},
		{sqt.Int(40000), "SMALLINT"},
		{sqt.BigIntV(1 << 40), "INTEGER"},
		{sqt.Float(1e30), "BIGINT"},
		{sqt.Str("abc"), "INTEGER"},
		{sqt.Str("12abc"), "DOUBLE"},
		{sqt.Str("0x10"), "INTEGER"},
		{sqt.Str("maybe"), "BOOLEAN"},
		{sqt.Str("1992-02-30"), "DATE"},
		{sqt.Str("1992-13-01 00:00:00"), "TIMESTAMP"},
		{sqt.Str("25:00:00"), "TIME"},
		{sqt.Float(12345.6), "DECIMAL(4,1)"},
		{sqt.Float(1e39), "REAL"},
		// a date needs 10 characters: the reference shows no row for VARCHAR(9)
		{sqt.DateMs(ts("2008-08-23").I), "VARCHAR(9)"},
		{sqt.Int(12345), "CHAR(3)"},
		{ts("2020-01-01"), "INTEGER"},
		{sqt.NullOf(sqt.Integer), "INTEGER NOT NULL"},
	}
	for _, tc := range tests {
		if got, err := Cast(tc.v, mustType(tc.to)); err == nil {
			t.Errorf("CAST(%v AS %s) = %v, want an error", tc.v, tc.to, got)
		}
	}
}

func TestCanCast(t *testing.T) {
	k := func(k sqt.Kind) sqt.Type { return sqt.Type{Kind: k} }
	yes := [][2]sqt.Kind{
		{sqt.Integer, sqt.Varchar}, {sqt.Double, sqt.TinyInt}, {sqt.Varchar, sqt.Timestamp},
		{sqt.Char, sqt.Boolean}, {sqt.Date, sqt.Timestamp}, {sqt.Timestamp, sqt.Time},
		{sqt.Interval, sqt.BigInt}, {sqt.Boolean, sqt.Varchar}, {sqt.Binary, sqt.Varbinary},
		{sqt.Null, sqt.Date},
	}
	no := [][2]sqt.Kind{
		{sqt.Integer, sqt.Timestamp}, {sqt.Date, sqt.Time}, {sqt.Boolean, sqt.Integer},
		{sqt.Binary, sqt.Varchar}, {sqt.Time, sqt.Date}, {sqt.Interval, sqt.Double},
	}
	for _, p := range yes {
		if !CanCast(k(p[0]), k(p[1])) {
			t.Errorf("CanCast(%s, %s) = false", p[0], p[1])
		}
	}
	for _, p := range no {
		if CanCast(k(p[0]), k(p[1])) {
			t.Errorf("CanCast(%s, %s) = true", p[0], p[1])
		}
	}
}

func TestCommon(t *testing.T) {
	tests := []struct {
		a, b string
		want string
	}{
		{"INTEGER", "BIGINT", "BIGINT"},
		{"SMALLINT", "REAL", "REAL"},
		{"DECIMAL(5,2)", "DECIMAL(10,4)", "DECIMAL(10,4)"},
		{"VARCHAR(4)", "VARCHAR(16)", "VARCHAR(16)"},
		{"CHAR(4)", "CHAR(6)", "CHAR(6)"},
		{"CHAR(4)", "VARCHAR(2)", "VARCHAR(4)"},
		{"DATE", "TIMESTAMP", "TIMESTAMP"},
	}
	for _, tc := range tests {
		got, ok := Common(mustType(tc.a), mustType(tc.b))
		if !ok || got.String() != tc.want {
			t.Errorf("Common(%s, %s) = %v %v, want %s", tc.a, tc.b, got, ok, tc.want)
		}
	}
	if _, ok := Common(mustType("INTEGER"), mustType("VARCHAR(3)")); ok {
		t.Error("Common(INTEGER, VARCHAR) ok")
	}
	if got, ok := Common(sqt.Type{Kind: sqt.Null}, mustType("DATE")); !ok || got.Kind != sqt.Date {
		t.Error("NULL does not take DATE")
	}
}

func TestCompare(t *testing.T) {
	if c, err := Compare(sqt.Int(3), sqt.Float(2.5)); err != nil || c != 1 {
		t.Errorf("3 vs 2.5: %d %v", c, err)
	}
	if _, err := Compare(sqt.Int(3), sqt.Str("3")); err == nil {
		t.Error("3 vs '3' compared")
	}
	if _, err := Compare(sqt.Int(3), sqt.NullOf(sqt.Integer)); err == nil {
		t.Error("NULL compared")
	}
}

// The reference's interval examples.
func TestFormatInterval(t *testing.T) {
	tests := []struct {
		ms       int64
		from, to string
		want     string
	}{
		{iv("0 00:06:11").I, "MINUTE", "SECOND", "+6:11"},
		{iv("4 04:00:00").I, "DAY", "HOUR", "+4 04"},
		{iv("-2 04:00:00").I, "DAY", "HOUR", "-2 04"},
		{iv("1 14:00:00").I, "DAY", "HOUR", "+1 14"},
		{iv("4 00:00:00").I, "DAY", "", "+4"},
		{iv("2 03:04:05.678").I, "DAY", "SECOND", "+2 03:04:05.678"},
		{iv("0 01:30:00").I, "MINUTE", "", "+90"},
	}
	for _, tc := range tests {
		got, err := FormatInterval(tc.ms, tc.from, tc.to)
		if err != nil || got != tc.want {
			t.Errorf("FormatInterval(%d, %s, %s) = %q, %v; want %q", tc.ms, tc.from, tc.to, got, err, tc.want)
		}
	}
	if _, err := FormatInterval(0, "SECOND", "DAY"); err == nil {
		t.Error("SECOND TO DAY accepted")
	}
}
