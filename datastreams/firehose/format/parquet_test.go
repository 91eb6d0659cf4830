package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// eventsTable is the table the tests declare, with every supported type.
var eventsTable = Table{Database: "analytics", Name: "Events", Columns: []Column{
	{Name: "id", Type: "bigint"},
	{Name: "name", Type: "string"},
	{Name: "code", Type: "varchar(4)"},
	{Name: "flag", Type: "boolean"},
	{Name: "tiny", Type: "tinyint"},
	{Name: "small", Type: "smallint"},
	{Name: "count", Type: "int"},
	{Name: "ratio", Type: "float"},
	{Name: "score", Type: "double"},
	{Name: "price", Type: "decimal(10,2)"},
	{Name: "big", Type: "decimal(38,4)"},
	{Name: "day", Type: "date"},
	{Name: "ts", Type: "timestamp"},
	{Name: "raw", Type: "binary"},
	{Name: "tags", Type: "array<string>"},
	{Name: "attrs", Type: "map<string,int>"},
	{Name: "geo", Type: "struct<lat:double,lon:double,names:array<string>>"},
}}

func boolp(b bool) *bool { return &b }

func openX(mut func(*OpenXJSONSerDe)) *Conversion {
	o := &OpenXJSONSerDe{}
	if mut != nil {
		mut(o)
	}
	return &Conversion{
		SchemaConfiguration:       &SchemaConfiguration{DatabaseName: "analytics", TableName: "events"},
		InputFormatConfiguration:  &InputFormatConfiguration{Deserializer: &Deserializer{OpenXJSONSerDe: o}},
		OutputFormatConfiguration: &OutputFormatConfiguration{Serializer: &Serializer{ParquetSerDe: &ParquetSerDe{}}},
	}
}

func convert(t *testing.T, c *Conversion, tables Tables, records ...string) (Object, []Failed) {
	t.Helper()
	e, err := NewEncoder(EncoderConfig{Compression: Uncompressed, Conversion: c, Tables: tables})
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, r := range records {
		recs = append(recs, []byte(r))
	}
	obj, failed, err := e.Encode("x", recs)
	if err != nil {
		t.Fatal(err)
	}
	return obj, failed
}

// duckdb reads a Parquet body with DuckDB (under node, installed by make
// deps into testdata/duckdb) and returns its column types and its rows as
// text.
func duckdb(t *testing.T, body []byte) (map[string]string, []map[string]any) {
	t.Helper()
	dir, err := filepath.Abs("testdata/duckdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("DuckDB is needed: run make deps (npm ci in %s): %v", dir, err)
	}
	path := filepath.Join(t.TempDir(), "o.parquet")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "read.mjs"), path)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v: %s", err, stderr.String())
	}
	var res struct {
		Columns []struct{ Name, Type string }
		Rows    []map[string]any
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("duckdb output %q: %v", out, err)
	}
	types := map[string]string{}
	var order []string
	for _, c := range res.Columns {
		types[c.Name] = c.Type
		order = append(order, c.Name)
	}
	types["(order)"] = strings.Join(order, ",")
	return types, res.Rows
}

// readBack reads a Parquet body with parquet-go into one map a row.
func readBack(t *testing.T, body []byte) (*parquet.Schema, []map[string]any) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 16)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				m := map[string]any{}
				if err := f.Schema().Reconstruct(&m, row); err != nil {
					t.Fatal(err)
				}
				out = append(out, m)
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	return f.Schema(), out
}

const fullRecord = `{"ID":7,"Name":"first","code":"ABCDEF","flag":true,"tiny":-8,"small":300,"count":70000,
"ratio":0.5,"score":2.25,"price":12.345,"big":"-123456789012345678901234567.89",
"day":"2026-07-13","ts":"2026-07-13T14:05:09.123Z","raw":"bytes","tags":["a","b"],
"attrs":{"x":1,"y":2},"geo":{"LAT":1.5,"lon":-2.5,"names":["p"]}}`

