package sqlfunc

import (
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

type strCase struct {
	name string
	args []sqt.Value
	want string
}

func runStrCases(t *testing.T, cases []strCase) {
	t.Helper()
	l := testLib()
	for _, tc := range cases {
		got := mustCall(t, l, tc.name, tc.args...)
		if got.Null || got.String() != tc.want {
			t.Errorf("%s%v = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

func S(s string) sqt.Value { return sqt.Str(s) }
func I(i int64) sqt.Value  { return sqt.Int(i) }

// The SQL reference's examples of the string functions.
func TestStringFunctions(t *testing.T) {
	runStrCases(t, []strCase{
		{"SUBSTRING", []sqt.Value{S("123456789"), I(3), I(4)}, "3456"},
		{"SUBSTRING", []sqt.Value{S("123456789"), I(17), I(4)}, ""},
		{"SUBSTRING", []sqt.Value{S("123456789"), I(-1), I(4)}, "12"},
		{"SUBSTRING", []sqt.Value{S("123456789"), I(0)}, "123456789"},
		{"SUBSTRING", []sqt.Value{S("123456789"), I(8)}, "89"},
		{"SUBSTRING", []sqt.Value{S("123456789"), I(3), I(0)}, ""},
		{"SUBSTRING", []sqt.Value{S("héllo"), I(2), I(2)}, "él"},
		{"POSITION", []sqt.Value{S(".com"), S("http://www.amazon.com")}, "18"},
		{"POSITION", []sqt.Value{S("www."), S("http://www.amazon.com")}, "8"},
		{"POSITION", []sqt.Value{S("x"), S("abc")}, "0"},
		{"POSITION", []sqt.Value{S(""), S("abc")}, "1"},
		{"POSITION", []sqt.Value{S("a"), S("banana"), I(3)}, "4"},
		{"POSITION", []sqt.Value{S("a"), S("banana"), I(7)}, "0"},
		{"CHAR_LENGTH", []sqt.Value{S("héllo")}, "5"},
		{"CHARACTER_LENGTH", []sqt.Value{S("")}, "0"},
		{"UPPER", []sqt.Value{S("Amzn")}, "AMZN"},
		{"LOWER", []sqt.Value{S("Amzn")}, "amzn"},
		{"INITCAP", []sqt.Value{S("Each FIRST lEtTeR is cAPITALIZED")}, "Each First Letter Is Capitalized"},
		{"INITCAP", []sqt.Value{S("o'neil  x-ray")}, "O'neil  X-ray"},
		{"TRIM", []sqt.Value{S("  Trim front and back  ")}, "Trim front and back"},
		{"TRIM", []sqt.Value{S("BOTH"), S(" "), S("  Trim front and back  ")}, "Trim front and back"},
		{"TRIM", []sqt.Value{S("LEADING"), S("x"), S("xxxTrim frontxxx")}, "Trim frontxxx"},
		{"TRIM", []sqt.Value{S("TRAILING"), S("x"), S("xxxTrimxBackxxx")}, "xxxTrimxBack"},
		{"TRIM", []sqt.Value{S("BOTH"), S("y"), S("xxxNo y to trimxxx")}, "xxxNo y to trimxxx"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(1)}, "foo45"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(0)}, "foo345"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(-2)}, "foo12345"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(4)}, "123foo"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(17)}, "12345foo"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(2), I(0)}, "1foo2345"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(2), I(2)}, "1foo45"},
		{"OVERLAY", []sqt.Value{S("12345"), S("foo"), I(2), I(9)}, "1foo"},
		// the developer guide's REGEX_REPLACE example, and the reference's
		{"REGEX_REPLACE", []sqt.Value{S("http://www.amazon.com"), S("http://"), S("https://"), I(1), I(0)}, "https://www.amazon.com"},
		{"REGEX_REPLACE", []sqt.Value{S("TECHNOLOGY"), S("TECHNOLOGY"), S("INFORMATION TECHNOLOGY"), I(1), I(0)}, "INFORMATION TECHNOLOGY"},
		{"REGEX_REPLACE", []sqt.Value{S("a1b22c333"), S(`\d+`), S("#"), I(1), I(0)}, "a#b#c#"},
		{"REGEX_REPLACE", []sqt.Value{S("a1b22c333"), S(`\d+`), S("#"), I(1), I(2)}, "a1b#c333"},
		{"REGEX_REPLACE", []sqt.Value{S("a1b22c333"), S(`\d+`), S("#"), I(4), I(0)}, "a1b#c#"},
		{"REGEX_REPLACE", []sqt.Value{S("abc"), S(`b`), S("x"), I(9), I(0)}, "abc"},
		{"REGEX_REPLACE", []sqt.Value{S("John Smith"), S(`(\w+) (\w+)`), S(`$2, $1 \$`), I(1), I(0)}, "Smith, John $"},
		{"REGEX_REPLACE", []sqt.Value{S("ab12"), S(`\p{Alpha}++`), S("-"), I(1), I(0)}, "-12"},
		{"REGEX_REPLACE", []sqt.Value{S("2020-01-02"), S(`(?<y>\d+)-(?<m>\d+)-(?<d>\d+)`), S("${d}/${m}/${y}"), I(1), I(0)}, "02/01/2020"},
		{"COALESCE", []sqt.Value{sqt.NullOf(sqt.Varchar), S("b")}, "b"},
		{"NULLIF", []sqt.Value{S("a"), S("b")}, "a"},
	})
}

