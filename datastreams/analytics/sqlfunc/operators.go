package sqlfunc

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// ErrDivisionByZero is the error of / and % (and MOD) by zero, for every
// numeric kind: the service sends such a row to error_stream rather than
// producing an infinity.
var ErrDivisionByZero = errors.New("division by zero")

func addOperators(l *Library) {
	for _, op := range []string{"+", "-", "*", "/", "%"} {
		e2 := strictArith(op)
		l.add(&Func{Name: op, Check: arithCheck(op), Eval: binary(e2), Eval2: e2})
	}
	l.add(&Func{Name: "NEG", Check: negCheck, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		v := a[0]
		if v.Null {
			return v, nil
		}
		switch {
		case v.K.IsInteger(), v.K == sqltypes.Interval:
			lo, _ := v.K.IntRange()
			if v.K.IsInteger() && v.I == lo {
				return sqltypes.Value{}, fmt.Errorf("-%d overflows %s", v.I, v.K)
			}
			v.I = -v.I
		default:
			v.F = -v.F
		}
		return v, nil
	}})
	for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
		e2 := compareEval(op)
		l.add(&Func{Name: op, Check: compareCheck(op), Eval: binary(e2), Eval2: e2})
	}
	l.alias("!=", "<>")
	l.add(&Func{Name: "||", Check: concatCheck, Eval: strict(sqltypes.Varchar, concatEval)})
	l.add(&Func{Name: "AND", Check: boolCheck("AND", 2), Eval: andEval, Eval2: func(x, y sqltypes.Value) (sqltypes.Value, error) {
		switch {
		case !x.Null && x.I == 0, !y.Null && y.I == 0:
			return sqltypes.Bool(false), nil
		case x.Null || y.Null:
			return sqltypes.NullOf(sqltypes.Boolean), nil
		}
		return sqltypes.Bool(true), nil
	}})
	l.add(&Func{Name: "OR", Check: boolCheck("OR", 2), Eval: orEval, Eval2: func(x, y sqltypes.Value) (sqltypes.Value, error) {
		switch {
		case !x.Null && x.I != 0, !y.Null && y.I != 0:
			return sqltypes.Bool(true), nil
		case x.Null || y.Null:
			return sqltypes.NullOf(sqltypes.Boolean), nil
		}
		return sqltypes.Bool(false), nil
	}})
	l.add(&Func{Name: "NOT", Check: boolCheck("NOT", 1), Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		if a[0].Null {
			return sqltypes.NullOf(sqltypes.Boolean), nil
		}
		return sqltypes.Bool(a[0].I == 0), nil
	}})
}

// arithType is the result type of a binary arithmetic operator, or false.
func arithType(op string, a, b sqltypes.Type) (sqltypes.Type, bool) {
	ka, kb := a.Kind, b.Kind
	if ka == sqltypes.Null && kb == sqltypes.Null {
		return typ(sqltypes.Null), false
	}
	if ka == sqltypes.Null {
		ka = kb
	}
	if kb == sqltypes.Null {
		kb = ka
	}
	switch {
	case ka.IsNumeric() && kb.IsNumeric():
		k := arithKind(ka, kb)
		t := typ(k)
		if k == sqltypes.Decimal {
			switch op {
			case "*":
				t.Scale = min(19, a.Scale+b.Scale)
			default:
				t.Scale = max(a.Scale, b.Scale)
			}
		}
		return t, true
	case op == "+" && ka.IsDatetime() && kb == sqltypes.Interval:
		return typ(ka), true
	case op == "+" && ka == sqltypes.Interval && kb.IsDatetime():
		return typ(kb), true
	case op == "-" && ka.IsDatetime() && kb == sqltypes.Interval:
		return typ(ka), true
	case op == "-" && ka.IsDatetime() && kb.IsDatetime():
		if ka == kb || (ka != sqltypes.Time && kb != sqltypes.Time) {
			return typ(sqltypes.Interval), true
		}
	case (op == "+" || op == "-") && ka == sqltypes.Interval && kb == sqltypes.Interval:
		return typ(sqltypes.Interval), true
	case op == "*" && ka == sqltypes.Interval && kb.IsNumeric(), op == "*" && ka.IsNumeric() && kb == sqltypes.Interval:
		return typ(sqltypes.Interval), true
	case op == "/" && ka == sqltypes.Interval && kb.IsNumeric():
		return typ(sqltypes.Interval), true
	}
	return sqltypes.Type{}, false
}

