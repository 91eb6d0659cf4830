package sqlfunc

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// numericRank orders the numeric kinds for promotion: the result of an
// arithmetic operator or a comparison is the higher of its operands'
// kinds, an approximate kind (REAL, DOUBLE) beating the exact ones.
func numericRank(k sqltypes.Kind) int {
	switch k {
	case sqltypes.TinyInt:
		return 1
	case sqltypes.SmallInt:
		return 2
	case sqltypes.Integer:
		return 3
	case sqltypes.BigInt:
		return 4
	case sqltypes.Decimal:
		return 5
	case sqltypes.Real:
		return 6
	case sqltypes.Double:
		return 7
	}
	return 0
}

// promote is the kind two numeric kinds combine in.
func promote(a, b sqltypes.Kind) sqltypes.Kind {
	if numericRank(a) >= numericRank(b) {
		return a
	}
	return b
}

// Common returns the type two operands are compared or combined in
// (CASE branches, UNION of pumps into one stream, IN lists), or false.
// Numbers meet in the promoted kind, character strings in VARCHAR of the
// longer length (CHAR when both are CHAR), DATE and TIMESTAMP in
// TIMESTAMP; an untyped NULL takes the other side's type.
func Common(a, b sqltypes.Type) (sqltypes.Type, bool) {
	ka, kb := a.Kind, b.Kind
	nn := a.NotNull && b.NotNull
	switch {
	case ka == sqltypes.Null:
		b.NotNull = false
		return b, true
	case kb == sqltypes.Null:
		a.NotNull = false
		return a, true
	case ka.IsNumeric() && kb.IsNumeric():
		k := promote(ka, kb)
		t := sqltypes.Type{Kind: k, NotNull: nn}
		if k == sqltypes.Decimal {
			t.Scale = max(a.Scale, b.Scale)
			if a.Precision > 0 && b.Precision > 0 {
				t.Precision = min(19, max(a.Precision-a.Scale, b.Precision-b.Scale)+t.Scale)
			}
		}
		return t, true
	case ka.IsString() && kb.IsString():
		k := sqltypes.Varchar
		if ka == sqltypes.Char && kb == sqltypes.Char {
			k = sqltypes.Char
		}
		n := max(a.Len, b.Len)
		if a.Len == 0 || b.Len == 0 {
			n = 0
		}
		return sqltypes.Type{Kind: k, Len: n, NotNull: nn}, true
	case ka.IsBinary() && kb.IsBinary():
		n := max(a.Len, b.Len)
		if a.Len == 0 || b.Len == 0 {
			n = 0
		}
		return sqltypes.Type{Kind: sqltypes.Varbinary, Len: n, NotNull: nn}, true
	case ka == kb && ka != sqltypes.RowKind:
		return sqltypes.Type{Kind: ka, NotNull: nn}, true
	case (ka == sqltypes.Date && kb == sqltypes.Timestamp) || (ka == sqltypes.Timestamp && kb == sqltypes.Date):
		return sqltypes.Type{Kind: sqltypes.Timestamp, NotNull: nn}, true
	case ka == sqltypes.RowKind && kb == sqltypes.RowKind && len(a.Fields) == len(b.Fields):
		out := sqltypes.Type{Kind: sqltypes.RowKind, NotNull: nn, Fields: make([]sqltypes.Column, len(a.Fields))}
		for i := range a.Fields {
			c, ok := Common(a.Fields[i].Type, b.Fields[i].Type)
			if !ok {
				return sqltypes.Type{}, false
			}
			out.Fields[i] = sqltypes.Column{Name: a.Fields[i].Name, Type: c}
		}
		return out, true
	}
	return sqltypes.Type{}, false
}

// canCompare reports whether two kinds may be compared with = < and the
// like.
func canCompare(a, b sqltypes.Kind) bool {
	if a == sqltypes.Null || b == sqltypes.Null {
		return true
	}
	_, ok := Common(typ(a), typ(b))
	return ok && a != sqltypes.RowKind
}

// Compare orders two non-NULL values of comparable types: -1, 0, 1.
// Numbers compare by value across kinds (exactly between integers),
// character strings by code point with trailing blanks ignored (CHAR's
// padding), DATE against TIMESTAMP as the date's midnight, FALSE before
// TRUE. NaN sorts after every other number and equals itself.
func Compare(a, b sqltypes.Value) (int, error) {
	if a.Null || b.Null {
		return 0, fmt.Errorf("compare: NULL has no order")
	}
	switch {
	case a.K.IsNumeric() && b.K.IsNumeric():
		if a.K.IsInteger() && b.K.IsInteger() {
			return cmp.Compare(a.I, b.I), nil
		}
		return compareFloat(a.AsFloat(), b.AsFloat()), nil
	case a.K.IsString() && b.K.IsString():
		return strings.Compare(strings.TrimRight(a.S, " "), strings.TrimRight(b.S, " ")), nil
	case a.K.IsBinary() && b.K.IsBinary():
		return strings.Compare(a.S, b.S), nil
	case a.K == b.K && (a.K == sqltypes.Boolean || a.K.IsDatetime() || a.K == sqltypes.Interval):
		return cmp.Compare(a.I, b.I), nil
	case (a.K == sqltypes.Date || a.K == sqltypes.Timestamp) && (b.K == sqltypes.Date || b.K == sqltypes.Timestamp):
		return cmp.Compare(a.I, b.I), nil
	}
	return 0, fmt.Errorf("cannot compare %s with %s", a.K, b.K)
}

func compareFloat(x, y float64) int {
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0
	case math.IsNaN(x):
		return 1
	case math.IsNaN(y):
		return -1
	}
	return cmp.Compare(x, y)
}
