package format

import (
	"strings"
	"testing"
	"time"
)

var smallTable = Table{Database: "analytics", Name: "events", Columns: []Column{
	{Name: "user_id", Type: "string"},
	{Name: "ts", Type: "timestamp"},
	{Name: "n", Type: "int"},
	{Name: "payload", Type: "string"},
}}

// rowsOf converts records with c and returns what DuckDB reads back.
func rowsOf(t *testing.T, c *Conversion, records ...string) ([]map[string]any, []Failed) {
	t.Helper()
	obj, failed := convert(t, c, Tables{smallTable}, records...)
	if obj.Body == nil {
		return nil, failed
	}
	_, rows := duckdb(t, obj.Body)
	return rows, failed
}

func TestOpenXKeyMatching(t *testing.T) {
	rec := `{"User.Id":"u1","TS":0,"n":"42","payload":{"a":[1,2]}}`
	// The defaults: case-insensitive, dots kept (so "user.id" matches no
	// column), quoted numbers read, nested values kept as JSON text.
	rows, failed := rowsOf(t, openX(nil), rec)
	if failed != nil || len(rows) != 1 {
		t.Fatalf("rows %v failed %v", rows, failed)
	}
	if r := rows[0]; r["user_id"] != nil || r["ts"] != "1970-01-01 00:00:00" || r["n"] != "42" || r["payload"] != `{"a":[1,2]}` {
		t.Fatalf("defaults: %v", r)
	}
	// Dots to underscores.
	rows, _ = rowsOf(t, openX(func(o *OpenXJSONSerDe) { o.ConvertDotsInJSONKeysToUnderscores = boolp(true) }), rec)
	if rows[0]["user_id"] != "u1" {
		t.Fatalf("dots: %v", rows[0])
	}
	// Case-sensitive: "TS" no longer matches ts.
	rows, _ = rowsOf(t, openX(func(o *OpenXJSONSerDe) {
		o.CaseInsensitive = boolp(false)
		o.ConvertDotsInJSONKeysToUnderscores = boolp(true)
	}), rec)
	if rows[0]["ts"] != nil || rows[0]["user_id"] != nil || rows[0]["n"] != "42" {
		t.Fatalf("case-sensitive: %v", rows[0])
	}
	// A column mapped to another key.
	rows, _ = rowsOf(t, openX(func(o *OpenXJSONSerDe) {
		o.ColumnToJSONKeyMappings = map[string]string{"user_id": "User.Id", "ts": "when"}
	}), `{"User.Id":"u2","when":"2026-07-13 14:05:09","ts":5}`)
	if rows[0]["user_id"] != "u2" || rows[0]["ts"] != "2026-07-13 14:05:09" {
		t.Fatalf("mappings: %v", rows[0])
	}
}

func TestOpenXTimestamps(t *testing.T) {
	cases := map[string]string{
		`"2026-07-13T14:05:09Z"`:        "2026-07-13 14:05:09",
		`"2026-07-13T16:05:09.5+02:00"`: "2026-07-13 14:05:09.5",
		`"2026-07-13T14:05:09"`:         "2026-07-13 14:05:09",
		`"2026-7-3 4:05:09.123456789"`:  "2026-07-03 04:05:09.123456",
		`1783951509`:                    "2026-07-13 14:05:09",
		`1783951509123`:                 "2026-07-13 14:05:09.123",
		`1783951509.25`:                 "2026-07-13 14:05:09.25",
		`"1783951509"`:                  "2026-07-13 14:05:09",
	}
	var recs []string
	var want []string
	for in, out := range cases {
		recs = append(recs, `{"ts":`+in+`}`)
		want = append(want, out)
	}
	rows, failed := rowsOf(t, openX(nil), recs...)
	if failed != nil {
		t.Fatalf("failed: %v", failed)
	}
	for i, r := range rows {
		if r["ts"] != want[i] {
			t.Errorf("%s: DuckDB read %v, want %s", recs[i], r["ts"], want[i])
		}
	}
	_, failed = rowsOf(t, openX(nil), `{"ts":"yesterday"}`, `{"ts":true}`)
	if len(failed) != 2 {
		t.Fatalf("bad timestamps: %v", failed)
	}
}

