package transform

import (
	"reflect"
	"strings"
	"testing"
)

func TestDeAggregationJSON(t *testing.T) {
	p := mustNew(t, Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "JSON"))})
	in := recs(
		`{"a":1}{"a":2}`,
		"{\"b\":1}\n{\"b\": [2, {\"c\":3}]}\n",
		`[{"a":1},{"a":2}]`,
		`{"a":1} 5`,
		`{"a":1}{"a":`,
		`   `,
		` {"x":"}{"} `,
	)
	out, failed := run(t, p, in)
	want := []string{`{"a":1}`, `{"a":2}`, `{"b":1}`, `{"b": [2, {"c":3}]}`, `{"x":"}{"}`}
	if got := datas(out); !reflect.DeepEqual(got, want) {
		t.Errorf("out = %q, want %q", got, want)
	}
	if out[0].ID != "r0:0" || out[1].ID != "r0:1" || out[4].ID != "r6:0" {
		t.Errorf("ids %q %q %q", out[0].ID, out[1].ID, out[4].ID)
	}
	if out[1].Arrival != in[0].Arrival {
		t.Error("sub-records lost the arrival time")
	}
	if len(failed) != 4 {
		t.Fatalf("%d failed, want 4: %+v", len(failed), failed)
	}
	for i, f := range failed {
		if f.OutputType != OutputProcessingFailed || f.Code != CodeDeAggInvalidJSON {
			t.Errorf("failed[%d] = %+v", i, f)
		}
	}
	if string(failed[0].Record.Data) != `[{"a":1},{"a":2}]` || !strings.Contains(failed[0].Message, "not a JSON object") {
		t.Errorf("array failure: %+v", failed[0])
	}
}

func TestDeAggregationLimit(t *testing.T) {
	p := mustNew(t, Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "JSON"))})
	out, failed := run(t, p, recs(strings.Repeat(`{}`, 500), strings.Repeat(`{}`, 501)))
	if len(out) != 500 || len(failed) != 1 || failed[0].Code != CodeDeAggTooMany {
		t.Fatalf("%d out, failed %+v", len(out), failed)
	}
}

func TestDeAggregationDelimited(t *testing.T) {
	// IyMjIw== is "####".
	p := mustNew(t, Config{Processing: procs(proc(TypeRecordDeAggregation, "SubRecordType", "DELIMITED", "Delimiter", "IyMjIw=="))})
	out, failed := run(t, p, recs("a####b####c", "d####", "e########f", strings.Repeat("x####", 501)))
	want := []string{"a", "b", "c", "d", "e", "", "f"}
	if got := datas(out); !reflect.DeepEqual(got, want) {
		t.Errorf("out = %q, want %q", got, want)
	}
	if len(failed) != 1 || failed[0].Code != CodeDeAggTooMany {
		t.Errorf("failed = %+v", failed)
	}
}

func TestAppendDelimiter(t *testing.T) {
	p := mustNew(t, Config{Processing: procs(proc(TypeAppendDelimiterToRecord))})
	backing := []byte("abcdef")
	in := recs("", "")
	in[0].Data = backing[:3]
	in[1].Data = backing[3:]
	out, _ := run(t, p, in)
	if got := datas(out); !reflect.DeepEqual(got, []string{"abc\n", "def\n"}) {
		t.Errorf("out = %q", got)
	}
	if string(backing) != "abcdef" {
		t.Errorf("the input's memory changed: %q", backing)
	}
}

func FuzzSplitJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}{"a":2}`, "{}\n{}\n", `[1]`, `{"a":"}"}`, `{`, `{"a":1}}`, ``, ` `, `{}{}{}"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := splitJSON(data)
		if err != nil {
			return
		}
		if len(parts) == 0 || len(parts) > MaxSubRecords {
			t.Fatalf("%d parts", len(parts))
		}
		total := 0
		for _, p := range parts {
			if p[0] != '{' || p[len(p)-1] != '}' {
				t.Fatalf("part %q is not an object", p)
			}
			if _, err := decodeJSON(p); err != nil {
				t.Fatalf("part %q does not decode: %v", p, err)
			}
			total += len(p)
		}
		if total > len(data) {
			t.Fatalf("parts hold %d bytes of %d", total, len(data))
		}
	})
}
