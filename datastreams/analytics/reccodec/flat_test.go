package reccodec

import (
	"reflect"
	"testing"
)

// flatPair is a decoder whose schema is flat and the same decoder made to
// take the general path.
func flatPair(t testing.TB) (flat, general *Decoder) {
	ty := func(s string) Column { return Column{Type: typ(t, s)} }
	cols := []Column{ty("VARCHAR(8)"), ty("INTEGER"), ty("REAL"), ty("DOUBLE"), ty("BOOLEAN"), ty("TIMESTAMP"), ty("VARCHAR(32)")}
	for i, m := range []string{"$.a", "$.n", "$.r", "$.n", "$.b", "$.t", "$['o k']"} {
		cols[i].Name, cols[i].Mapping = string(rune('A'+i)), m
	}
	flat, err := NewDecoder(Format{Type: JSON}, cols)
	if err != nil {
		t.Fatal(err)
	}
	if flat.flat == nil {
		t.Fatal("the schema is not taken as flat")
	}
	g := *flat
	g.flat = nil
	return flat, &g
}

var flatSeeds = []string{
	`{"a":"x","n":3,"r":1.5,"b":true,"t":"2026-01-02 03:04:05.000","o k":{"deep":[1,2,{"z":null}]}}`,
	`{"a":"x","a":"y","skip":[1,[2,[3]]],"n":"12"}`,
	`  {"a" : "\u00e9\"" , "n" : -0.0e1 , "other":"\ud83d\ude00" }  `,
	`{"a":null,"n":null}`,
	`{}`,
	`{"a":"1"} {"a":"2"}`,
	`{"n":99999999999}`,
	`{"a":"toolongvalue"}`,
	`[{"a":"x"}]`,
	`{"a":"x",}`,
	`{"skip":{"k":tru}}`,
	`{"skip":"bad\escape"}`,
}

func TestFlatMatchesGeneral(t *testing.T) {
	flat, general := flatPair(t)
	for _, s := range flatSeeds {
		checkFlat(t, flat, general, []byte(s))
	}
	if rows, err := flat.Decode([]byte(flatSeeds[0])); err != nil || rowsText(rows) != `x|3|1.5|3|TRUE|2026-01-02 03:04:05.000|{"deep":[1,2,{"z":null}]};` {
		t.Fatalf("flat: %s, %v", rowsText(rows), err)
	}
}

func checkFlat(t *testing.T, flat, general *Decoder, data []byte) {
	t.Helper()
	got, gerr := flat.Decode(data)
	want, werr := general.Decode(data)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("%q: flat error %v, general %v", data, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: flat %s, general %s", data, rowsText(got), rowsText(want))
	}
}

// FuzzFlatMatchesGeneral: the one-pass decoder of flat schemas gives what
// the general path gives, rows and errors alike.
func FuzzFlatMatchesGeneral(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	flat, general := flatPair(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkFlat(t, flat, general, data) })
}