func hive(formats ...string) *Conversion {
	c := openX(nil)
	c.InputFormatConfiguration.Deserializer = &Deserializer{HiveJSONSerDe: &HiveJSONSerDe{TimestampFormats: formats}}
	return c
}

func TestHiveJSONSerDe(t *testing.T) {
	rows, failed := rowsOf(t, hive("dd/MM/yyyy HH:mm:ss.SSS", "millis", "yyyy-MM-dd'T'HH:mm:ssZ"),
		`{"USER_ID":"a","ts":"13/07/2026 14:05:09.120","n":1}`,
		`{"ts":1783951509123}`,
		`{"ts":"2026-07-13T16:05:09+0200"}`,
		`{"ts":"2026-07-13 14:05:09.5"}`, // java.sql.Timestamp form, always tried
		`{"n":"1"}`,                      // quoted number: refused
		`{"payload":{"a":1}}`,            // nested value in a string column: refused
		`{"ts":"13 Jul 2026"}`,           // no format matches
	)
	want := []string{"2026-07-13 14:05:09.12", "2026-07-13 14:05:09.123", "2026-07-13 14:05:09", "2026-07-13 14:05:09.5"}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i, r := range rows {
		if r["ts"] != want[i] {
			t.Errorf("row %d: %v, want %s", i, r["ts"], want[i])
		}
	}
	if rows[0]["user_id"] != "a" {
		t.Errorf("case-insensitive keys: %v", rows[0])
	}
	if len(failed) != 3 || failed[0].Index != 4 || failed[1].Index != 5 || failed[2].Index != 6 {
		t.Fatalf("failed %+v", failed)
	}
	if !strings.Contains(failed[0].Message, "quoted numbers") || !strings.Contains(failed[1].Message, "into a string") {
		t.Fatalf("messages %+v", failed)
	}
}

func TestJodaPatterns(t *testing.T) {
	cases := []struct{ pattern, in, want string }{
		{"yyyyMMddHHmmss", "20260713140509", "2026-07-13T14:05:09Z"},
		{"yyyy-MM-dd hh:mm a", "2026-07-13 02:05 PM", "2026-07-13T14:05:00Z"},
		{"dd MMM yyyy HH:mm:ss ZZ", "13 Jul 2026 16:05:09 +02:00", "2026-07-13T14:05:09Z"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSX", "2026-07-13T14:05:09.007Z", "2026-07-13T14:05:09.007Z"},
		{"MMMM d, yy", "July 3, 26", "2026-07-03T00:00:00Z"},
	}
	for _, c := range cases {
		j, err := compileJoda(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := j.parse(c.in)
		if err != nil {
			t.Errorf("%s on %q: %v", c.pattern, c.in, err)
			continue
		}
		if got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("%s on %q: %s, want %s", c.pattern, c.in, got.Format(time.RFC3339Nano), c.want)
		}
	}
	for _, bad := range [][2]string{{"yyyy-MM-dd", "2026-02-30"}, {"yyyy-MM-dd", "2026-07-13x"}, {"HH:mm", "25:00"}} {
		j, _ := compileJoda(bad[0])
		if _, err := j.parse(bad[1]); err == nil {
			t.Errorf("%s accepted %q", bad[0], bad[1])
		}
	}
}

func TestHiveTypes(t *testing.T) {
	good := []string{"string", "VARCHAR(10)", "char(3)", "decimal", "decimal(38, 10)", "array<map<string,array<int>>>",
		"struct<a:int, b:struct<c:string>>", "map<bigint,struct<x:double>>", "integer"}
	for _, s := range good {
		if _, err := parseHiveType(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := []string{"", "text", "varchar", "decimal(39,1)", "decimal(5,6)", "array<int", "map<array<int>,int>",
		"struct<a:int,a:int>", "uniontype<int>", "int extra"}
	for _, s := range bad {
		if _, err := parseHiveType(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
