package format

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	pformat "github.com/parquet-go/parquet-go/format"
)

func TestParquetSerDeOptions(t *testing.T) {
	cases := []struct {
		serde    ParquetSerDe
		codec    pformat.CompressionCodec
		pageType pformat.PageType
		dict     bool
	}{
		{ParquetSerDe{}, pformat.Snappy, pformat.DataPage, false},
		{ParquetSerDe{Compression: "GZIP", WriterVersion: "V2"}, pformat.Gzip, pformat.DataPageV2, false},
		{ParquetSerDe{Compression: "UNCOMPRESSED", EnableDictionaryCompression: boolp(true)}, pformat.Uncompressed, pformat.DataPage, true},
	}
	var records []string
	for i := range 200 {
		records = append(records, fmt.Sprintf(`{"user_id":"u%d","n":%d,"ts":%d}`, i%3, i, 1783951509+i))
	}
	for _, c := range cases {
		conv := openX(nil)
		serde := c.serde
		conv.OutputFormatConfiguration.Serializer.ParquetSerDe = &serde
		obj, failed := convert(t, conv, Tables{smallTable}, records...)
		if failed != nil || obj.Records != 200 {
			t.Fatalf("%+v: %d rows, failed %v", c.serde, obj.Records, failed)
		}
		f, err := parquet.OpenFile(bytes.NewReader(obj.Body), int64(len(obj.Body)))
		if err != nil {
			t.Fatal(err)
		}
		chunk := f.Metadata().RowGroups[0].Columns[0].MetaData
		if chunk.Codec != c.codec {
			t.Errorf("%+v: codec %v, want %v", c.serde, chunk.Codec, c.codec)
		}
		hasDict := false
		for _, e := range chunk.Encoding {
			if e == pformat.RLEDictionary {
				hasDict = true
			}
		}
		if hasDict != c.dict {
			t.Errorf("%+v: encodings %v, dictionary wanted: %v", c.serde, chunk.Encoding, c.dict)
		}
		if ph := firstDataPageType(t, f); ph != c.pageType {
			t.Errorf("%+v: page type %v, want %v", c.serde, ph, c.pageType)
		}
		_, rows := duckdb(t, obj.Body)
		if len(rows) != 200 || rows[199]["user_id"] != "u1" || rows[199]["n"] != "199" || rows[199]["ts"] != "2026-07-13 14:08:28" {
			t.Fatalf("%+v: DuckDB read %d rows, the last %v", c.serde, len(rows), rows[len(rows)-1])
		}
	}
}

// firstDataPageType returns the type of the data pages of the third
// column, from the column chunk's encoding stats.
func firstDataPageType(t *testing.T, f *parquet.File) pformat.PageType {
	t.Helper()
	for _, s := range f.Metadata().RowGroups[0].Columns[2].MetaData.EncodingStats {
		if s.PageType == pformat.DataPage || s.PageType == pformat.DataPageV2 {
			return s.PageType
		}
	}
	t.Fatal("no data page in the encoding stats")
	return 0
}

func TestParquetNestedTypes(t *testing.T) {
	table := Table{Database: "d", Name: "nested", Columns: []Column{
		{Name: "items", Type: "array<struct<sku:string,qty:int,opts:map<string,string>>>"},
		{Name: "byid", Type: "map<int,array<string>>"},
		{Name: "matrix", Type: "array<array<double>>"},
		{Name: "last", Type: "string"},
	}}
	conv := openX(nil)
	conv.SchemaConfiguration.DatabaseName, conv.SchemaConfiguration.TableName = "d", "nested"
	obj, failed := convert(t, conv, Tables{table},
		`{"items":[{"sku":"a","qty":1,"opts":{"c":"red","s":"L"}},{"sku":"b","qty":2,"opts":{}},null],
		  "byid":{"2":["x","y"],"10":[]},"matrix":[[1,2],[],[3]],"last":"z"}`,
		`{"items":[],"byid":null,"matrix":[null,[null]]}`,
		`{"byid":{"one":["x"]}}`,
	)
	if len(failed) != 1 || failed[0].Index != 2 || !strings.Contains(failed[0].Message, `key "one"`) {
		t.Fatalf("failed %+v", failed)
	}
	_, rows := duckdb(t, obj.Body)
	want := []map[string]any{
		{"items": "[{'sku': a, 'qty': 1, 'opts': {c=red, s=L}}, {'sku': b, 'qty': 2, 'opts': {}}, NULL]",
			"byid": "{10=[], 2=[x, y]}", "matrix": "[[1.0, 2.0], [], [3.0]]", "last": "z"},
		{"items": "[]", "byid": nil, "matrix": "[NULL, [NULL]]", "last": nil},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("DuckDB read\n%v\nwant\n%v", rows, want)
	}
	_, prows := readBack(t, obj.Body)
	if len(prows) != 2 {
		t.Fatalf("parquet-go read %d rows", len(prows))
	}
}

func TestEncoderConcurrentUse(t *testing.T) {
	e, err := NewEncoder(EncoderConfig{Conversion: openX(nil), Tables: Tables{smallTable}})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		g   int
		obj Object
		err error
	}
	done := make(chan result)
	for g := range 4 {
		go func() {
			var recs [][]byte
			for i := range 50 {
				recs = append(recs, fmt.Appendf(nil, `{"user_id":"g%d","n":%d}`, g, i))
			}
			obj, failed, err := e.Encode("x", recs)
			if err == nil && failed != nil {
				err = fmt.Errorf("failed %v", failed)
			}
			done <- result{g, obj, err}
		}()
	}
	for range 4 {
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		_, rows := readBack(t, r.obj.Body)
		if len(rows) != 50 || rows[49]["user_id"] != fmt.Sprintf("g%d", r.g) || rows[49]["n"] != int32(49) {
			t.Fatalf("goroutine %d: read back %d rows, the last %v", r.g, len(rows), rows[len(rows)-1])
		}
	}
}

func TestParquetRowGroupsBySize(t *testing.T) {
	e, err := NewEncoder(EncoderConfig{Conversion: openX(nil), Tables: Tables{smallTable}})
	if err != nil {
		t.Fatal(err)
	}
	e.parquet.blockSize = 1000 // the API's minimum is 64 MiB; this makes several groups
	var recs [][]byte
	for i := range 300 {
		recs = append(recs, fmt.Appendf(nil, `{"user_id":"u","n":%d}`, i))
	}
	obj, _, err := e.Encode("x", recs)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(obj.Body), int64(len(obj.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n < 5 {
		t.Fatalf("%d row groups, want several", n)
	}
	_, rows := duckdb(t, obj.Body)
	for i, r := range rows {
		if r["n"] != fmt.Sprint(i) {
			t.Fatalf("row %d: %v", i, r)
		}
	}
	if len(rows) != 300 {
		t.Fatalf("%d rows", len(rows))
	}
}
