package sqlengine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The test harness: compile code against inputs, feed rows, and check
// that every run interrupted by snapshots gives exactly the output of
// the uninterrupted one.

func col(name, typ string) sqltypes.Column {
	t, err := sqltypes.ParseType(typ)
	if err != nil {
		panic(err)
	}
	return sqltypes.Column{Name: name, Type: t}
}

func testLib() *sqlfunc.Library {
	return sqlfunc.New(sqlfunc.Config{Now: func() int64 { return 1_700_000_000_000 }})
}

func mustCompile(t testing.TB, code string, inputs []StreamSchema, tables ...Table) *Program {
	t.Helper()
	p, err := Compile(code, Env{Inputs: inputs, Tables: tables, Functions: testLib()})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// in is one input row: the stream, its ROWTIME and values.
type in struct {
	stream string
	at     int64
	vals   []sqltypes.Value
}

func inputID(i int) [16]byte {
	var id [16]byte
	binary.BigEndian.PutUint64(id[8:], uint64(i)+1)
	return id
}

// run feeds rows and finally advances to final; it returns everything
// emitted. With every > 0 it snapshots after every every-th row (taking
// the output first when takeFirst) and goes on in a restored runner.
func run(t testing.TB, p *Program, rows []in, final int64, every int, takeFirst bool) []Output {
	t.Helper()
	r, err := p.NewRunner(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []Output
	for i, x := range rows {
		r.Push(x.stream, sqltypes.Row{Rowtime: x.at, Values: x.vals, ID: inputID(i)})
		if every > 0 && (i+1)%every == 0 {
			if takeFirst {
				out = append(out, r.Take()...)
			}
			snap, err := r.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if r, err = p.NewRunner(snap); err != nil {
				t.Fatalf("restore after row %d: %v", i, err)
			}
		}
	}
	r.Advance(final)
	return append(out, r.Take()...)
}

// runChecked runs once straight and again with snapshots every 1, 2 and
// 5 rows, and fails unless all agree exactly (rows, ROWTIMEs and IDs).
func runChecked(t testing.TB, p *Program, rows []in, final int64) []Output {
	t.Helper()
	return runCheckedEvery(t, p, rows, final, 1, 2, 5)
}

// runCheckedEvery is runChecked with the given snapshot intervals.
func runCheckedEvery(t testing.TB, p *Program, rows []in, final int64, everies ...int) []Output {
	t.Helper()
	want := run(t, p, rows, final, 0, false)
	for _, every := range everies {
		for _, takeFirst := range []bool{true, false} {
			got := run(t, p, rows, final, every, takeFirst)
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Fatalf("snapshot every %d rows (take first %v): output differs\n got %v\nwant %v", every, takeFirst, show(got), show(want))
			}
		}
	}
	return want
}

// normalize makes empty and nil slices alike for comparison.
func normalize(out []Output) []string {
	s := make([]string, len(out))
	for i, o := range out {
		s[i] = fmt.Sprintf("%s %x %s", o.Stream, o.Row.ID, rowText(o.Row))
	}
	return s
}

func show(out []Output) string { return strings.Join(normalize(out), "\n") }

// rowText is "ROWTIME | v1 | v2 ...".
func rowText(r sqltypes.Row) string {
	parts := []string{sqltypes.TimestampMs(r.Rowtime).String()}
	for _, v := range r.Values {
		parts = append(parts, v.String())
	}
	return strings.Join(parts, " | ")
}

// rowsOf lists the rows of one stream as text.
func rowsOf(out []Output, stream string) []string {
	var s []string
	for _, o := range out {
		if o.Stream == stream {
			s = append(s, rowText(o.Row))
		}
	}
	return s
}

func ts(s string) int64 {
	for _, layout := range []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "15:04:05" {
				t = t.AddDate(2018, 7, 0) // 2018-08-01
			}
			return t.UnixMilli()
		}
	}
	panic("bad time " + s)
}

func tsv(s string) sqltypes.Value { return sqltypes.TimestampMs(ts(s)) }
func str(s string) sqltypes.Value { return sqltypes.Str(s) }
func real(f float64) sqltypes.Value {
	return sqltypes.Value{K: sqltypes.Real, F: f}
}
func dbl(f float64) sqltypes.Value   { return sqltypes.Float(f) }
func integer(i int64) sqltypes.Value { return sqltypes.Int(i) }

func sameRows(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %d rows:\n  %s\nwant %d rows:\n  %s", what, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
	}
}

// wantPlanError checks that code fails to compile at line:col with a
// message containing msg.
func wantPlanError(t *testing.T, code string, inputs []StreamSchema, line, column int, msg string) {
	t.Helper()
	_, err := Compile(code, Env{Inputs: inputs, Functions: testLib()})
	var pe *sqlparse.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Compile(%q): want *sqlparse.Error, got %v", code, err)
	}
	if pe.Line != line || pe.Column != column || !strings.Contains(pe.Message, msg) {
		t.Fatalf("Compile(%q): got %v, want line %d, column %d, %q", code, err, line, column, msg)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
