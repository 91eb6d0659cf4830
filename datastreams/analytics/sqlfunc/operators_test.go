package sqlfunc

import (
	"errors"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func TestArithmetic(t *testing.T) {
	l := testLib()
	tests := []struct {
		op   string
		a, b sqt.Value
		want sqt.Value
	}{
		{"+", sqt.Int(2), sqt.Int(3), sqt.Int(5)},
		{"-", sqt.Int(2), sqt.Int(3), sqt.Int(-1)},
		{"*", sqt.Int(6), sqt.Int(7), sqt.Int(42)},
		// integer division truncates: the weather example's 154/4 = 38
		{"/", sqt.Int(154), sqt.Int(4), sqt.Int(38)},
		{"/", sqt.Int(-7), sqt.Int(2), sqt.Int(-3)},
		{"%", sqt.Int(-7), sqt.Int(2), sqt.Int(-1)},
		{"+", typed(sqt.TinyInt, 100), typed(sqt.TinyInt, 100), sqt.Int(200)},
		{"+", sqt.Int(1), sqt.BigIntV(2), sqt.BigIntV(3)},
		{"+", sqt.Int(1), sqt.Float(2.5), sqt.Float(3.5)},
		{"/", sqt.Int(1), sqt.Float(4), sqt.Float(0.25)},
		{"*", sqt.Int(2), real32(1.5), real32(3)},
		{"+", dec(1.25), sqt.Int(1), dec(2.25)},
		{"+", dec(0.1), dec(0.2), dec(0.3)},
		{"+", sqt.Int(1), sqt.NullOf(sqt.Integer), sqt.NullOf(sqt.Integer)},
		{"-", ts("2018-05-09 12:50:41.337"), iv("0 00:05:00"), ts("2018-05-09 12:45:41.337")},
		{"+", iv("1 00:00:00"), ts("2018-05-09 12:00:00"), ts("2018-05-10 12:00:00")},
		{"-", ts("2018-05-09 12:00:00"), ts("2018-05-09 11:57:23"), iv("0 00:02:37")},
		{"+", sqt.DateMs(0), iv("1 12:00:00"), sqt.DateMs(msPerDay)},
		{"+", sqt.TimeMs(23 * 3600000), iv("0 02:00:00"), sqt.TimeMs(3600000)},
		// the reference's interval examples: 1 day + 3 days 4 hours, 2 * (3 days 4 hours), (3 days 4 hours) / 2
		{"+", iv("1 00:00:00"), iv("3 04:00:00"), iv("4 04:00:00")},
		{"-", iv("1 00:00:00"), iv("3 04:00:00"), iv("-2 04:00:00")},
		{"*", sqt.Int(2), iv("3 04:00:00"), iv("6 08:00:00")},
		{"/", iv("3 04:00:00"), sqt.Int(2), iv("1 14:00:00")},
	}
	for _, tc := range tests {
		got := mustCall(t, l, tc.op, tc.a, tc.b)
		if !same(got, tc.want) {
			t.Errorf("%v %s %v = %v (%s), want %v (%s)", tc.a, tc.op, tc.b, got, got.K, tc.want, tc.want.K)
		}
	}
}

func TestArithmeticErrors(t *testing.T) {
	l := testLib()
	for _, tc := range []struct {
		op   string
		a, b sqt.Value
	}{
		{"/", sqt.Int(1), sqt.Int(0)},
		{"%", sqt.Int(1), sqt.Int(0)},
		// PRICE/0 with a REAL price goes to error_stream too
		{"/", real32(84.51), sqt.Int(0)},
		{"/", sqt.Float(1), sqt.Float(0)},
		{"MOD", sqt.Int(5), sqt.Int(0)},
	} {
		if _, err := call(t, l, tc.op, tc.a, tc.b); !errors.Is(err, ErrDivisionByZero) {
			t.Errorf("%v %s %v: err %v, want division by zero", tc.a, tc.op, tc.b, err)
		}
	}
	if _, err := call(t, l, "+", sqt.Int(2147483647), sqt.Int(1)); err == nil {
		t.Error("INTEGER overflow: no error")
	}
	if _, err := call(t, l, "*", sqt.BigIntV(1<<62), sqt.BigIntV(4)); err == nil {
		t.Error("BIGINT overflow: no error")
	}
	if _, err := call(t, l, "NEG", sqt.Int(-2147483648)); err == nil {
		t.Error("-(-2^31): no error")
	}
	if _, err := call(t, l, "+", sqt.Str("a"), sqt.Int(1)); err == nil {
		t.Error("'a' + 1 checked")
	}
	if _, err := call(t, l, "+", ts("2020-01-01"), ts("2020-01-01")); err == nil {
		t.Error("timestamp + timestamp checked")
	}
}

func TestComparisons(t *testing.T) {
	l := testLib()
	T, F, N := sqt.Bool(true), sqt.Bool(false), sqt.NullOf(sqt.Boolean)
	tests := []struct {
		op   string
		a, b sqt.Value
		want sqt.Value
	}{
		{"=", sqt.Int(1), sqt.Float(1.0), T},
		{"<", sqt.Int(1), real32(1.5), T},
		{">", sqt.BigIntV(9007199254740993), sqt.BigIntV(9007199254740992), T},
		{"=", sqt.Str("ab"), sqt.Value{K: sqt.Char, S: "ab  "}, T},
		{"<", sqt.Str("AMZN"), sqt.Str("INTC"), T},
		{"<>", sqt.Str("a"), sqt.Str("a"), F},
		{"<=", ts("2020-01-01 00:00:00"), sqt.DateMs(ts("2020-01-01").I), T},
		{">=", sqt.Bool(true), sqt.Bool(false), T},
		{"=", sqt.Int(1), sqt.NullOf(sqt.Integer), N},
		{"!=", sqt.Int(1), sqt.Int(2), T},
		{"AND", F, N, F},
		{"AND", T, N, N},
		{"OR", T, N, T},
		{"OR", F, N, N},
		{"NOT", N, sqt.Value{}, N},
	}
	for _, tc := range tests {
		args := []sqt.Value{tc.a, tc.b}
		if tc.op == "NOT" {
			args = args[:1]
		}
		got := mustCall(t, l, tc.op, args...)
		if !same(got, tc.want) {
			t.Errorf("%v %s %v = %v, want %v", tc.a, tc.op, tc.b, got, tc.want)
		}
	}
	if _, err := call(t, l, "=", sqt.Str("1"), sqt.Int(1)); err == nil {
		t.Error("'1' = 1 checked")
	}
}

func TestConcat(t *testing.T) {
	l := testLib()
	if got := mustCall(t, l, "||", sqt.Str("ab"), sqt.Str("cd")); got.S != "abcd" {
		t.Errorf("got %v", got)
	}
	if got := mustCall(t, l, "||", sqt.Bytes([]byte{1}), sqt.Bytes([]byte{2})); got.S != "\x01\x02" {
		t.Errorf("got %v", got)
	}
	if got := mustCall(t, l, "||", sqt.Str("ab"), sqt.NullOf(sqt.Varchar)); !got.Null {
		t.Errorf("got %v", got)
	}
	f, _ := l.Lookup("||")
	rt, err := f.Check([]Arg{{Type: sqt.Type{Kind: sqt.Varchar, Len: 4}}, {Type: sqt.Type{Kind: sqt.Char, Len: 3}}})
	if err != nil || rt.Len != 7 {
		t.Errorf("VARCHAR(4) || CHAR(3): %v %v", rt, err)
	}
}
