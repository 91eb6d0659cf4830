package sqlfunc

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Cast converts v to the type t as CAST does (and as an INSERT into a
// column of type t does: VARCHAR(n) and CHAR(n) truncate a string to n,
// CHAR(n) pads it with blanks). A value that does not fit t (300 into
// TINYINT, 'abc' into INTEGER, a date into VARCHAR(9)) is an error. NULL
// casts to NULL of t's kind, or is an error when t is NOT NULL.
//
// Cast accepts a few conversions that CanCast refuses, because reading
// records needs them: BOOLEAN to and from numbers (0 is FALSE), BIGINT
// milliseconds to TIMESTAMP.
func Cast(v sqltypes.Value, t sqltypes.Type) (sqltypes.Value, error) {
	if v.Null {
		if t.NotNull {
			return sqltypes.Value{}, fmt.Errorf("NULL into a NOT NULL %s", t)
		}
		return sqltypes.NullOf(t.Kind), nil
	}
	out, err := castValue(v, t)
	if err != nil {
		return sqltypes.Value{}, err
	}
	return out, nil
}

func castValue(v sqltypes.Value, t sqltypes.Type) (sqltypes.Value, error) {
	fail := func(why string) (sqltypes.Value, error) {
		return sqltypes.Value{}, fmt.Errorf("cannot cast %s %s to %s: %s", v.K, quoteForError(v), t, why)
	}
	k := t.Kind
	switch {
	case k.IsInteger():
		var i int64
		switch {
		case v.K.IsInteger(), v.K == sqltypes.Boolean, v.K == sqltypes.Interval:
			i = v.I
		case v.K == sqltypes.Decimal, v.K == sqltypes.Real, v.K == sqltypes.Double:
			r, err := roundToInt(v.F)
			if err != nil {
				return fail("out of range")
			}
			i = r
		case v.K.IsString():
			r, err := parseInt(v.S)
			if err != nil {
				return fail("not a number")
			}
			i = r
		case v.K == sqltypes.Timestamp && k == sqltypes.BigInt:
			i = v.I
		default:
			return fail("no conversion")
		}
		lo, hi := k.IntRange()
		if i < lo || i > hi {
			return fail(fmt.Sprintf("out of range %d..%d", lo, hi))
		}
		return sqltypes.Value{K: k, I: i}, nil
	case k == sqltypes.Decimal, k == sqltypes.Real, k == sqltypes.Double:
		var f float64
		switch {
		case v.K.IsNumeric(), v.K == sqltypes.Boolean:
			f = v.AsFloat()
		case v.K == sqltypes.Interval && k == sqltypes.Decimal:
			f = float64(v.I)
		case v.K.IsString():
			r, err := parseFloat(v.S)
			if err != nil {
				return fail("not a number")
			}
			f = r
		default:
			return fail("no conversion")
		}
		switch k {
		case sqltypes.Real:
			if !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
				return fail("out of REAL's range")
			}
			f = float64(float32(f))
		case sqltypes.Decimal:
			r, err := toDecimal(f, t)
			if err != nil {
				return fail(err.Error())
			}
			f = r
		}
		return sqltypes.Value{K: k, F: f}, nil
	case k.IsString():
		var s string
		if v.K.IsString() {
			s = v.S
			if t.Len > 0 && utf8.RuneCountInString(s) > t.Len {
				s = truncateRunes(s, t.Len)
			}
		} else {
			s = formatValue(v)
			if t.Len > 0 && utf8.RuneCountInString(s) > t.Len {
				return fail(fmt.Sprintf("needs %d characters", utf8.RuneCountInString(s)))
			}
		}
		if k == sqltypes.Char && t.Len > 0 {
			if n := utf8.RuneCountInString(s); n < t.Len {
				s += strings.Repeat(" ", t.Len-n)
			}
		}
		return sqltypes.Value{K: k, S: s}, nil
	case k == sqltypes.Boolean:
		switch {
		case v.K == sqltypes.Boolean:
			return v, nil
		case v.K.IsNumeric():
			return sqltypes.Bool(v.AsFloat() != 0), nil
		case v.K.IsString():
			b, null, err := parseBool(v.S)
			if err != nil {
				return fail("not TRUE or FALSE")
			}
			if null {
				return sqltypes.NullOf(sqltypes.Boolean), nil
			}
			return sqltypes.Bool(b), nil
		}
		return fail("no conversion")
	case k == sqltypes.Date:
		switch v.K {
		case sqltypes.Date:
			return v, nil
		case sqltypes.Timestamp:
			return sqltypes.DateMs(floorDiv(v.I, msPerDay) * msPerDay), nil
		case sqltypes.Char, sqltypes.Varchar:
			ms, err := parseDate(v.S)
			if err != nil {
				return fail("not yyyy-MM-dd")
			}
			return sqltypes.DateMs(ms), nil
		}
		return fail("no conversion")
	case k == sqltypes.Time:
		switch v.K {
		case sqltypes.Time:
			return v, nil
		case sqltypes.Timestamp:
			return sqltypes.TimeMs(floorMod(v.I, msPerDay)), nil
		case sqltypes.Char, sqltypes.Varchar:
			ms, err := parseTime(v.S)
			if err != nil {
				if ts, err2 := parseTimestamp(v.S); err2 == nil {
					return sqltypes.TimeMs(floorMod(ts, msPerDay)), nil
				}
				return fail("not HH:mm:ss")
			}
			return sqltypes.TimeMs(ms), nil
		}
		return fail("no conversion")
	case k == sqltypes.Timestamp:
		switch v.K {
		case sqltypes.Timestamp, sqltypes.Date:
			return sqltypes.TimestampMs(v.I), nil
		case sqltypes.Time:
			return sqltypes.TimestampMs(v.I), nil // on 1970-01-01
		case sqltypes.BigInt:
			return sqltypes.TimestampMs(v.I), nil
		case sqltypes.Char, sqltypes.Varchar:
			ms, err := parseTimestamp(v.S)
			if err != nil {
				return fail("not yyyy-MM-dd HH:mm:ss")
			}
			return sqltypes.TimestampMs(ms), nil
		}
		return fail("no conversion")
	case k == sqltypes.Interval:
		switch {
		case v.K == sqltypes.Interval:
			return v, nil
		case v.K.IsInteger():
			return sqltypes.IntervalMs(v.I), nil
		case v.K.IsString():
			ms, err := parseInterval(v.S)
			if err != nil {
				return fail("not d hh:mm:ss")
			}
			return sqltypes.IntervalMs(ms), nil
		}
		return fail("no conversion")
	case k.IsBinary():
		var b []byte
		switch {
		case v.K.IsBinary():
			b = []byte(v.S)
		case v.K.IsString():
			r, err := parseBinary(v.S)
			if err != nil {
				return fail("not hexadecimal")
			}
			b = r
		default:
			return fail("no conversion")
		}
		if t.Len > 0 && len(b) > t.Len {
			b = b[:t.Len]
		}
		if k == sqltypes.Binary && t.Len > len(b) {
			p := make([]byte, t.Len)
			copy(p, b)
			b = p
		}
		return sqltypes.Value{K: k, S: string(b)}, nil
	case k == sqltypes.RowKind:
		if v.K != sqltypes.RowKind {
			return fail("no conversion")
		}
		if len(t.Fields) == 0 {
			return v, nil
		}
		if len(t.Fields) != len(v.Fields()) {
			return fail(fmt.Sprintf("%d fields for %d", len(v.Fields()), len(t.Fields)))
		}
		out := make([]sqltypes.Value, len(v.Fields()))
		for i, f := range v.Fields() {
			c, err := Cast(f, t.Fields[i].Type)
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("field %s: %w", t.Fields[i].Name, err)
			}
			out[i] = c
		}
		return sqltypes.RowValue(out), nil
	case k == sqltypes.Null:
		return v, nil
	}
	return fail("no conversion")
}

