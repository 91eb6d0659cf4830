package sqlfunc

import (
	"fmt"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func addDatetime(l *Library, now func() int64) {
	clock := func(name string, k sqltypes.Kind, conv func(int64) sqltypes.Value) {
		l.add(&Func{Name: name, Volatile: true, QueryStart: name != "CURRENT_ROW_TIMESTAMP", Check: func(args []Arg) (sqltypes.Type, error) {
			if err := wantArgs(name, args, 0, 0); err != nil {
				return sqltypes.Type{}, err
			}
			return sqltypes.Type{Kind: k, NotNull: true}, nil
		}, Eval: func([]sqltypes.Value) (sqltypes.Value, error) { return conv(now()), nil }})
	}
	ts := func(ms int64) sqltypes.Value { return sqltypes.TimestampMs(ms) }
	clock("CURRENT_ROW_TIMESTAMP", sqltypes.Timestamp, ts)
	clock("CURRENT_TIMESTAMP", sqltypes.Timestamp, ts)
	clock("LOCALTIMESTAMP", sqltypes.Timestamp, ts)
	clock("CURRENT_DATE", sqltypes.Date, func(ms int64) sqltypes.Value { return datetimeOf(sqltypes.Date, ms) })
	clock("CURRENT_TIME", sqltypes.Time, func(ms int64) sqltypes.Value { return datetimeOf(sqltypes.Time, ms) })
	clock("LOCALTIME", sqltypes.Time, func(ms int64) sqltypes.Value { return datetimeOf(sqltypes.Time, ms) })

	l.add(&Func{Name: "STEP", Check: stepCheck, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		if anyNull(a) {
			return sqltypes.NullOf(a[0].K), nil
		}
		return stepEval(a)
	}})
	for _, name := range []string{"FLOOR_TO", "CEIL_TO"} {
		up := name == "CEIL_TO"
		l.add(&Func{Name: name, Check: func(args []Arg) (sqltypes.Type, error) { return floorToCheck(name, args) },
			Eval: func(a []sqltypes.Value) (sqltypes.Value, error) { return floorTo(name, a, up) }})
	}
	l.add(&Func{Name: "TSDIFF", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("TSDIFF", args, 2, 2); err != nil {
			return sqltypes.Type{}, err
		}
		for i, a := range args {
			if k := a.Type.Kind; k != sqltypes.Timestamp && !k.IsInteger() && k != sqltypes.Null {
				return sqltypes.Type{}, argError("TSDIFF", i, "want a TIMESTAMP or BIGINT milliseconds, got %s", a.Type)
			}
		}
		return typ(sqltypes.BigInt), nil
	}, Eval: strict(sqltypes.BigInt, func(a []sqltypes.Value) (sqltypes.Value, error) {
		d, err := intArith("-", a[1].I, a[0].I)
		if err != nil {
			return sqltypes.Value{}, err
		}
		return sqltypes.BigIntV(d), nil
	})})
	l.add(&Func{Name: "UNIX_TIMESTAMP", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("UNIX_TIMESTAMP", args, 1, 1); err != nil {
			return sqltypes.Type{}, err
		}
		if k := args[0].Type.Kind; k != sqltypes.Timestamp && k != sqltypes.Date && k != sqltypes.Null {
			return sqltypes.Type{}, argError("UNIX_TIMESTAMP", 0, "want a TIMESTAMP, got %s", args[0].Type)
		}
		return typ(sqltypes.BigInt), nil
	}, Eval: strict(sqltypes.BigInt, func(a []sqltypes.Value) (sqltypes.Value, error) {
		return sqltypes.BigIntV(a[0].I), nil
	})})
	l.add(&Func{Name: "TO_TIMESTAMP", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("TO_TIMESTAMP", args, 1, 1); err != nil {
			return sqltypes.Type{}, err
		}
		if err := wantInteger("TO_TIMESTAMP", args, 0); err != nil {
			return sqltypes.Type{}, err
		}
		return typ(sqltypes.Timestamp), nil
	}, Eval: strict(sqltypes.Timestamp, func(a []sqltypes.Value) (sqltypes.Value, error) {
		return sqltypes.TimestampMs(a[0].I), nil
	})})
	l.add(&Func{Name: "EXTRACT", Check: extractCheck, Eval: strict(sqltypes.BigInt, extractEval)})
}