func arithCheck(op string) func([]Arg) (sqltypes.Type, error) {
	return func(args []Arg) (sqltypes.Type, error) {
		if len(args) != 2 {
			return sqltypes.Type{}, countError(op, len(args), "2")
		}
		t, ok := arithType(op, args[0].Type, args[1].Type)
		if !ok {
			if args[0].Type.Kind == sqltypes.Null && args[1].Type.Kind == sqltypes.Null {
				return typ(sqltypes.Integer), nil
			}
			return sqltypes.Type{}, fmt.Errorf("operator %s: cannot apply to %s and %s", op, args[0].Type, args[1].Type)
		}
		return t, nil
	}
}

// binary makes the slice form of a two-argument function.
func binary(e2 func(x, y sqltypes.Value) (sqltypes.Value, error)) func([]sqltypes.Value) (sqltypes.Value, error) {
	return func(a []sqltypes.Value) (sqltypes.Value, error) { return e2(a[0], a[1]) }
}

func strictArith(op string) func(x, y sqltypes.Value) (sqltypes.Value, error) {
	return func(x, y sqltypes.Value) (sqltypes.Value, error) {
		if x.Null || y.Null {
			k := x.K
			if x.Null && !y.Null {
				k = y.K
			}
			if t, ok := arithType(op, typ(x.K), typ(y.K)); ok {
				k = t.Kind
			}
			return sqltypes.NullOf(k), nil
		}
		return arith(op, x, y)
	}
}

// arith computes x op y for non-NULL operands.
func arith(op string, x, y sqltypes.Value) (sqltypes.Value, error) {
	switch {
	case x.K.IsNumeric() && y.K.IsNumeric():
		k := arithKind(x.K, y.K)
		if k.IsInteger() {
			r, err := intArith(op, x.I, y.I)
			if err != nil {
				return sqltypes.Value{}, err
			}
			lo, hi := k.IntRange()
			if r < lo || r > hi {
				return sqltypes.Value{}, fmt.Errorf("%d %s %d overflows %s", x.I, op, y.I, k)
			}
			return sqltypes.Value{K: k, I: r}, nil
		}
		f, g := x.AsFloat(), y.AsFloat()
		var r float64
		switch op {
		case "+":
			r = f + g
		case "-":
			r = f - g
		case "*":
			r = f * g
		case "/":
			if g == 0 {
				return sqltypes.Value{}, ErrDivisionByZero
			}
			r = f / g
		case "%":
			if g == 0 {
				return sqltypes.Value{}, ErrDivisionByZero
			}
			r = math.Mod(f, g)
		}
		switch k {
		case sqltypes.Real:
			r = float64(float32(r))
		case sqltypes.Decimal:
			// a DECIMAL is exact in the service: drop the binary noise
			// (0.1 + 0.2 is 0.3) by keeping 15 significant digits
			r = roundSignificant(r, 15)
		}
		return sqltypes.Value{K: k, F: r}, nil
	case x.K.IsDatetime() && y.K == sqltypes.Interval:
		ms := x.I + y.I
		if op == "-" {
			ms = x.I - y.I
		}
		return datetimeOf(x.K, ms), nil
	case x.K == sqltypes.Interval && y.K.IsDatetime():
		return datetimeOf(y.K, x.I+y.I), nil
	case x.K.IsDatetime() && y.K.IsDatetime():
		return sqltypes.IntervalMs(x.I - y.I), nil
	case x.K == sqltypes.Interval && y.K == sqltypes.Interval:
		if op == "-" {
			return sqltypes.IntervalMs(x.I - y.I), nil
		}
		return sqltypes.IntervalMs(x.I + y.I), nil
	case x.K == sqltypes.Interval || y.K == sqltypes.Interval:
		iv, n := x, y
		if y.K == sqltypes.Interval {
			iv, n = y, x
		}
		f := n.AsFloat()
		if op == "/" {
			if f == 0 {
				return sqltypes.Value{}, ErrDivisionByZero
			}
			return sqltypes.IntervalMs(int64(math.Round(float64(iv.I) / f))), nil
		}
		if n.K.IsInteger() {
			hi, lo := bits.Mul64(uint64(abs64(iv.I)), uint64(abs64(n.I)))
			if hi != 0 || lo > math.MaxInt64 {
				return sqltypes.Value{}, fmt.Errorf("interval product overflows")
			}
			return sqltypes.IntervalMs(iv.I * n.I), nil
		}
		return sqltypes.IntervalMs(int64(math.Round(float64(iv.I) * f))), nil
	}
	return sqltypes.Value{}, fmt.Errorf("operator %s: cannot apply to %s and %s", op, x.K, y.K)
}

