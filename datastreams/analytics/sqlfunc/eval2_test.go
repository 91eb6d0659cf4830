package sqlfunc

import (
	"fmt"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Every function with Eval2 gives through it what Eval gives, results
// and errors alike, over values of every kind the operators take.
func TestEval2MatchesEval(t *testing.T) {
	l := testLib()
	vals := []sqt.Value{sqt.Int(0), sqt.Int(7), sqt.Int(-3), sqt.BigIntV(1 << 62), real32(2.5), sqt.Float(-0.5), sqt.Float(0),
		sqt.Str("a"), sqt.Str("b"), sqt.Bool(true), sqt.Bool(false), sqt.NullOf(sqt.Integer), sqt.NullOf(sqt.Boolean), sqt.TimestampMs(1000)}
	n := 0
	for _, name := range l.Names() {
		f, _ := l.Lookup(name)
		if f.Eval2 == nil {
			continue
		}
		n++
		for _, x := range vals {
			for _, y := range vals {
				w, werr := f.Eval([]sqt.Value{x, y})
				g, gerr := f.Eval2(x, y)
				if fmt.Sprint(werr) != fmt.Sprint(gerr) || fmt.Sprintf("%#v", w) != fmt.Sprintf("%#v", g) {
					t.Fatalf("%s(%v, %v): Eval %#v, %v; Eval2 %#v, %v", name, x, y, w, werr, g, gerr)
				}
			}
		}
	}
	if n < 14 {
		t.Fatalf("%d functions with Eval2", n)
	}
}