// STEP(x, y): x an integer and y a positive integer, or x a datetime and
// y a positive interval; the largest multiple of y (from 0, or from the
// epoch) not after x.
func stepCheck(args []Arg) (sqltypes.Type, error) {
	if err := wantArgs("STEP", args, 2, 2); err != nil {
		return sqltypes.Type{}, err
	}
	x, y := args[0].Type, args[1].Type
	switch {
	case (x.Kind.IsInteger() || x.Kind == sqltypes.Null) && (y.Kind.IsInteger() || y.Kind == sqltypes.Null):
		if x.Kind == sqltypes.Null {
			x = y
		}
	case (x.Kind.IsDatetime() || x.Kind == sqltypes.Null) && (y.Kind == sqltypes.Interval || y.Kind == sqltypes.Null):
		if x.Kind == sqltypes.Null {
			x = typ(sqltypes.Timestamp)
		}
	default:
		return sqltypes.Type{}, fmt.Errorf("STEP: want (integer BY integer) or (datetime BY interval), got %s and %s", x, y)
	}
	if c := args[1].Const; c != nil && !c.Null && c.I <= 0 {
		return sqltypes.Type{}, argError("STEP", 1, "the step must be positive")
	}
	if x.Kind == sqltypes.Null {
		x = typ(sqltypes.BigInt)
	}
	x.NotNull = false
	return x, nil
}

func stepEval(a []sqltypes.Value) (sqltypes.Value, error) {
	x, y := a[0], a[1]
	if y.I <= 0 {
		return sqltypes.Value{}, fmt.Errorf("STEP: step %d is not positive", y.I)
	}
	r := floorDiv(x.I, y.I) * y.I
	if r > x.I {
		return sqltypes.Value{}, fmt.Errorf("STEP(%d BY %d) overflows", x.I, y.I)
	}
	if x.K.IsDatetime() {
		return datetimeOf(x.K, r), nil
	}
	return sqltypes.Value{K: x.K, I: r}, nil
}

// timeUnits are the units of FLOOR(x TO unit) and EXTRACT.
var timeUnits = map[string]bool{
	"YEAR": true, "QUARTER": true, "MONTH": true, "WEEK": true, "DAY": true,
	"HOUR": true, "MINUTE": true, "SECOND": true, "MILLISECOND": true,
}

func floorToCheck(name string, args []Arg) (sqltypes.Type, error) {
	if err := wantArgs(name, args, 2, 2); err != nil {
		return sqltypes.Type{}, err
	}
	t := args[0].Type
	if !t.Kind.IsDatetime() && t.Kind != sqltypes.Null {
		return sqltypes.Type{}, argError(name, 0, "want a datetime, got %s", t)
	}
	unit, err := constString(name, args, 1)
	if err != nil {
		return sqltypes.Type{}, err
	}
	if !timeUnits[strings.ToUpper(unit)] {
		return sqltypes.Type{}, argError(name, 1, "unknown unit %q", unit)
	}
	if t.Kind == sqltypes.Null {
		t = typ(sqltypes.Timestamp)
	}
	t.NotNull = false
	return t, nil
}

// floorTo rounds a datetime down (or up) to a whole unit.
func floorTo(name string, a []sqltypes.Value, up bool) (sqltypes.Value, error) {
	x := a[0]
	if x.Null || a[1].Null {
		return sqltypes.NullOf(x.K), nil
	}
	unit := strings.ToUpper(a[1].S)
	fl, err := truncateTo(x.I, unit)
	if err != nil {
		return sqltypes.Value{}, fmt.Errorf("%s: %w", name, err)
	}
	if up && fl != x.I {
		fl, err = nextUnit(fl, unit)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return datetimeOf(x.K, fl), nil
}

var fixedUnits = map[string]int64{"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60000, "HOUR": 3600000, "DAY": msPerDay}

func truncateTo(ms int64, unit string) (int64, error) {
	if n, ok := fixedUnits[unit]; ok {
		return floorDiv(ms, n) * n, nil
	}
	t := time.UnixMilli(ms).UTC()
	switch unit {
	case "WEEK": // weeks start on Sunday
		day := floorDiv(ms, msPerDay) * msPerDay
		return day - int64(t.Weekday())*msPerDay, nil
	case "MONTH":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli(), nil
	case "QUARTER":
		return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), nil
	case "YEAR":
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), nil
	}
	return 0, fmt.Errorf("unknown unit %q", unit)
}

