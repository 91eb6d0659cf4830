package sqlfunc

import "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"

// addMisc registers COALESCE and NULLIF, which the engine may also
// evaluate itself (COALESCE needs no short-circuit: its arguments have no
// side effects).
func addMisc(l *Library) {
	l.add(&Func{Name: "COALESCE", Check: func(args []Arg) (sqltypes.Type, error) {
		if len(args) < 1 {
			return sqltypes.Type{}, countError("COALESCE", 0, "1 or more")
		}
		t := args[0].Type
		for i := 1; i < len(args); i++ {
			c, ok := Common(t, args[i].Type)
			if !ok {
				return sqltypes.Type{}, argError("COALESCE", i, "%s does not combine with %s", args[i].Type, t)
			}
			t = c
		}
		for _, a := range args {
			if a.Type.NotNull {
				t.NotNull = true
			}
		}
		return t, nil
	}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		for _, v := range a {
			if !v.Null {
				return v, nil
			}
		}
		return a[len(a)-1], nil
	}})
	l.add(&Func{Name: "NULLIF", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("NULLIF", args, 2, 2); err != nil {
			return sqltypes.Type{}, err
		}
		if !canCompare(args[0].Type.Kind, args[1].Type.Kind) {
			return sqltypes.Type{}, argError("NULLIF", 1, "cannot compare %s with %s", args[1].Type, args[0].Type)
		}
		t := args[0].Type
		t.NotNull = false
		return t, nil
	}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		if a[0].Null || a[1].Null {
			return a[0], nil
		}
		c, err := Compare(a[0], a[1])
		if err != nil {
			return sqltypes.Value{}, err
		}
		if c == 0 {
			return sqltypes.NullOf(a[0].K), nil
		}
		return a[0], nil
	}})
}
