package reccodec

import (
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func typ(t testing.TB, s string) sqltypes.Type {
	t.Helper()
	ty, err := sqltypes.ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

func rowsText(rows [][]sqltypes.Value) string {
	var b strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(v.String())
		}
		b.WriteByte(';')
	}
	return b.String()
}

func TestJSONMapping(t *testing.T) {
	cases := []struct {
		name, rowPath string
		cols          []Column
		record, want  string
	}{
		{"members and nesting", "$", []Column{{Name: "A", Mapping: "$.a"}, {Name: "B", Mapping: "$.b.c"}, {Name: "Q", Mapping: "$['x y']"}},
			`{"a":"one","b":{"c":"two"},"x y":"three"}`, "one|two|three;"},
		{"missing is NULL", "$", []Column{{Name: "A", Mapping: "$.a"}, {Name: "B", Mapping: "$.nope.deeper"}},
			`{"a":"x"}`, "x|NULL;"},
		{"index", "$", []Column{{Name: "A", Mapping: "$.arr[1]"}}, `{"arr":["p","q"]}`, "q;"},
		{"whole array as text", "$", []Column{{Name: "A", Mapping: "$.arr[0:]"}}, `{"arr":[1,2]}`, "[1,2];"},
		{"exploded array repeats the other columns", "$", []Column{{Name: "ID", Mapping: "$.id"}, {Name: "F", Mapping: "$.items[0:].f"}, {Name: "G", Mapping: "$.items[0:].g"}},
			`{"id":"r","items":[{"f":"a","g":"b"},{"f":"c"}]}`, "r|a|b;r|c|NULL;"},
		{"empty array gives one row", "$", []Column{{Name: "ID", Mapping: "$.id"}, {Name: "F", Mapping: "$.items[0:].f"}},
			`{"id":"r","items":[]}`, "r|NULL;"},
		{"row path selects the parent", "$.data", []Column{{Name: "A", Mapping: "$.data.a"}}, `{"data":{"a":"in"}}`, "in;"},
		{"row path over an array", "$.rows[0:]", []Column{{Name: "A", Mapping: "$.a"}}, `{"rows":[{"a":"1"},{"a":"2"}]}`, "1;2;"},
		{"several documents in one record", "$", []Column{{Name: "A", Mapping: "$.a"}}, `{"a":"1"} {"a":"2"}`, "1;2;"},
	}
	for _, c := range cases {
		for i := range c.cols {
			c.cols[i].Type = typ(t, "VARCHAR(16)")
		}
		d, err := NewDecoder(Format{Type: JSON, RowPath: c.rowPath}, c.cols)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rows, err := d.Decode([]byte(c.record))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := rowsText(rows); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestJSONTypesAndErrors(t *testing.T) {
	cols := []Column{{Name: "N", Mapping: "$.n", Type: typ(t, "INTEGER")}, {Name: "P", Mapping: "$.p", Type: typ(t, "REAL")}, {Name: "S", Mapping: "$.s", Type: typ(t, "VARCHAR(3)")}}
	d, err := NewDecoder(Format{Type: JSON}, cols)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.Decode([]byte(`{"n":42,"p":1.5,"s":"abcdef"}`))
	if err != nil || rowsText(rows) != "42|1.5|abc;" {
		t.Fatalf("got %s %v", rowsText(rows), err)
	}
	for _, bad := range []string{`{"n":1.5}`, `not json`, `{"n":"x"}`} {
		if _, err := d.Decode([]byte(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	_, err = d.Decode([]byte(`{"n":1.5}`))
	if e, ok := err.(*Error); !ok || e.Column != "N" {
		t.Errorf("error %v does not name column N", err)
	}
	for _, bad := range [][]Column{
		{{Name: "A", Mapping: "a", Type: typ(t, "INTEGER")}},
		{{Name: "A", Type: typ(t, "INTEGER")}},
		{{Name: "A", Mapping: "$.x[0:].y", Type: typ(t, "INTEGER")}, {Name: "B", Mapping: "$.z[0:].y", Type: typ(t, "INTEGER")}},
	} {
		if _, err := NewDecoder(Format{Type: JSON}, bad); err == nil {
			t.Errorf("schema %v accepted", bad)
		}
	}
}

func TestCSV(t *testing.T) {
	cols := []Column{{Name: "T", Type: typ(t, "VARCHAR(4)")}, {Name: "P", Type: typ(t, "DOUBLE")}}
	d, err := NewDecoder(Format{Type: CSV, RowDelimiter: "|", ColumnDelimiter: ";"}, cols)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.Decode([]byte("AMZN;1.5;extra|TGT;2|"))
	if err != nil || rowsText(rows) != "AMZN|1.5;TGT|2;" {
		t.Fatalf("got %s %v", rowsText(rows), err)
	}
	if _, err := d.Decode([]byte("AMZN")); err == nil {
		t.Fatal("a row with too few fields decoded")
	}
	d, _ = NewDecoder(Format{Type: CSV}, cols)
	rows, err = d.Decode([]byte("A,1\r\nB,2\n"))
	if err != nil || rowsText(rows) != "A|1;B|2;" {
		t.Fatalf("default delimiters: %s %v", rowsText(rows), err)
	}
}

func TestEncode(t *testing.T) {
	cols := []sqltypes.Column{{Name: "T", Type: typ(t, "VARCHAR(8)")}, {Name: "n", Type: typ(t, "INTEGER")}, {Name: "X", Type: typ(t, "DOUBLE")}}
	row := []sqltypes.Value{sqltypes.Str(`a,"b`), sqltypes.Int(3), sqltypes.NullOf(sqltypes.Double)}
	if got := string(Encode(nil, JSON, cols, row)); got != `{"T":"a,\"b","n":3,"X":null}` {
		t.Errorf("JSON %s", got)
	}
	if got := string(Encode(nil, CSV, cols, row)); got != "\"a,\"\"b\",3,\n" {
		t.Errorf("CSV %q", got)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a b'][0]", "$.arr[0:].f", "$[*]", "$.", "$[", "$['x]", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		p.Lookup(map[string]any{"a": []any{map[string]any{"b": 1}}})
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"a":"x","items":[{"f":1},{"f":2}]}`), false)
	f.Add([]byte("a,1\nb,2\n"), true)
	f.Add([]byte(`{"a":[1,{"b":null}]} {"a":true}`), false)
	cols := []Column{{Name: "A", Mapping: "$.a", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 8}},
		{Name: "F", Mapping: "$.items[0:].f", Type: sqltypes.Type{Kind: sqltypes.Integer}}}
	jd, _ := NewDecoder(Format{Type: JSON}, cols)
	cd, _ := NewDecoder(Format{Type: CSV}, cols)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		d := jd
		if csv {
			d = cd
		}
		rows, err := d.Decode(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if len(r) != len(cols) {
				t.Fatalf("row of %d values", len(r))
			}
			Encode(nil, JSON, []sqltypes.Column{{Name: "A"}, {Name: "F"}}, r)
		}
	})
}