// arithKind is the kind arithmetic on two numeric kinds gives: the
// promoted kind, at least INTEGER (as Java computes on bytes and shorts),
// so that TINYINT + TINYINT does not overflow at 127.
func arithKind(a, b sqltypes.Kind) sqltypes.Kind {
	k := promote(a, b)
	if k == sqltypes.TinyInt || k == sqltypes.SmallInt {
		return sqltypes.Integer
	}
	return k
}

// roundSignificant rounds f to n significant decimal digits.
func roundSignificant(f float64, n int) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', n, 64), 64)
	if err != nil {
		return f
	}
	return r
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// datetimeOf is ms as a value of kind k: DATE keeps whole days, TIME wraps
// within the day.
func datetimeOf(k sqltypes.Kind, ms int64) sqltypes.Value {
	switch k {
	case sqltypes.Date:
		return sqltypes.DateMs(floorDiv(ms, msPerDay) * msPerDay)
	case sqltypes.Time:
		return sqltypes.TimeMs(floorMod(ms, msPerDay))
	}
	return sqltypes.TimestampMs(ms)
}

// intArith is exact 64-bit arithmetic with overflow and division errors;
// division truncates toward zero, % takes the dividend's sign.
func intArith(op string, a, b int64) (int64, error) {
	overflow := fmt.Errorf("%d %s %d overflows BIGINT", a, op, b)
	switch op {
	case "+":
		r := a + b
		if (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0) {
			return 0, overflow
		}
		return r, nil
	case "-":
		r := a - b
		if (a >= 0) != (b >= 0) && (r >= 0) != (a >= 0) {
			return 0, overflow
		}
		return r, nil
	case "*":
		if a == 0 || b == 0 {
			return 0, nil
		}
		r := a * b
		if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return 0, overflow
		}
		return r, nil
	case "/", "%":
		if b == 0 {
			return 0, ErrDivisionByZero
		}
		if a == math.MinInt64 && b == -1 {
			if op == "%" {
				return 0, nil
			}
			return 0, overflow
		}
		if op == "/" {
			return a / b, nil
		}
		return a % b, nil
	}
	return 0, fmt.Errorf("unknown operator %s", op)
}

func negCheck(args []Arg) (sqltypes.Type, error) {
	if len(args) != 1 {
		return sqltypes.Type{}, countError("NEG", len(args), "1")
	}
	t := args[0].Type
	if !t.Kind.IsNumeric() && t.Kind != sqltypes.Interval && t.Kind != sqltypes.Null {
		return sqltypes.Type{}, argError("unary -", 0, "want a number or an interval, got %s", t)
	}
	t.NotNull = false
	return t, nil
}

