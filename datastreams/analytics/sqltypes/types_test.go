package sqltypes

import (
	"strings"
	"testing"
)

func TestParseType(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"varchar(4)", "VARCHAR(4)"}, {"REAL", "REAL"}, {"double precision", "DOUBLE"}, {"FLOAT", "DOUBLE"},
		{"INT", "INTEGER"}, {"decimal(10, 2)", "DECIMAL(10,2)"}, {"CHAR", "CHAR(1)"}, {"timestamp(3)", "TIMESTAMP"},
		{" character  varying (16) ", "VARCHAR(16)"}, {"BIGINT", "BIGINT"}, {"BOOLEAN", "BOOLEAN"}, {"VARBINARY(8)", "VARBINARY(8)"},
	} {
		ty, err := ParseType(c.in)
		if err != nil || ty.String() != c.want {
			t.Errorf("%q: %v %v, want %s", c.in, ty, err, c.want)
			continue
		}
		if back, err := ParseType(ty.String()); err != nil || back.String() != c.want {
			t.Errorf("%q: printed %s reads back as %v %v", c.in, ty, back, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"VARCHAR", "needs a length"}, {"VARCHAR(0)", "out of 1..65535"}, {"VARCHAR(4", "unbalanced"},
		{"DECIMAL(20)", "precision"}, {"DECIMAL(2,3)", "precision"}, {"INTEGER(4)", "unexpected"}, {"TEXT", "unknown type"}, {"VARCHAR(x)", "not a length"},
	} {
		if _, err := ParseType(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

func TestValues(t *testing.T) {
	if !Bool(true).Truth() || Bool(false).Truth() || NullOf(Boolean).Truth() {
		t.Fatal("three-valued truth")
	}
	if lo, hi := TinyInt.IntRange(); lo != -128 || hi != 127 {
		t.Fatal("TINYINT range")
	}
	for _, c := range []struct {
		v    Value
		want string
	}{
		{TimestampMs(1_700_000_000_123), "2023-11-14 22:13:20.123"}, {DateMs(0), "1970-01-01"}, {TimeMs(3_723_004), "01:02:03.004"},
		{Int(-7), "-7"}, {Float(1.5), "1.5"}, {Str("x"), "x"}, {NullOf(Varchar), "NULL"},
		{RowValue([]Value{Int(1), Str("a")}), "ROW(1, a)"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}
