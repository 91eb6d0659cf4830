package sqlfunc

import (
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// fixedNow is the clock of the tests: 2016-09-23 04:29:26.234 UTC, the
// CURRENT_ROW_TIMESTAMP of the SQL reference's EXTRACT examples.
var fixedNow = time.Date(2016, 9, 23, 4, 29, 26, 234e6, time.UTC).UnixMilli()

func testLib() *Library { return New(Config{Now: func() int64 { return fixedNow }}) }

// call checks and evaluates name with constant arguments, and checks that
// the value's kind is the one Check promised.
func call(t *testing.T, l *Library, name string, args ...sqltypes.Value) (sqltypes.Value, error) {
	t.Helper()
	f, ok := l.Lookup(name)
	if !ok {
		t.Fatalf("no function %s", name)
	}
	as := make([]Arg, len(args))
	for i := range args {
		v := args[i]
		as[i] = Arg{Type: sqltypes.Type{Kind: v.K}, Const: &v}
	}
	rt, err := f.Check(as)
	if err != nil {
		return sqltypes.Value{}, err
	}
	v, err := f.Eval(args)
	if err != nil {
		return v, err
	}
	if !v.Null && v.K != rt.Kind {
		t.Errorf("%s%v: value of kind %s, Check said %s", name, args, v.K, rt)
	}
	if v.K == sqltypes.RowKind && !v.Null && len(v.Fields()) != len(rt.Fields) {
		t.Errorf("%s: %d fields, Check said %d", name, len(v.Fields()), len(rt.Fields))
	}
	return v, nil
}

// mustCall is call that fails the test on an error.
func mustCall(t *testing.T, l *Library, name string, args ...sqltypes.Value) sqltypes.Value {
	t.Helper()
	v, err := call(t, l, name, args...)
	if err != nil {
		t.Fatalf("%s%v: %v", name, args, err)
	}
	return v
}

func ts(s string) sqltypes.Value {
	ms, err := parseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return sqltypes.TimestampMs(ms)
}

func iv(s string) sqltypes.Value {
	ms, err := parseInterval(s)
	if err != nil {
		panic(err)
	}
	return sqltypes.IntervalMs(ms)
}

func typed(k sqltypes.Kind, i int64) sqltypes.Value { return sqltypes.Value{K: k, I: i} }

func real32(f float64) sqltypes.Value {
	return sqltypes.Value{K: sqltypes.Real, F: float64(float32(f))}
}

func dec(f float64) sqltypes.Value { return sqltypes.Value{K: sqltypes.Decimal, F: f} }

// same compares values by kind, nullness and content.
func same(a, b sqltypes.Value) bool {
	if a.K != b.K || a.Null != b.Null {
		return false
	}
	if a.Null {
		return true
	}
	if a.K == sqltypes.RowKind {
		if len(a.Fields()) != len(b.Fields()) {
			return false
		}
		for i := range a.Fields() {
			if !same(a.Fields()[i], b.Fields()[i]) {
				return false
			}
		}
		return true
	}
	return a.I == b.I && a.F == b.F && a.S == b.S
}
