package sqlfunc

import (
	"fmt"
	"math"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func addNumeric(l *Library) {
	l.add(&Func{Name: "ABS", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("ABS", args, 1, 1); err != nil {
			return sqltypes.Type{}, err
		}
		t := args[0].Type
		if !t.Kind.IsNumeric() && t.Kind != sqltypes.Interval && t.Kind != sqltypes.Null {
			return sqltypes.Type{}, argError("ABS", 0, "want a number, got %s", t)
		}
		t.NotNull = false
		return t, nil
	}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		v := a[0]
		if v.Null {
			return v, nil
		}
		if v.K.IsInteger() || v.K == sqltypes.Interval {
			if v.I < 0 {
				if lo, _ := v.K.IntRange(); v.K.IsInteger() && v.I == lo {
					return sqltypes.Value{}, fmt.Errorf("ABS(%d) overflows %s", v.I, v.K)
				}
				v.I = -v.I
			}
			return v, nil
		}
		v.F = math.Abs(v.F)
		return v, nil
	}})
	// FLOOR and CEIL take a number, or a datetime and a unit name
	// (FLOOR(ts TO MINUTE) is FLOOR(ts, 'MINUTE')).
	for _, name := range []string{"FLOOR", "CEIL"} {
		up := name == "CEIL"
		l.add(&Func{Name: name, Check: func(args []Arg) (sqltypes.Type, error) {
			if len(args) == 2 {
				return floorToCheck(name, args)
			}
			if err := wantArgs(name, args, 1, 2); err != nil {
				return sqltypes.Type{}, err
			}
			t := args[0].Type
			switch {
			case t.Kind.IsNumeric():
				t.NotNull = false
				if t.Kind == sqltypes.Decimal {
					t.Scale = 0
				}
				return t, nil
			case t.Kind == sqltypes.Null:
				return typ(sqltypes.Double), nil
			}
			return sqltypes.Type{}, argError(name, 0, "want a number, got %s", t)
		}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
			if len(a) == 2 {
				return floorTo(name, a, up)
			}
			v := a[0]
			if v.Null || v.K.IsInteger() {
				return v, nil
			}
			if up {
				v.F = math.Ceil(v.F)
			} else {
				v.F = math.Floor(v.F)
			}
			return v, nil
		}})
	}
	l.alias("CEILING", "CEIL")
	for name, fn := range map[string]func(float64) (float64, error){
		"EXP": func(x float64) (float64, error) { return math.Exp(x), nil },
		"LN": func(x float64) (float64, error) {
			if x <= 0 {
				return 0, fmt.Errorf("LN(%v): not positive", x)
			}
			return math.Log(x), nil
		},
		"LOG10": func(x float64) (float64, error) {
			if x <= 0 {
				return 0, fmt.Errorf("LOG10(%v): not positive", x)
			}
			return math.Log10(x), nil
		},
		"SQRT": func(x float64) (float64, error) {
			if x < 0 {
				return 0, fmt.Errorf("SQRT(%v): negative", x)
			}
			return math.Sqrt(x), nil
		},
	} {
		l.add(&Func{Name: name, Check: doubleCheck(name, 1), Eval: strict(sqltypes.Double, func(a []sqltypes.Value) (sqltypes.Value, error) {
			r, err := fn(a[0].AsFloat())
			if err != nil {
				return sqltypes.Value{}, err
			}
			return sqltypes.Float(r), nil
		})})
	}
	l.add(&Func{Name: "POWER", Check: doubleCheck("POWER", 2), Eval: strict(sqltypes.Double, func(a []sqltypes.Value) (sqltypes.Value, error) {
		r := math.Pow(a[0].AsFloat(), a[1].AsFloat())
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return sqltypes.Value{}, fmt.Errorf("POWER(%v, %v) is not a number", a[0].AsFloat(), a[1].AsFloat())
		}
		return sqltypes.Float(r), nil
	})})
	l.add(&Func{Name: "MOD", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("MOD", args, 2, 2); err != nil {
			return sqltypes.Type{}, err
		}
		for i := range args {
			if err := wantNumeric("MOD", args, i); err != nil {
				return sqltypes.Type{}, err
			}
		}
		return arithCheck("%")(args)
	}, Eval: binary(strictArith("%")), Eval2: strictArith("%")})
}

func doubleCheck(name string, n int) func([]Arg) (sqltypes.Type, error) {
	return func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs(name, args, n, n); err != nil {
			return sqltypes.Type{}, err
		}
		for i := range args {
			if err := wantNumeric(name, args, i); err != nil {
				return sqltypes.Type{}, err
			}
		}
		return typ(sqltypes.Double), nil
	}
}
