package sqltypes

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the SQL type of a value.
type Kind uint8

// The kinds of the dialect. Null is the kind of the NULL literal before it
// takes a type from its context.
const (
	Null Kind = iota
	Boolean
	TinyInt
	SmallInt
	Integer
	BigInt
	Decimal
	Real
	Double
	Char
	Varchar
	Binary
	Varbinary
	Date
	Time
	Timestamp
	Interval
	RowKind // a row value (the log-parse functions' result)
)

var kindNames = [...]string{
	Null: "NULL", Boolean: "BOOLEAN", TinyInt: "TINYINT", SmallInt: "SMALLINT", Integer: "INTEGER", BigInt: "BIGINT",
	Decimal: "DECIMAL", Real: "REAL", Double: "DOUBLE", Char: "CHAR", Varchar: "VARCHAR", Binary: "BINARY",
	Varbinary: "VARBINARY", Date: "DATE", Time: "TIME", Timestamp: "TIMESTAMP", Interval: "INTERVAL", RowKind: "ROW",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// IsInteger reports TINYINT, SMALLINT, INTEGER and BIGINT.
func (k Kind) IsInteger() bool { return k >= TinyInt && k <= BigInt }

// IsNumeric reports the integer kinds, DECIMAL, REAL and DOUBLE.
func (k Kind) IsNumeric() bool { return k >= TinyInt && k <= Double }

// IsString reports CHAR and VARCHAR.
func (k Kind) IsString() bool { return k == Char || k == Varchar }

// IsBinary reports BINARY and VARBINARY.
func (k Kind) IsBinary() bool { return k == Binary || k == Varbinary }

// IsDatetime reports DATE, TIME and TIMESTAMP.
func (k Kind) IsDatetime() bool { return k == Date || k == Time || k == Timestamp }

// IntRange is the range of an integer kind.
func (k Kind) IntRange() (lo, hi int64) {
	switch k {
	case TinyInt:
		return -128, 127
	case SmallInt:
		return -32768, 32767
	case Integer:
		return -2147483648, 2147483647
	}
	return -9223372036854775808, 9223372036854775807
}

// Type is a column's or an expression's type.
type Type struct {
	Kind Kind
	// Len is the length of CHAR, VARCHAR, BINARY and VARBINARY (0: no
	// bound, as for a literal or a function's result).
	Len int
	// Precision and Scale are DECIMAL's.
	Precision, Scale int
	NotNull          bool
	// Fields are a ROW's columns.
	Fields []Column
}

// Column is a named, typed column of a stream, a table or a row value.
type Column struct {
	Name string
	Type Type
}

// String writes the type as the dialect spells it, e.g. VARCHAR(16),
// DECIMAL(10,2), INTEGER NOT NULL.
func (t Type) String() string {
	var b strings.Builder
	b.WriteString(t.Kind.String())
	switch t.Kind {
	case Char, Varchar, Binary, Varbinary:
		if t.Len > 0 {
			fmt.Fprintf(&b, "(%d)", t.Len)
		}
	case Decimal:
		if t.Precision > 0 {
			fmt.Fprintf(&b, "(%d,%d)", t.Precision, t.Scale)
		}
	case RowKind:
		b.WriteByte('(')
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name + " " + f.Type.String())
		}
		b.WriteByte(')')
	}
	if t.NotNull {
		b.WriteString(" NOT NULL")
	}
	return b.String()
}

// ParseType reads a type name as it appears in a CREATE STREAM column or
// an InputSchema's SqlType: "VARCHAR(4)", "REAL", "DOUBLE PRECISION",
// "DECIMAL(10, 2)", "TIMESTAMP", "INT", case-insensitively. NOT NULL is
// not part of it.
func ParseType(s string) (Type, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	name, args := u, ""
	if i := strings.IndexByte(u, '('); i >= 0 {
		if !strings.HasSuffix(u, ")") {
			return Type{}, fmt.Errorf("type %q: unbalanced parenthesis", s)
		}
		name, args = strings.TrimSpace(u[:i]), strings.TrimSpace(u[i+1:len(u)-1])
	}
	name = strings.Join(strings.Fields(name), " ")
	var t Type
	switch name {
	case "BOOLEAN":
		t.Kind = Boolean
	case "TINYINT":
		t.Kind = TinyInt
	case "SMALLINT":
		t.Kind = SmallInt
	case "INTEGER", "INT":
		t.Kind = Integer
	case "BIGINT":
		t.Kind = BigInt
	case "DECIMAL", "DEC", "NUMERIC":
		t.Kind = Decimal
	case "REAL":
		t.Kind = Real
	case "DOUBLE", "DOUBLE PRECISION", "FLOAT":
		t.Kind = Double
	case "CHAR", "CHARACTER":
		t.Kind, t.Len = Char, 1
	case "VARCHAR", "CHARACTER VARYING", "CHAR VARYING":
		t.Kind = Varchar
	case "BINARY":
		t.Kind, t.Len = Binary, 1
	case "VARBINARY", "BINARY VARYING":
		t.Kind = Varbinary
	case "DATE":
		t.Kind = Date
	case "TIME":
		t.Kind = Time
	case "TIMESTAMP":
		t.Kind = Timestamp
	default:
		return Type{}, fmt.Errorf("type %q: unknown type", s)
	}
	if args == "" {
		if t.Kind == Varchar || t.Kind == Varbinary {
			return Type{}, fmt.Errorf("type %q: %s needs a length", s, t.Kind)
		}
		return t, nil
	}
	parts := strings.Split(args, ",")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return Type{}, fmt.Errorf("type %q: %q is not a length", s, strings.TrimSpace(p))
		}
		nums[i] = n
	}
	switch {
	case (t.Kind == Char || t.Kind == Varchar || t.Kind == Binary || t.Kind == Varbinary) && len(nums) == 1:
		if nums[0] < 1 || nums[0] > 65535 {
			return Type{}, fmt.Errorf("type %q: length %d out of 1..65535", s, nums[0])
		}
		t.Len = nums[0]
	case t.Kind == Decimal && len(nums) <= 2:
		t.Precision = nums[0]
		if len(nums) == 2 {
			t.Scale = nums[1]
		}
		if t.Precision < 1 || t.Precision > 19 || t.Scale > t.Precision {
			return Type{}, fmt.Errorf("type %q: precision 1..19 and scale up to it", s)
		}
	case (t.Kind == Time || t.Kind == Timestamp) && len(nums) == 1 && nums[0] <= 3:
		// fractional-second precision: milliseconds are kept either way
	default:
		return Type{}, fmt.Errorf("type %q: unexpected arguments", s)
	}
	return t, nil
}