// toDecimal rounds f to t's scale (half away from zero) and checks that
// it fits t's precision (19 digits when none is declared).
func toDecimal(f float64, t sqltypes.Type) (float64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%v is not a DECIMAL", f)
	}
	prec := t.Precision
	if prec == 0 {
		prec = 19
	}
	if t.Precision > 0 || t.Scale > 0 {
		f = roundScale(f, t.Scale)
	}
	if limit := math.Pow10(prec - t.Scale); math.Abs(f) >= limit {
		return 0, fmt.Errorf("more than %d digits before the point", prec-t.Scale)
	}
	return f, nil
}

// roundScale rounds f to scale digits after the point, half away from
// zero, on its shortest decimal text (so that 1.005 is 1.01, as the
// number was written, not 1.00 as its binary value would give).
func roundScale(f float64, scale int) float64 {
	s := strconv.FormatFloat(math.Abs(f), 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) <= scale {
		return f
	}
	digits := []byte(whole + frac[:scale])
	if frac[scale] >= '5' {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	n := len(digits) - scale
	out := string(digits[:n])
	if scale > 0 {
		out += "." + string(digits[n:])
	}
	r, err := strconv.ParseFloat(out, 64)
	if err != nil {
		return f
	}
	if f < 0 {
		return -r
	}
	return r
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func quoteForError(v sqltypes.Value) string {
	s := formatValue(v)
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	if v.K.IsString() {
		return "'" + s + "'"
	}
	return s
}

// CanCast reports whether CAST from one type to another is allowed: the
// conversions of the SQL reference's CAST table, plus NULL to anything and
// a row value to a row type.
func CanCast(from, to sqltypes.Type) bool {
	f, t := from.Kind, to.Kind
	switch {
	case f == sqltypes.Null:
		return true
	case f == t:
		return true
	case f.IsNumeric():
		return t.IsNumeric() || t.IsString()
	case f.IsString():
		return t.IsNumeric() || t.IsString() || t.IsDatetime() || t == sqltypes.Interval || t == sqltypes.Boolean || t.IsBinary()
	case f == sqltypes.Date:
		return t == sqltypes.Timestamp || t.IsString()
	case f == sqltypes.Time:
		return t == sqltypes.Timestamp || t.IsString()
	case f == sqltypes.Timestamp:
		return t.IsDatetime() || t.IsString()
	case f == sqltypes.Interval:
		return t == sqltypes.BigInt || t == sqltypes.Decimal || t.IsString()
	case f == sqltypes.Boolean:
		return t.IsString()
	case f.IsBinary():
		return t.IsBinary()
	}
	return false
}
