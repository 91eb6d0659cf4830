package sqlfunc

import (
	"encoding/json"
	"strings"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// TestFromJSON walks the developer guide's JSON-to-SQL coercion table.
func TestFromJSON(t *testing.T) {
	num := func(s string) any { return json.Number(s) }
	tests := []struct {
		in   any
		to   string
		want sqt.Value
	}{
		{nil, "INTEGER", sqt.NullOf(sqt.Integer)},
		{true, "INTEGER", sqt.Int(1)},
		{false, "DOUBLE", sqt.Float(0)},
		{true, "VARCHAR(8)", sqt.Str("true")},
		{false, "CHAR(5)", sqt.Value{K: sqt.Char, S: "false"}},
		{true, "BOOLEAN", sqt.Bool(true)},
		{num("123"), "INTEGER", sqt.Int(123)},
		{123.0, "INTEGER", sqt.Int(123)},
		{num("84.51"), "REAL", real32(84.51)},
		{num("1.005"), "DECIMAL(5,2)", dec(1.01)},
		{num("123.4"), "VARCHAR(8)", sqt.Str("123.4")},
		{num("0"), "BOOLEAN", sqt.Bool(false)},
		{num("-2"), "BOOLEAN", sqt.Bool(true)},
		{"42", "BIGINT", sqt.BigIntV(42)},
		{"2.5", "DOUBLE", sqt.Float(2.5)},
		{"1992-02-14", "DATE", sqt.DateMs(ts("1992-02-14").I)},
		{"1992-02-14 18:35:44.0", "TIMESTAMP", ts("1992-02-14 18:35:44")},
		{"2018-05-09T12:50:41.337510", "TIMESTAMP", sqt.TimestampMs(ts("2018-05-09 12:50:41").I + 337)},
		{"TRUE", "BOOLEAN", sqt.Bool(true)},
		{"tRuE", "BOOLEAN", sqt.Bool(true)},
		{"http://www.amazon.com/a/long/path", "VARCHAR(16)", sqt.Str("http://www.amazo")},
		{"AMZN", "CHAR(6)", sqt.Value{K: sqt.Char, S: "AMZN  "}},
		{"X'CAFE'", "VARBINARY(4)", sqt.Bytes([]byte{0xca, 0xfe})},
		{"yv4=", "VARBINARY(4)", sqt.Bytes([]byte{0xca, 0xfe})},
		{[]any{num("1"), "a"}, "VARCHAR(32)", sqt.Str(`[1,"a"]`)},
		{map[string]any{"b": true}, "VARCHAR(32)", sqt.Str(`{"b":true}`)},
	}
	for _, tc := range tests {
		got, err := FromJSON(tc.in, mustType(tc.to))
		if err != nil {
			t.Errorf("FromJSON(%#v, %s): %v", tc.in, tc.to, err)
			continue
		}
		if !same(got, tc.want) {
			t.Errorf("FromJSON(%#v, %s) = %q (%s), want %q", tc.in, tc.to, got, got.K, tc.want)
		}
	}
}

func TestFromJSONErrors(t *testing.T) {
	num := func(s string) any { return json.Number(s) }
	tests := []struct {
		in any
		to string
	}{
		{true, "TIMESTAMP"},
		{true, "VARBINARY(4)"},
		{num("123.4"), "INTEGER"},
		{123.4, "INTEGER"},
		{num("128"), "TINYINT"},
		// the anomaly example's heart rates of 150-200 overflow TINYINT
		{num("200"), "TINYINT"},
		{num("1"), "DATE"},
		{num("1"), "VARBINARY(2)"},
		{"12.5", "INTEGER"},
		{"abc", "DOUBLE"},
		{"yes", "BOOLEAN"},
		{"14/02/1992", "DATE"},
		{[]any{}, "INTEGER"},
		{map[string]any{}, "TIMESTAMP"},
		{nil, "INTEGER NOT NULL"},
	}
	for _, tc := range tests {
		if got, err := FromJSON(tc.in, mustType(tc.to)); err == nil {
			t.Errorf("FromJSON(%#v, %s) = %v, want an error", tc.in, tc.to, got)
		}
	}
}

func TestFromText(t *testing.T) {
	tests := []struct {
		in   string
		to   string
		want sqt.Value
	}{
		{"AMZN", "VARCHAR(4)", sqt.Str("AMZN")},
		{"", "VARCHAR(4)", sqt.Str("")},
		{"", "INTEGER", sqt.NullOf(sqt.Integer)},
		{" ", "REAL", sqt.NullOf(sqt.Real)},
		{"-0.35", "REAL", real32(-0.35)},
		{"2020-01-02 03:04:05", "TIMESTAMP", ts("2020-01-02 03:04:05")},
		{"false", "BOOLEAN", sqt.Bool(false)},
	}
	for _, tc := range tests {
		got, err := FromText(tc.in, mustType(tc.to))
		if err != nil || !same(got, tc.want) {
			t.Errorf("FromText(%q, %s) = %v, %v; want %v", tc.in, tc.to, got, err, tc.want)
		}
	}
	if _, err := FromText("AMZN", mustType("INTEGER")); err == nil {
		t.Error("FromText(AMZN, INTEGER) did not fail")
	}
}

func TestToJSONAndText(t *testing.T) {
	row := map[string]any{}
	vals := map[string]sqt.Value{
		"TICKER": sqt.Str("AMZN"), "PRICE": real32(84.51), "CHANGE": sqt.Float(-0.05), "N": sqt.BigIntV(6),
		"OK": sqt.Bool(true), "T": ts("2018-05-09 12:50:41.337"), "D": sqt.DateMs(ts("2018-05-09").I),
		"AVG": sqt.Float(100), "AMOUNT": dec(12.5), "MISSING": sqt.NullOf(sqt.Varchar), "BIN": sqt.Bytes([]byte{0xca, 0xfe}),
	}
	for k, v := range vals {
		row[k] = ToJSON(v)
	}
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"AMOUNT":12.5,"AVG":100.0,"BIN":"yv4=","CHANGE":-0.05,"D":"2018-05-09","MISSING":null,"N":6,"OK":true,"PRICE":84.51,"T":"2018-05-09 12:50:41.337","TICKER":"AMZN"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	var text []string
	for _, k := range []string{"TICKER", "PRICE", "N", "OK", "T", "MISSING", "AVG"} {
		text = append(text, ToText(vals[k]))
	}
	if got := strings.Join(text, ","); got != "AMZN,84.51,6,true,2018-05-09 12:50:41.337,,100.0" {
		t.Errorf("text %s", got)
	}
	if ToJSON(sqt.Float(posInf())) != nil {
		t.Error("infinity is not null in JSON")
	}
}

func posInf() float64 { f := 1e308; return f * 10 }
