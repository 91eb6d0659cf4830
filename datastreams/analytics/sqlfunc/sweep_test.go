package sqlfunc

import (
	"sort"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// TestNullSweep calls every function with untyped NULL arguments, and
// with NULLs of each kind, at every arity its Check accepts: Eval must
// not panic, and a non-NULL result must have the kind Check promised.
func TestNullSweep(t *testing.T) {
	l := testLib()
	names := l.Names()
	sort.Strings(names)
	kinds := []sqt.Kind{sqt.Null, sqt.Boolean, sqt.Integer, sqt.BigInt, sqt.Decimal, sqt.Double, sqt.Varchar, sqt.Varbinary, sqt.Date, sqt.Time, sqt.Timestamp, sqt.Interval}
	checked := 0
	for _, name := range names {
		f, _ := l.Lookup(name)
		for n := 0; n <= 5; n++ {
			for _, k := range kinds {
				args := make([]Arg, n)
				vals := make([]sqt.Value, n)
				for i := range args {
					args[i] = Arg{Type: sqt.Type{Kind: k}}
					vals[i] = sqt.NullOf(k)
				}
				rt, err := f.Check(args)
				if err != nil {
					continue
				}
				checked++
				v, err := f.Eval(vals)
				if err != nil {
					continue
				}
				if !v.Null && v.K != rt.Kind {
					t.Errorf("%s(%d NULL %s): value %v of kind %s, Check said %s", name, n, k, v, v.K, rt)
				}
			}
		}
	}
	if checked < len(names) {
		t.Errorf("only %d signatures accepted for %d functions", checked, len(names))
	}
}

// TestNamesAreUpperCase: Lookup takes upper-case names.
func TestNamesAreUpperCase(t *testing.T) {
	for _, n := range testLib().Names() {
		for _, r := range n {
			if r >= 'a' && r <= 'z' {
				t.Errorf("name %q is not upper case", n)
			}
		}
	}
}
