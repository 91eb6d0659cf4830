package sqlfunc

import (
	"math"
	"regexp"
	"testing"
	"unicode/utf8"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// fuzzTypes are the column types the fuzz targets convert into.
var fuzzTypes = []string{
	"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DECIMAL(10,2)", "REAL", "DOUBLE",
	"CHAR(4)", "VARCHAR(8)", "VARBINARY(4)", "DATE", "TIME", "TIMESTAMP",
}

func fuzzType(i uint8) sqt.Type { return mustType(fuzzTypes[int(i)%len(fuzzTypes)]) }

// FuzzFromText: a CSV field never panics, converts to its column's kind,
// and a converted value's text converts back to the same value.
func FuzzFromText(f *testing.F) {
	for _, s := range []string{"", "42", "-0.35", "1e400", "true", "1992-02-14", "1992-02-14 18:35:44.0",
		"2018-05-09T12:50:41.337510", "X'CAFE'", "yv4=", "18:35", "NaN", "-Infinity", "9223372036854775808", " 7 "} {
		for i := range fuzzTypes {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, ti uint8) {
		ty := fuzzType(ti)
		v, err := FromText(s, ty)
		if err != nil {
			return
		}
		if v.K != ty.Kind {
			t.Fatalf("FromText(%q, %s) gave kind %s", s, ty, v.K)
		}
		if v.Null {
			return
		}
		if ty.Kind.IsString() && utf8.RuneCountInString(v.S) > ty.Len {
			t.Fatalf("FromText(%q, %s) = %q, longer than the column", s, ty, v.S)
		}
		text := ToText(v)
		if ty.Kind.IsBinary() || (ty.Kind.IsNumeric() && (math.IsNaN(v.F) || math.IsInf(v.F, 0))) {
			return
		}
		back, err := FromText(text, ty)
		if err != nil {
			t.Fatalf("FromText(%q, %s) = %v, whose text %q does not read back: %v", s, ty, v, text, err)
		}
		if ty.Kind == sqt.Char && back.S != v.S {
			return // CHAR padding read back through a shorter field
		}
		if !same(back, v) {
			t.Fatalf("FromText(%q, %s) = %v; text %q reads back as %v", s, ty, v, text, back)
		}
	})
}

// FuzzCast: CAST never panics; a successful cast has the target's kind,
// and a number cast to VARCHAR reads back as itself.
func FuzzCast(f *testing.F) {
	f.Add(int64(300), 2.5, "12.5", uint8(1), uint8(3))
	f.Add(int64(-1), math.Inf(1), "abc", uint8(4), uint8(9))
	f.Add(int64(1<<62), -1e300, "1992-02-30", uint8(13), uint8(5))
	f.Fuzz(func(t *testing.T, i int64, fl float64, s string, from, to uint8) {
		ty := fuzzType(to)
		srcs := []sqt.Value{sqt.BigIntV(i), sqt.Float(fl), sqt.Str(s), sqt.TimestampMs(i), sqt.IntervalMs(i), real32(fl), dec(fl)}
		src := srcs[int(from)%len(srcs)]
		if src.K == sqt.Decimal {
			// a DECIMAL holds at most 19 digits: make it as a cast would
			d, err := Cast(sqt.Float(fl), mustType("DECIMAL(19,4)"))
			if err != nil {
				return
			}
			src = d
		}
		v, err := Cast(src, ty)
		if err != nil {
			return
		}
		if v.K != ty.Kind {
			t.Fatalf("CAST(%v AS %s) gave kind %s", src, ty, v.K)
		}
		if src.K.IsNumeric() && !math.IsNaN(src.AsFloat()) && !math.IsInf(src.AsFloat(), 0) {
			text, err := Cast(src, mustType("VARCHAR(64)"))
			if err != nil {
				t.Fatalf("CAST(%v AS VARCHAR): %v", src, err)
			}
			back, err := Cast(text, sqt.Type{Kind: src.K})
			if err != nil || !same(back, src) {
				t.Fatalf("CAST(%v AS VARCHAR) = %q reads back as %v, %v", src, text.S, back, err)
			}
		}
	})
}

// FuzzLogParse: the log-parse functions never panic on any line, format
// or column list, and a row they return has the fields Check promised.
func FuzzLogParse(f *testing.F) {
	l := New(Config{Now: func() int64 { return 0 }})
	line := `192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /icons/apache_pb.gif HTTP/1.1" 304 0`
	f.Add(line, "COMMON", uint8(0))
	f.Add(line, `%h %l %u %t "%r" %>s %b "%{Referer}i"`, uint8(0))
	f.Add("x,y,z", "COL_1 TYPE VARCHAR(16), COL_2 TYPE VARCHAR(16), COL_3 TYPE VARCHAR(16)", uint8(1))
	f.Add(`"a,b",c\,d`, `A TYPE TIMESTAMP 'dd/MMM/yyyy', B INTEGER NOT NULL`, uint8(1))
	f.Add("server01 404 2020-01-02", `H TYPE VARCHAR(8) START 0 FOR 8, C TYPE INTEGER START 9 FOR 3`, uint8(2))
	f.Add("id=42", `id=(\d+)`, uint8(3))
	f.Add("a,b,c", `(.*),(.*)`, uint8(4))
	f.Add("Jan  5 10:00:01 host1 sshd: x", "", uint8(5))
	names := []string{"W3C_LOG_PARSE", "VARIABLE_COLUMN_LOG_PARSE", "FIXED_COLUMN_LOG_PARSE", "REGEX_LOG_PARSE", "FAST_REGEX_LOG_PARSER", "SYS_LOG_PARSE"}
	f.Fuzz(func(t *testing.T, line, spec string, which uint8) {
		name := names[int(which)%len(names)]
		args := []sqt.Value{sqt.Str(line), sqt.Str(spec)}
		switch name {
		case "VARIABLE_COLUMN_LOG_PARSE":
			args = append(args, sqt.Str(","), sqt.Str(`\`), sqt.Str(`"`))
		case "SYS_LOG_PARSE":
			args = args[:1]
		}
		fn, _ := l.Lookup(name)
		as := make([]Arg, len(args))
		for i := range args {
			as[i] = Arg{Type: sqt.Type{Kind: sqt.Varchar}, Const: &args[i]}
		}
		rt, err := fn.Check(as)
		if err != nil {
			return
		}
		v, err := fn.Eval(args)
		if err != nil || v.Null {
			return
		}
		if v.K != sqt.RowKind || len(v.Fields()) != len(rt.Fields) {
			t.Fatalf("%s(%q, %q) = %v for %s", name, line, spec, v, rt)
		}
		for i, fv := range v.Fields() {
			if !fv.Null && fv.K != rt.Fields[i].Type.Kind {
				t.Fatalf("%s field %d: kind %s, want %s", name, i, fv.K, rt.Fields[i].Type)
			}
		}
	})
}

// FuzzDateFormat: formatting and parsing with any pattern never panic, and
// for patterns of numeric fields that cover a timestamp to the
// millisecond, parsing what was formatted gives the timestamp back.
func FuzzDateFormat(f *testing.F) {
	for _, p := range []string{"yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd hh:mm:ss a", "EEE, d MMM yyyy HH:mm:ss Z",
		"yyyyMMddHHmmssSSS", "dd/MMM/yyyy:HH:mm:ss", "'quoted''s' yy", "D u k K"} {
		f.Add(p, int64(1525870241337), "2018-05-09 12:50:41.337")
	}
	f.Add("yyyy-MM-dd", int64(-1), "1969-12-31")
	f.Fuzz(func(t *testing.T, pattern string, ms int64, input string) {
		toks, err := parseDateFormat(pattern)
		if err != nil {
			return
		}
		_, _ = parseDateTime(toks, input)
		if ms < -62135596800000 || ms > 253402300799999 { // years 1..9999
			return
		}
		text := formatDateTime(toks, ms)
		if !roundTrips(toks) {
			return
		}
		back, err := parseDateTime(toks, text)
		if err != nil || back != ms {
			t.Fatalf("pattern %q: %d formats as %q, parses as %d, %v", pattern, ms, text, back, err)
		}
	})
}

// roundTrips reports patterns that name year (4 digits), month, day,
// 24-hour hour, minute, second and millisecond once each, with literals
// between numeric fields that cannot be read as digits.
func roundTrips(toks []dfToken) bool {
	seen := map[byte]int{}
	for i, tk := range toks {
		if tk.letter == 0 {
			for _, r := range tk.lit {
				if r >= '0' && r <= '9' {
					return false
				}
			}
			continue
		}
		seen[tk.letter]++
		if tk.letter == 'y' && tk.count != 4 {
			return false
		}
		if !isNumericField(tk) && tk.letter != 'M' {
			return false
		}
		// adjacent numeric fields are read by width: the width must hold the value
		if i+1 < len(toks) && toks[i+1].letter != 0 && isNumericField(toks[i+1]) {
			if need := map[byte]int{'y': 4, 'M': 2, 'd': 2, 'H': 2, 'm': 2, 's': 2, 'S': 3}[tk.letter]; tk.count < need {
				return false
			}
		}
	}
	for _, c := range []byte("yMdHmsS") {
		if seen[c] != 1 {
			return false
		}
	}
	return len(seen) == 7
}

// FuzzLikePattern: the string-search matcher of %-only patterns agrees
// with the regular expression the pattern translates to, for LIKE and
// SIMILAR TO, and no pattern panics.
func FuzzLikePattern(f *testing.F) {
	for _, p := range []string{"%TECH%", "a%a", "ab%", "%", "", "%%x%%", "50!%%", "a_c", "(a|b)%"} {
		f.Add("TECHNOLOGY", p, "!", false)
		f.Add("a", p, "", true)
	}
	f.Fuzz(func(t *testing.T, s, p, esc string, similar bool) {
		translate := likeRegexp
		if similar {
			translate = similarRegexp
		}
		src, err := translate(p, esc)
		if err != nil {
			return
		}
		re, err := regexp.Compile(src)
		if err != nil {
			t.Fatalf("pattern %q escape %q: translation %q does not compile: %v", p, esc, src, err)
		}
		m, err := compilePattern(p, esc, similar, translate)
		if err != nil {
			t.Fatalf("pattern %q escape %q: %v", p, esc, err)
		}
		if got, want := m(s), re.MatchString(s); got != want {
			t.Fatalf("%q against %q (escape %q, similar %v): string search %v, regexp %v", s, p, esc, similar, got, want)
		}
	})
}