func compareCheck(op string) func([]Arg) (sqltypes.Type, error) {
	return func(args []Arg) (sqltypes.Type, error) {
		if len(args) != 2 {
			return sqltypes.Type{}, countError(op, len(args), "2")
		}
		if !canCompare(args[0].Type.Kind, args[1].Type.Kind) {
			return sqltypes.Type{}, fmt.Errorf("operator %s: cannot compare %s with %s", op, args[0].Type, args[1].Type)
		}
		return typ(sqltypes.Boolean), nil
	}
}

func compareEval(op string) func(x, y sqltypes.Value) (sqltypes.Value, error) {
	return func(x, y sqltypes.Value) (sqltypes.Value, error) {
		if x.Null || y.Null {
			return sqltypes.NullOf(sqltypes.Boolean), nil
		}
		c, err := Compare(x, y)
		if err != nil {
			return sqltypes.Value{}, err
		}
		var r bool
		switch op {
		case "=":
			r = c == 0
		case "<>":
			r = c != 0
		case "<":
			r = c < 0
		case "<=":
			r = c <= 0
		case ">":
			r = c > 0
		case ">=":
			r = c >= 0
		}
		return sqltypes.Bool(r), nil
	}
}

func concatCheck(args []Arg) (sqltypes.Type, error) {
	if len(args) != 2 {
		return sqltypes.Type{}, countError("||", len(args), "2")
	}
	a, b := args[0].Type, args[1].Type
	ka, kb := a.Kind, b.Kind
	if ka == sqltypes.Null {
		ka = kb
	}
	if kb == sqltypes.Null {
		kb = ka
	}
	n := a.Len + b.Len
	if a.Len == 0 || b.Len == 0 {
		n = 0
	}
	switch {
	case ka.IsString() && kb.IsString():
		return sqltypes.Type{Kind: sqltypes.Varchar, Len: n}, nil
	case ka.IsBinary() && kb.IsBinary():
		return sqltypes.Type{Kind: sqltypes.Varbinary, Len: n}, nil
	case ka == sqltypes.Null:
		return varchar, nil
	}
	return sqltypes.Type{}, fmt.Errorf("operator ||: cannot concatenate %s and %s", a, b)
}

func concatEval(a []sqltypes.Value) (sqltypes.Value, error) {
	if a[0].K.IsBinary() {
		return sqltypes.Value{K: sqltypes.Varbinary, S: a[0].S + a[1].S}, nil
	}
	return sqltypes.Str(a[0].S + a[1].S), nil
}

func boolCheck(name string, n int) func([]Arg) (sqltypes.Type, error) {
	return func(args []Arg) (sqltypes.Type, error) {
		if len(args) != n {
			return sqltypes.Type{}, countError(name, len(args), fmt.Sprint(n))
		}
		for i, a := range args {
			if a.Type.Kind != sqltypes.Boolean && a.Type.Kind != sqltypes.Null {
				return sqltypes.Type{}, argError(name, i, "want a BOOLEAN, got %s", a.Type)
			}
		}
		return typ(sqltypes.Boolean), nil
	}
}

// andEval and orEval are three-valued: FALSE AND NULL is FALSE, TRUE OR
// NULL is TRUE.
func andEval(a []sqltypes.Value) (sqltypes.Value, error) {
	null := false
	for _, v := range a {
		if v.Null {
			null = true
		} else if v.I == 0 {
			return sqltypes.Bool(false), nil
		}
	}
	if null {
		return sqltypes.NullOf(sqltypes.Boolean), nil
	}
	return sqltypes.Bool(true), nil
}

func orEval(a []sqltypes.Value) (sqltypes.Value, error) {
	null := false
	for _, v := range a {
		if v.Null {
			null = true
		} else if v.I != 0 {
			return sqltypes.Bool(true), nil
		}
	}
	if null {
		return sqltypes.NullOf(sqltypes.Boolean), nil
	}
	return sqltypes.Bool(false), nil
}
