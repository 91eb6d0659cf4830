package sqltypes

import (
	"math"
	"strconv"
	"time"
)

// Value is one SQL value. Which field holds it follows K: I for BOOLEAN (0
// or 1), the integer kinds, DATE, TIME, TIMESTAMP and INTERVAL
// (milliseconds); F for DECIMAL, REAL and DOUBLE; S for CHAR and VARCHAR,
// and the bytes of BINARY and VARBINARY; Row for a row value. Null marks SQL NULL of
// kind K (K may be Null for an untyped NULL).
type Value struct {
	K    Kind
	Null bool
	I    int64
	F    float64
	S    string   // strings, and binaries' bytes: a Value is copied often, so it has no separate []byte
	Row  *[]Value // a row value's fields (see Fields): a pointer keeps a Value small
}

// RowValue is a ROW value of fields.
func RowValue(fields []Value) Value { return Value{K: RowKind, Row: &fields} }

// Fields are a ROW value's fields (none for other values).
func (v Value) Fields() []Value {
	if v.Row == nil {
		return nil
	}
	return *v.Row
}

// NullOf is NULL of kind k.
func NullOf(k Kind) Value { return Value{K: k, Null: true} }

// Bool, Int, BigIntV, Float, Str, Bytes, TimestampMs, DateMs, TimeMs and
// IntervalMs build values.
func Bool(b bool) Value {
	if b {
		return Value{K: Boolean, I: 1}
	}
	return Value{K: Boolean}
}

// Int is an INTEGER.
func Int(i int64) Value { return Value{K: Integer, I: i} }

// BigIntV is a BIGINT.
func BigIntV(i int64) Value { return Value{K: BigInt, I: i} }

// Float is a DOUBLE.
func Float(f float64) Value { return Value{K: Double, F: f} }

// Str is a VARCHAR.
func Str(s string) Value { return Value{K: Varchar, S: s} }

// Bytes is a VARBINARY.
func Bytes(b []byte) Value { return Value{K: Varbinary, S: string(b)} }

// TimestampMs is a TIMESTAMP, ms since the epoch (UTC).
func TimestampMs(ms int64) Value { return Value{K: Timestamp, I: ms} }

// DateMs is a DATE, the ms since the epoch of its midnight (UTC).
func DateMs(ms int64) Value { return Value{K: Date, I: ms} }

// TimeMs is a TIME, ms since midnight.
func TimeMs(ms int64) Value { return Value{K: Time, I: ms} }

// IntervalMs is a day-time INTERVAL in ms.
func IntervalMs(ms int64) Value { return Value{K: Interval, I: ms} }

// TimeOf converts a time.Time to TIMESTAMP milliseconds.
func TimeOf(t time.Time) int64 { return t.UnixMilli() }

// Truth is a BOOLEAN's three-valued meaning: true only when not NULL and
// true.
func (v Value) Truth() bool { return !v.Null && v.K == Boolean && v.I != 0 }

// AsFloat reads a numeric value as float64.
func (v Value) AsFloat() float64 {
	switch {
	case v.K.IsInteger(), v.K == Boolean:
		return float64(v.I)
	case v.K == Decimal, v.K == Real, v.K == Double:
		return v.F
	}
	return math.NaN()
}

// Time reads a TIMESTAMP or DATE as a time.Time in UTC.
func (v Value) Time() time.Time { return time.UnixMilli(v.I).UTC() }

// String is the value as text, for messages and tests (CAST to VARCHAR is
// the function library's).
func (v Value) String() string {
	if v.Null {
		return "NULL"
	}
	switch v.K {
	case Boolean:
		if v.I != 0 {
			return "TRUE"
		}
		return "FALSE"
	case TinyInt, SmallInt, Integer, BigInt:
		return strconv.FormatInt(v.I, 10)
	case Decimal, Real, Double:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	case Char, Varchar:
		return v.S
	case Binary, Varbinary:
		return "X'" + strconv.Quote(v.S) + "'"
	case Date:
		return v.Time().Format("2006-01-02")
	case Time:
		return time.UnixMilli(v.I).UTC().Format("15:04:05.000")
	case Timestamp:
		return v.Time().Format("2006-01-02 15:04:05.000")
	case Interval:
		return (time.Duration(v.I) * time.Millisecond).String()
	case RowKind:
		s := "ROW("
		for i, f := range v.Fields() {
			if i > 0 {
				s += ", "
			}
			s += f.String()
		}
		return s + ")"
	}
	return "?"
}

// Row is one row of an in-application stream or table.
type Row struct {
	// Rowtime is ROWTIME, ms since the epoch.
	Rowtime int64
	// Values are the columns in the stream's order (ROWTIME not among
	// them).
	Values []Value
	// ID is the row's identity, derived from where it came from (the
	// source record's position, or the pump, window and group that made
	// it), the same when the row is computed again after a restart.
	ID [16]byte
}
