package reccodec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// stdJSON decodes one value as encoding/json does with UseNumber.
func stdJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(b[d.InputOffset():], " \t\r\n")) > 0 {
		return nil, errEnd
	}
	return v, nil
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,false,null],"c":"x\u00e9\n"}`, `-0.5e+3`, `"\ud83d\ude00"`, `"\ud83d"`, `[1,]`, `{"a" 1}`, `01`, `"\x01"`, "\"\xff\"", ` 7 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := stdJSON(b)
		got, end, gerr := parseJSON(b, 0, 0)
		if gerr == nil && skipSpace(b, end) != len(b) {
			gerr = errEnd
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json says %v, parseJSON %v", b, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", b, got, want)
		}
	})
}
