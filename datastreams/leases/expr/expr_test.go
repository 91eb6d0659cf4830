package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

var item = attr.Item{
	"key": attr.S("Leader"), "n": attr.N("5"), "s": attr.SS("a", "b"),
	"m": attr.M(map[string]attr.Value{"x": attr.L(attr.N("1"), attr.S("two"))}),
	"b": attr.B([]byte{1, 2, 3}), "t": attr.Bool(true),
}

func ctxFor() *Context {
	return NewContext(map[string]string{"#pk": "key", "#m": "m"}, attr.Item{":v": attr.S("Leader"), ":one": attr.N("1"), ":five": attr.N("5.0"), ":pre": attr.S("Lea"), ":a": attr.S("a"), ":bin": attr.B([]byte{1}), ":tb": attr.S("BOOL")})
}

func TestConditions(t *testing.T) {
	for src, want := range map[string]bool{
		"attribute_not_exists(#pk)":                false,
		"attribute_exists(#pk) AND #pk = :v":       true,
		"attribute_exists (key)":                   true,
		"attribute_not_exists(nope)AND n = :five":  true,
		"n = :five and not n < :one":               true,
		"n BETWEEN :one AND :five":                 true,
		"n IN (:one, :five)":                       true,
		"n IN (:one)":                              false,
		"begins_with(key, :pre)":                   true,
		"begins_with(b, :bin)":                     true,
		"contains(s, :a)":                          true,
		"contains(#m.x, :one)":                     true,
		"#m.x[1] = :v OR m.x[0] = :one":            true,
		"size(s) = :one":                           false,
		"size(m.x) > :one":                         true,
		"attribute_type(t, :tb)":                   true,
		"attribute_type(n, :tb)":                   false,
		"NOT (n = :five OR n = :one) OR n = :one":  false,
		"n = :one OR n = :five AND n = :one":       false,
		"n = :one OR NOT n = :one AND n = :five":   true,
		"(n = :one OR NOT n = :one) AND n = :five": true,
		"m.x[5] = :one":                            false,
		"nope <> :one":                             true,
		"n <> :five":                               false,
		"key > :pre":                               true,
		"key < :one":                               false, // type mismatch
		"size(nope) = :one":                        false,
		"attribute_exists(m.x[1])":                 true,
		"attribute_exists(m.x[2])":                 false,
	} {
		c, err := ParseCondition(ctxFor(), KindCondition, src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := c.Eval(item); got != want {
			t.Errorf("%s = %v, want %v", src, got, want)
		}
	}
	if c, err := ParseCondition(ctxFor(), KindCondition, "attribute_not_exists(#pk)"); err != nil || !c.Eval(nil) {
		t.Errorf("on no item: %v", err)
	}
}

func TestConditionErrors(t *testing.T) {
	for src, msg := range map[string]string{
		"":                        "can not be empty",
		"n = ":                    "Syntax error",
		"n = :nope":               "not defined; attribute value: :nope",
		"#nope = :v":              "not defined; attribute name: #nope",
		"n == :v":                 "Syntax error",
		"n = :v)":                 "Syntax error",
		"(n = :v":                 "Syntax error",
		"Attribute_Exists(n)":     "Invalid function name",
		"attribute_exists(:v)":    "Incorrect operand type",
		"attribute_type(n, :one)": "Invalid attribute type",
		"n BETWEEN :one":          "Syntax error",
		"n IN ()":                 "Syntax error",
		"n = :v $":                "Syntax error",
		"size(n)":                 "Syntax error",
		"n[x] = :v":               "Syntax error",
	} {
		_, err := ParseCondition(ctxFor(), KindCondition, src)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, msg) {
			t.Errorf("%q: %v, want %q", src, err, msg)
		}
	}
	_, err := ParseCondition(ctxFor(), KindCondition, "n = :v $")
	if e := new(Error); !errors.As(err, &e) || e.Pos != 7 {
		t.Errorf("position: %v", err)
	}
	c := ctxFor()
	if _, err := ParseCondition(c, KindCondition, "#pk = :v"); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckUnused(); err == nil || !strings.Contains(err.Error(), "#m") {
		t.Errorf("unused: %v", err)
	}
}

