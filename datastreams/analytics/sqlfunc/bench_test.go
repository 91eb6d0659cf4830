package sqlfunc

import (
	"encoding/json"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The per-row costs the engine's pumps pay: a record's fields converted,
// a filter's LIKE and arithmetic, a tumbling window's STEP.

func BenchmarkFromJSON(b *testing.B) {
	ty := []sqt.Type{mustType("VARCHAR(4)"), mustType("VARCHAR(16)"), mustType("REAL"), mustType("REAL")}
	in := []any{"AMZN", "TECHNOLOGY", json.Number("-0.35"), json.Number("84.51")}
	b.ReportAllocs()
	for b.Loop() {
		for i := range in {
			if _, err := FromJSON(in[i], ty[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSimilarTo(b *testing.B) {
	l := testLib()
	f, _ := l.Lookup("SIMILAR TO")
	args := []sqt.Value{sqt.Str("TECHNOLOGY"), sqt.Str("%TECH%")}
	b.ReportAllocs()
	for b.Loop() {
		if v, err := f.Eval(args); err != nil || !v.Truth() {
			b.Fatal(v, err)
		}
	}
}

func BenchmarkArithmetic(b *testing.B) {
	l := testLib()
	div, _ := l.Lookup("/")
	mul, _ := l.Lookup("*")
	price, change := real32(84.51), real32(-0.35)
	b.ReportAllocs()
	for b.Loop() {
		q, err := div.Eval([]sqt.Value{change, price})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mul.Eval([]sqt.Value{q, sqt.Int(100)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStep(b *testing.B) {
	l := testLib()
	f, _ := l.Lookup("STEP")
	args := []sqt.Value{sqt.TimestampMs(fixedNow), sqt.IntervalMs(60000)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Eval(args); err != nil {
			b.Fatal(err)
		}
	}
}