func TestParquetReadBackByParquetGoAndDuckDB(t *testing.T) {
	tables := Tables{eventsTable}
	obj, failed := convert(t, openX(nil), tables,
		fullRecord,
		// two objects in one record, nulls and missing columns, empty
		// collections, null elements
		`{"id":8,"ts":1783951509,"tags":[],"attrs":{},"geo":null}`+"\n"+`{"id":9,"ts":"2026-7-3 04:05:06.5","tags":["x",null],"attrs":{"k":null},"geo":{"names":null}}`,
		`{"id":"not a number"}`,
		`[{"id":10}]`,
		`{"id":11} trailing`,
	)
	if obj.Ext != ".parquet" || obj.Records != 3 {
		t.Fatalf("object: ext %q, %d rows", obj.Ext, obj.Records)
	}
	if len(failed) != 3 || failed[0].Index != 2 || failed[1].Index != 3 || failed[2].Index != 4 {
		t.Fatalf("failed: %+v", failed)
	}
	if failed[0].Code != CodeInvalidValue || failed[1].Code != CodeMalformedData {
		t.Fatalf("failure codes: %+v", failed)
	}

	schema, rows := readBack(t, obj.Body)
	var cols []string
	for _, f := range schema.Fields() {
		cols = append(cols, f.Name())
	}
	if got := strings.Join(cols, ","); got != "id,name,code,flag,tiny,small,count,ratio,score,price,big,day,ts,raw,tags,attrs,geo" {
		t.Fatalf("column order %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r["id"] != int64(7) || r["name"] != "first" || r["code"] != "ABCD" || r["flag"] != true || r["count"] != int32(70000) {
		t.Fatalf("row 0 by parquet-go: %#v", r)
	}
	if rows[1]["id"] != int64(8) || rows[1]["name"] != nil {
		t.Fatalf("row 1 by parquet-go: %#v", rows[1])
	}

	types, drows := duckdb(t, obj.Body)
	wantTypes := map[string]string{
		"id": "BIGINT", "name": "VARCHAR", "code": "VARCHAR", "flag": "BOOLEAN", "tiny": "TINYINT",
		"small": "SMALLINT", "count": "INTEGER", "ratio": "FLOAT", "score": "DOUBLE",
		"price": "DECIMAL(10,2)", "big": "DECIMAL(38,4)", "day": "DATE", "ts": "TIMESTAMP",
		"raw": "BLOB", "tags": "VARCHAR[]", "attrs": "MAP(VARCHAR, INTEGER)",
		"geo":     "STRUCT(lat DOUBLE, lon DOUBLE, \"names\" VARCHAR[])",
		"(order)": "id,name,code,flag,tiny,small,count,ratio,score,price,big,day,ts,raw,tags,attrs,geo",
	}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("DuckDB types:\n got %v\nwant %v", types, wantTypes)
	}
	want := []map[string]any{
		{"id": "7", "name": "first", "code": "ABCD", "flag": "true", "tiny": "-8", "small": "300",
			"count": "70000", "ratio": "0.5", "score": "2.25", "price": "12.35",
			"big": "-123456789012345678901234567.8900", "day": "2026-07-13",
			"ts": "2026-07-13 14:05:09.123", "raw": "bytes", "tags": "[a, b]",
			"attrs": "{x=1, y=2}", "geo": "{'lat': 1.5, 'lon': -2.5, 'names': [p]}"},
		{"id": "8", "name": nil, "code": nil, "flag": nil, "tiny": nil, "small": nil, "count": nil,
			"ratio": nil, "score": nil, "price": nil, "big": nil, "day": nil,
			"ts": "2026-07-13 14:05:09", "raw": nil, "tags": "[]", "attrs": "{}", "geo": nil},
		{"id": "9", "name": nil, "code": nil, "flag": nil, "tiny": nil, "small": nil, "count": nil,
			"ratio": nil, "score": nil, "price": nil, "big": nil, "day": nil,
			"ts": "2026-07-03 04:05:06.5", "raw": nil, "tags": "[x, NULL]", "attrs": "{k=NULL}",
			"geo": "{'lat': NULL, 'lon': NULL, 'names': NULL}"},
	}
	if !reflect.DeepEqual(drows, want) {
		for i := range drows {
			for k, v := range drows[i] {
				if i < len(want) && !reflect.DeepEqual(v, want[i][k]) {
					t.Errorf("row %d %s: DuckDB read %#v, want %#v", i, k, v, want[i][k])
				}
			}
		}
		if len(drows) != len(want) {
			t.Errorf("DuckDB read %d rows, want %d", len(drows), len(want))
		}
	}
}

func TestParquetAllRecordsFailing(t *testing.T) {
	obj, failed := convert(t, openX(nil), Tables{eventsTable}, `nope`, `{"flag":"maybe"}`)
	if obj.Body != nil || obj.Records != 0 || len(failed) != 2 {
		t.Fatalf("object %d bytes, %d rows, failed %+v", len(obj.Body), obj.Records, failed)
	}
}

func TestConversionValidation(t *testing.T) {
	tables := Tables{eventsTable}
	orc := openX(nil)
	orc.OutputFormatConfiguration.Serializer = &Serializer{OrcSerDe: &OrcSerDe{}}
	unknown := openX(nil)
	unknown.SchemaConfiguration.TableName = "nope"
	both := openX(nil)
	both.InputFormatConfiguration.Deserializer.HiveJSONSerDe = &HiveJSONSerDe{}
	badPage := openX(nil)
	small := int64(1024)
	badPage.OutputFormatConfiguration.Serializer.ParquetSerDe.PageSizeBytes = &small
	badJoda := openX(nil)
	badJoda.InputFormatConfiguration.Deserializer = &Deserializer{HiveJSONSerDe: &HiveJSONSerDe{TimestampFormats: []string{"yyyy-MM-dd EEE"}}}
	cases := []struct {
		name        string
		compression string
		conv        *Conversion
		tables      Tables
		want        string
	}{
		{"compressed", GZIP, openX(nil), tables, "CompressionFormat must be UNCOMPRESSED"},
		{"orc", "", orc, tables, "ORC"},
		{"unknown table", "", unknown, tables, "analytics.nope is not declared"},
		{"no tables", "", openX(nil), nil, "not declared"},
		{"two deserializers", "", both, tables, "exactly one of OpenXJsonSerDe and HiveJsonSerDe"},
		{"page size", "", badPage, tables, "PageSizeBytes"},
		{"joda", "", badJoda, tables, "TimestampFormats"},
		{"bad column type", "", openX(nil), Tables{{Database: "analytics", Name: "events", Columns: []Column{{Name: "u", Type: "uniontype<int,string>"}}}}, "uniontype"},
	}
	for _, c := range cases {
		_, err := NewEncoder(EncoderConfig{Compression: c.compression, Conversion: c.conv, Tables: c.tables})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
		var ce *ConfigError
		if c.name == "orc" {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("orc: %v does not wrap ErrUnsupported", err)
			}
		} else if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *ConfigError", c.name, err)
		}
	}
	disabled := openX(nil)
	disabled.Enabled = boolp(false)
	if _, err := NewEncoder(EncoderConfig{Compression: GZIP, Conversion: disabled}); err != nil {
		t.Fatalf("a disabled conversion: %v", err)
	}
}
