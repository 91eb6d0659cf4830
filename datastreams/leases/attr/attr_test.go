package attr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestNumCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"5": "5", "5.0": "5", "-0": "0", "0.000": "0", "+3e2": "300", "1.0E-4": "0.0001",
		"1.2345678E7": "12345678", "007.500": "7.5", "-12.340e-3": "-0.01234", "1E-130": "0." + strings.Repeat("0", 129) + "1",
		"9.9999999999999999999999999999999999999E+125": "99999999999999999999999999999999999999" + strings.Repeat("0", 88),
		".5": "0.5", "5.": "5", "100": "100",
	} {
		n, err := ParseNum(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if n.String() != want {
			t.Errorf("%s -> %s, want %s", in, n, want)
		}
	}
	for _, bad := range []string{"", "-", ".", "e5", "1e", "1e+", "NaN", "Infinity", "0x10", "1,5", " 1", "1 ", "1e126", "1E-131", "123456789012345678901234567890123456789", "1..2"} {
		if _, err := ParseNum(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if e := new(Error); !errors.As(err, &e) {
			t.Errorf("%q: error %T", bad, err)
		}
	}
	// 38 digits with zeros around them is fine.
	if _, err := ParseNum("000" + strings.Repeat("7", 38) + "000"); err != nil {
		t.Error(err)
	}
}

func TestNumCompareAdd(t *testing.T) {
	for _, c := range []struct {
		a, b string
		cmp  int
	}{
		{"5", "5.0", 0}, {"-1", "1", -1}, {"10", "9", 1}, {"0.1", "0.09", 1}, {"-0.1", "-0.09", -1}, {"0", "-0", 0}, {"1e2", "100", 0}, {"99", "100", -1},
	} {
		a, _ := ParseNum(c.a)
		b, _ := ParseNum(c.b)
		if got := a.Cmp(b); got != c.cmp {
			t.Errorf("cmp(%s,%s) = %d, want %d", c.a, c.b, got, c.cmp)
		}
	}
	for _, c := range [][3]string{{"1", "2", "3"}, {"0.1", "0.2", "0.3"}, {"-5", "5", "0"}, {"1e10", "-1", "9999999999"}, {"1.5", "-0.25", "1.25"}} {
		a, _ := ParseNum(c[0])
		b, _ := ParseNum(c[1])
		r, err := a.Add(b)
		if err != nil || r.String() != c[2] {
			t.Errorf("%s+%s = %s %v, want %s", c[0], c[1], r, err, c[2])
		}
	}
	a, _ := ParseNum(strings.Repeat("9", 38))
	if _, err := a.Add(Num{Digits: "1", Exp: -1}); err == nil {
		t.Error("39 significant digits accepted")
	}
}

func TestValueJSON(t *testing.T) {
	in := `{"a":{"S":"x"},"b":{"N":"1.50"},"c":{"B":"AAE="},"d":{"BOOL":false},"e":{"NULL":true},"f":{"M":{}},"g":{"L":[]},"h":{"SS":["a","b"]},"i":{"NS":["1","2.0"]},"j":{"BS":["AA=="]},"k":{"B":""},"l":{"S":""},"m":{"L":[{"M":{"x":{"L":[{"N":"1"}]}}}]}}`
	var it Item
	if err := json.Unmarshal([]byte(in), &it); err != nil {
		t.Fatal(err)
	}
	it, err := ValidateItem(it)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(`"1.50"`, `"1.5"`, `"2.0"`, `"2"`).Replace(in)
	var x, y any
	json.Unmarshal(b, &x)
	json.Unmarshal([]byte(want), &y)
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	if string(bx) != string(by) {
		t.Fatalf("round trip\n got %s\nwant %s", bx, by)
	}
	for _, bad := range []string{`{}`, `{"S":"a","N":"1"}`, `{"NULL":false}`, `{"SS":[]}`, `{"NS":["1","1.0"]}`, `{"BS":[]}`, `{"N":"x"}`, `{"X":"a"}`, `{"M":{"a":{}}}`, `{"L":[{"N":"1e999"}]}`, `{"SS":["a","a"]}`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			continue // a JSON-level error is fine as well
		}
		if _, err := v.Validate(); err == nil {
			t.Errorf("%s validated", bad)
		}
	}
	for _, bad := range []string{`{"S":1}`, `{"B":"!!"}`, `[]`, `{"BOOL":"x"}`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

func TestEqualSizes(t *testing.T) {
	if !Equal(SS("a", "b"), SS("b", "a")) || Equal(S("6"), N("6")) || !Equal(N("6"), N("6.0")) || Equal(L(S("a"), S("b")), L(S("b"), S("a"))) {
		t.Fatal("Equal")
	}
	if !Equal(M(map[string]Value{"a": NS("1", "2")}), M(map[string]Value{"a": NS("2.0", "1")})) {
		t.Fatal("Equal of maps with number sets")
	}
	it := Item{"leaseKey": S("shardId-000000000000"), "leaseCounter": N("12345")}
	if got := it.Size(); got != len("leaseKey")+20+len("leaseCounter")+4 {
		t.Fatalf("size %d", got)
	}
}

func FuzzParseNum(f *testing.F) {
	for _, s := range []string{"5", "-0.5", "1.0E-4", "+3e2", "1e126", "", ".", "9.9999999999999999999999999999999999999E+125", "0000.0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNum(s)
		if err != nil {
			return
		}
		// The canonical text parses to the same number and is a fixed point.
		m, err := ParseNum(n.String())
		if err != nil || m.Cmp(n) != 0 || m.String() != n.String() {
			t.Fatalf("%q -> %q -> %q %v", s, n, m, err)
		}
		z, err := n.Add(n.Negate())
		if err != nil || z.String() != "0" {
			t.Fatalf("%q - itself = %q %v", s, z, err)
		}
	})
}

func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`{"S":"x"}`, `{"N":"1.0E-4"}`, `{"L":[]}`, `{"M":{"a":{"SS":["a"]}}}`, `{"BS":["AA=="]}`, `{}`, `{"NULL":true}`, `{"B":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Value
		if json.Unmarshal(b, &v) != nil {
			return
		}
		c, err := v.Validate()
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("%s: marshal: %v", b, err)
		}
		var w Value
		if err := json.Unmarshal(out, &w); err != nil {
			t.Fatalf("%s -> %s: %v", b, out, err)
		}
		w, err = w.Validate()
		if err != nil || !Equal(c, w) {
			t.Fatalf("%s -> %s: not equal after a round trip (%v)", b, out, err)
		}
	})
}