// The developer guide's SUBSTRING example: the company out of a referrer,
// SUBSTRING(r, 12, POSITION('.com' IN r) - POSITION('www.' IN r) - 4).
func TestSubstringExample(t *testing.T) {
	l := testLib()
	r := S("http://www.amazon.com")
	com := mustCall(t, l, "POSITION", S(".com"), r)
	www := mustCall(t, l, "POSITION", S("www."), r)
	n := mustCall(t, l, "-", mustCall(t, l, "-", com, www), I(4))
	if got := mustCall(t, l, "SUBSTRING", r, I(12), n); got.S != "amazon" {
		t.Errorf("got %q", got.S)
	}
}

func TestStringErrors(t *testing.T) {
	l := testLib()
	bad := []struct {
		name string
		args []sqt.Value
	}{
		{"SUBSTRING", []sqt.Value{S("abc"), I(1), I(-1)}},
		{"TRIM", []sqt.Value{S("BOTH"), S("xy"), S("abc")}},
		{"TRIM", []sqt.Value{S("BOTH"), S(""), S("abc")}},
		{"TRIM", []sqt.Value{S("MIDDLE"), S("x"), S("abc")}},
		{"OVERLAY", []sqt.Value{S("abc"), S("x"), I(1), I(-1)}},
		{"REGEX_REPLACE", []sqt.Value{S("abc"), S("b"), S("x"), I(0), I(0)}},
		{"REGEX_REPLACE", []sqt.Value{S("abc"), S("b"), S("x"), I(1), I(-1)}},
		{"REGEX_REPLACE", []sqt.Value{S("abc"), S("(b"), S("x"), I(1), I(0)}},
		{"REGEX_REPLACE", []sqt.Value{S("abc"), S("b"), S("$2"), I(1), I(0)}},
		{"UPPER", []sqt.Value{I(1)}},
		{"SUBSTRING", []sqt.Value{S("abc"), S("1")}},
	}
	for _, tc := range bad {
		if got, err := call(t, l, tc.name, tc.args...); err == nil {
			t.Errorf("%s%v = %v, want an error", tc.name, tc.args, got)
		}
	}
	if got := mustCall(t, l, "UPPER", sqt.NullOf(sqt.Varchar)); !got.Null {
		t.Errorf("UPPER(NULL) = %v", got)
	}
}

func TestPatterns(t *testing.T) {
	l := testLib()
	tests := []struct {
		op      string
		s, p    string
		esc     string
		matches bool
	}{
		{"LIKE", "TECHNOLOGY", "%TECH%", "", true},
		{"LIKE", "HEALTHCARE", "%TECH%", "", false},
		{"LIKE", "abc", "a_c", "", true},
		{"LIKE", "a.c", "a.c", "", true},
		{"LIKE", "abc", "a.c", "", false},
		{"LIKE", "50%", "50!%", "!", true},
		{"LIKE", "500", "50!%", "!", false},
		{"LIKE", "line1\nline2", "line1%", "", true},
		{"SIMILAR TO", "TECHNOLOGY", "%TECH%", "", true},
		{"SIMILAR TO", "ENERGY", "%TECH%", "", false},
		{"SIMILAR TO", "abc", "(a|x)(b|y)c", "", true},
		{"SIMILAR TO", "aaa", "a+", "", true},
		{"SIMILAR TO", "a.c", "a.c", "", true},
		{"SIMILAR TO", "abc", "a.c", "", false},
		{"SIMILAR TO", "b7", "[a-c][0-9]", "", true},
		{"SIMILAR TO", "ab", "a{1,2}b", "", true},
		{"SIMILAR TO", "a+", "a#+", "#", true},
		{"SIMILAR TO", "aa", "a#+", "#", false},
	}
	for _, tc := range tests {
		args := []sqt.Value{S(tc.s), S(tc.p)}
		if tc.esc != "" {
			args = append(args, S(tc.esc))
		}
		got := mustCall(t, l, tc.op, args...)
		if got.Truth() != tc.matches {
			t.Errorf("%q %s %q ESCAPE %q = %v", tc.s, tc.op, tc.p, tc.esc, got)
		}
	}
	for _, bad := range [][]sqt.Value{{S("a"), S("a("), S("")}, {S("a"), S("[a"), S("")}, {S("a"), S("a!"), S("!")}} {
		if _, err := call(t, l, "SIMILAR TO", bad...); err == nil {
			t.Errorf("SIMILAR TO %v: no error", bad)
		}
	}
	if _, err := call(t, l, "LIKE", S("a"), S("x"), S("ab")); err == nil {
		t.Error("two-character escape accepted")
	}
}