func nextUnit(ms int64, unit string) (int64, error) {
	if n, ok := fixedUnits[unit]; ok {
		return ms + n, nil
	}
	t := time.UnixMilli(ms).UTC()
	switch unit {
	case "WEEK":
		return ms + 7*msPerDay, nil
	case "MONTH":
		return t.AddDate(0, 1, 0).UnixMilli(), nil
	case "QUARTER":
		return t.AddDate(0, 3, 0).UnixMilli(), nil
	case "YEAR":
		return t.AddDate(1, 0, 0).UnixMilli(), nil
	}
	return 0, fmt.Errorf("unknown unit %q", unit)
}

// EXTRACT('FIELD', x): YEAR, QUARTER, MONTH, WEEK, DAY, DOW (1 = Sunday),
// DOY, HOUR, MINUTE as BIGINT; SECOND as DECIMAL(5,3) with the
// milliseconds; EPOCH as BIGINT seconds. Of an INTERVAL: DAY, HOUR,
// MINUTE, SECOND of its d hh:mm:ss.fff form.
func extractCheck(args []Arg) (sqltypes.Type, error) {
	if err := wantArgs("EXTRACT", args, 2, 2); err != nil {
		return sqltypes.Type{}, err
	}
	field, err := constString("EXTRACT", args, 0)
	if err != nil {
		return sqltypes.Type{}, err
	}
	field = strings.ToUpper(field)
	k := args[1].Type.Kind
	if !k.IsDatetime() && k != sqltypes.Interval && k != sqltypes.Null {
		return sqltypes.Type{}, argError("EXTRACT", 1, "want a datetime or an interval, got %s", args[1].Type)
	}
	switch field {
	case "SECOND":
		return sqltypes.Type{Kind: sqltypes.Decimal, Precision: 5, Scale: 3}, nil
	case "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DOW", "DOY", "EPOCH":
		if k == sqltypes.Time {
			return sqltypes.Type{}, argError("EXTRACT", 1, "a TIME has no %s", field)
		}
		return typ(sqltypes.BigInt), nil
	case "HOUR", "MINUTE":
		if k == sqltypes.Date {
			return sqltypes.Type{}, argError("EXTRACT", 1, "a DATE has no %s", field)
		}
		return typ(sqltypes.BigInt), nil
	}
	return sqltypes.Type{}, argError("EXTRACT", 0, "unknown field %q", field)
}

func extractEval(a []sqltypes.Value) (sqltypes.Value, error) {
	field := strings.ToUpper(a[0].S)
	x := a[1]
	if x.K == sqltypes.Interval {
		ms := x.I
		sign := int64(1)
		if ms < 0 {
			sign, ms = -1, -ms
		}
		switch field {
		case "DAY":
			return sqltypes.BigIntV(sign * (ms / msPerDay)), nil
		case "HOUR":
			return sqltypes.BigIntV(sign * (ms / 3600000 % 24)), nil
		case "MINUTE":
			return sqltypes.BigIntV(sign * (ms / 60000 % 60)), nil
		case "SECOND":
			return sqltypes.Value{K: sqltypes.Decimal, F: float64(sign*(ms%60000)) / 1000}, nil
		case "EPOCH":
			return sqltypes.BigIntV(sign * ms / 1000), nil
		}
		return sqltypes.BigIntV(0), nil
	}
	t := time.UnixMilli(x.I).UTC()
	var n int64
	switch field {
	case "YEAR":
		n = int64(t.Year())
	case "QUARTER":
		n = int64(t.Month()-1)/3 + 1
	case "MONTH":
		n = int64(t.Month())
	case "WEEK":
		_, w := t.ISOWeek()
		n = int64(w)
	case "DAY":
		n = int64(t.Day())
	case "DOW":
		n = int64(t.Weekday()) + 1
	case "DOY":
		n = int64(t.YearDay())
	case "HOUR":
		n = int64(t.Hour())
	case "MINUTE":
		n = int64(t.Minute())
	case "EPOCH":
		n = floorDiv(x.I, 1000)
	case "SECOND":
		return sqltypes.Value{K: sqltypes.Decimal, F: float64(floorMod(x.I, 60000)) / 1000}, nil
	default:
		return sqltypes.Value{}, fmt.Errorf("EXTRACT: unknown field %q", field)
	}
	return sqltypes.BigIntV(n), nil
}