func TestUpdates(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"SET #k0=:v0,#k1=:v1 REMOVE #ir ", `{"a":{"S":"x"},"b":{"N":"2"},"key":{"S":"Leader"},"n":{"N":"5"}}`},
		{"set n = n + :one, z = if_not_exists(z, :one)", `{"key":{"S":"Leader"},"n":{"N":"6"},"old":{"S":"y"},"z":{"N":"1"}}`},
		{"SET n = :one - n REMOVE old", `{"key":{"S":"Leader"},"n":{"N":"-4"}}`},
		{"ADD n :one, ss :ss DELETE nope :ss", `{"key":{"S":"Leader"},"n":{"N":"6"},"old":{"S":"y"},"ss":{"SS":["q"]}}`},
		{"SET l = list_append(:l, :l)", `{"key":{"S":"Leader"},"l":{"L":[{"N":"1"},{"N":"1"}]},"n":{"N":"5"},"old":{"S":"y"}}`},
	} {
		ctx := NewContext(map[string]string{"#k0": "a", "#k1": "b", "#ir": "old"}, attr.Item{":v0": attr.S("x"), ":v1": attr.N("2"), ":one": attr.N("1"), ":ss": attr.SS("q"), ":l": attr.L(attr.N("1"))})
		u, err := ParseUpdate(ctx, c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		it := attr.Item{"key": attr.S("Leader"), "n": attr.N("5"), "old": attr.S("y")}
		if err := u.Apply(it); err != nil {
			t.Errorf("%s: apply: %v", c.src, err)
			continue
		}
		b, _ := attr.M(it).MarshalJSON()
		if got := strings.TrimSuffix(strings.TrimPrefix(string(b), `{"M":`), "}"); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
	for _, bad := range []string{"SET", "SET a", "SET a = :one SET b = :one", "REMOVE a, a.b", "ADD a :l", "DELETE a :one", "SET a = size(b)", "UPSERT a = :one", "SET a = :one,", "SET a = b + c + d"} {
		ctx := NewContext(nil, attr.Item{":one": attr.N("1"), ":l": attr.L()})
		if _, err := ParseUpdate(ctx, bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestProjectionAndKeys(t *testing.T) {
	ps, err := ParseProjection(ctxFor(), "key, #m.x[1], nope")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := attr.M(Project(item, ps)).MarshalJSON()
	if string(b) != `{"M":{"key":{"S":"Leader"},"m":{"M":{"x":{"L":[{"S":"two"}]}}}}}` {
		t.Fatalf("projection %s", b)
	}
	kc, err := ParseKeyCondition(ctxFor(), "begins_with(r, :pre) AND #pk = :v", "key", "r")
	if err != nil || kc.HashName != "key" || kc.Range.Op != "begins_with" || !kc.Range.Match(attr.S("Lead")) {
		t.Fatalf("key condition %+v %v", kc, err)
	}
	kc, err = ParseKeyCondition(ctxFor(), ":one < r AND key = :v", "key", "r")
	if err != nil || kc.Range.Op != ">" {
		t.Fatalf("flipped comparison %+v %v", kc, err)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"attribute_not_exists(#pk)", "attribute_exists(#pk) AND #pk = :v", "#key = :v AND attribute_exists (wid)", "attribute_not_exists(ClaimRequest)AND AssignedTo = :v", "NOT (a BETWEEN :one AND :five) OR b IN (:a, :v)", "size(m.x[0]) >= :one", "contains(s, :a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(ctxFor(), KindCondition, s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: error %T", s, err)
			}
			return
		}
		c.Eval(item)
		c.Eval(nil)
	})
}

func FuzzParseUpdate(f *testing.F) {
	for _, s := range []string{"SET #k0=:v0,#k1=:v1 REMOVE #ir ", "SET n = n + :one ADD s :ss DELETE t :ss", "set l[3] = list_append(l, :l), z = if_not_exists(z, :one)", "remove a.b[2], c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ctx := NewContext(map[string]string{"#k0": "a", "#k1": "b", "#ir": "old"}, attr.Item{":v0": attr.S("x"), ":v1": attr.N("2"), ":one": attr.N("1"), ":ss": attr.SS("q"), ":l": attr.L(attr.N("1"))})
		u, err := ParseUpdate(ctx, s)
		if err != nil {
			return
		}
		it := attr.Item{"n": attr.N("5"), "l": attr.L(attr.S("a")), "s": attr.SS("x"), "a": attr.M(map[string]attr.Value{"b": attr.L(attr.N("0"))})}
		_ = u.Apply(it)
	})
}

func FuzzParseKeyCondition(f *testing.F) {
	for _, s := range []string{"leaseOwner = :v", "key = :v AND r BETWEEN :one AND :five", "begins_with(r, :pre) AND key = :v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kc, err := ParseKeyCondition(ctxFor(), s, "key", "r")
		if err == nil && kc.Range != nil {
			kc.Range.Match(attr.N("1"))
		}
	})
}

func FuzzParseProjection(f *testing.F) {
	for _, s := range []string{"a, b.c[1], #m", "leaseKey"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseProjection(ctxFor(), s)
		if err == nil {
			Project(item, ps)
		}
	})
}
