package sqlfunc

import (
	"strings"
	"testing"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// rowStrings is a row value's fields as text ("NULL" for NULL).
func rowStrings(v sqt.Value) []string {
	out := make([]string, len(v.Fields()))
	for i, f := range v.Fields() {
		out[i] = f.String()
	}
	return out
}

func checkRow(t *testing.T, what string, got sqt.Value, want ...string) {
	t.Helper()
	if got.Null || got.K != sqt.RowKind {
		t.Fatalf("%s = %v, want a row", what, got)
	}
	if g := strings.Join(rowStrings(got), " | "); g != strings.Join(want, " | ") {
		t.Errorf("%s\n got %s\nwant %s", what, g, strings.Join(want, " | "))
	}
}

func fieldNames(t *testing.T, l *Library, name string, args ...sqt.Value) []string {
	t.Helper()
	f, _ := l.Lookup(name)
	as := make([]Arg, len(args))
	for i := range args {
		as[i] = Arg{Type: sqt.Type{Kind: args[i].K}, Const: &args[i]}
	}
	rt, err := f.Check(as)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range rt.Fields {
		out = append(out, c.Name+" "+c.Type.String())
	}
	return out
}

// The developer guide's W3C_LOG_PARSE example: a COMMON line.
func TestW3CLogParse(t *testing.T) {
	l := testLib()
	line := `192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /icons/apache_pb.gif HTTP/1.1" 304 0`
	got := mustCall(t, l, "W3C_LOG_PARSE", S(line), S("COMMON"))
	checkRow(t, "COMMON", got, "192.168.254.30", "-", "John", "[24/May/2004:22:01:02 -0700]", "GET /icons/apache_pb.gif HTTP/1.1", "304", "0")
	if names := fieldNames(t, l, "W3C_LOG_PARSE", S(line), S("COMMON")); names[0] != "COLUMN1 VARCHAR(1024)" || len(names) != 7 {
		t.Errorf("fields %v", names)
	}
	// inserted into the example's VARCHAR(16) columns, the 4th and 5th truncate
	c4, err := Cast(got.Fields()[3], mustType("VARCHAR(16)"))
	if err != nil || c4.S != "[24/May/2004:22:" {
		t.Errorf("column 4 as VARCHAR(16): %q %v", c4.S, err)
	}
	combined := line + ` "http://example.com/" "Mozilla/5.0 (X11; Linux)"`
	checkRow(t, "NCSA EXTENDED", mustCall(t, l, "W3C_LOG_PARSE", S(combined), S("NCSA EXTENDED")),
		"192.168.254.30", "-", "John", "[24/May/2004:22:01:02 -0700]", "GET /icons/apache_pb.gif HTTP/1.1", "304", "0",
		"http://example.com/", "Mozilla/5.0 (X11; Linux)")
	checkRow(t, "COMMON WITH VHOST", mustCall(t, l, "W3C_LOG_PARSE", S("www.example.com "+line), S("common with vhost")),
		"www.example.com", "192.168.254.30", "-", "John", "[24/May/2004:22:01:02 -0700]", "GET /icons/apache_pb.gif HTTP/1.1", "304", "0")
	checkRow(t, "REFERER", mustCall(t, l, "W3C_LOG_PARSE", S("http://a.example/x ---> /index.html"), S("REFERER")),
		"http://a.example/x", "/index.html")
	checkRow(t, "AGENT", mustCall(t, l, "W3C_LOG_PARSE", S("Mozilla/4.08 [en] (Win98; I ;Nav)"), S("AGENT")),
		"Mozilla/4.08 [en] (Win98; I ;Nav)")
	checkRow(t, "custom", mustCall(t, l, "W3C_LOG_PARSE", S(`10.0.0.1 "GET / HTTP/1.0" 200`), S(`%a "%r" %>s`)),
		"10.0.0.1", "GET / HTTP/1.0", "200")
	checkRow(t, "IIS", mustCall(t, l, "W3C_LOG_PARSE", S("192.168.114.201, -, 03/20/01, 7:55:20, W3SVC2, SALES1, 172.21.13.45, 4502, 163, 3223, 200, 0, GET, /DeptLogo.gif, -,"), S("IIS")),
		"192.168.114.201", "-", "03/20/01", "7:55:20", "W3SVC2", "SALES1", "172.21.13.45", "4502", "163", "3223", "200", "0", "GET", "/DeptLogo.gif", "-")
	if got := mustCall(t, l, "W3C_LOG_PARSE", S("not a log line"), S("COMMON")); !got.Null {
		t.Errorf("no match = %v, want NULL", got)
	}
	for _, bad := range []string{"", "no directives", "%{Referer"} {
		if _, err := call(t, l, "W3C_LOG_PARSE", S(line), S(bad)); err == nil {
			t.Errorf("format %q accepted", bad)
		}
	}
}

// The developer guide's REGEX_LOG_PARSE example, with Java's greedy
// backtracking.
func TestRegexLogParse(t *testing.T) {
	l := testLib()
	line := `203.0.113.24 - - [25/Mar/2018:15:25:37 -0700] "GET /index.php HTTP/1.1" 200 125 "-" "Mozilla/5.0 [en] Gecko/20100101 Firefox/52.0"`
	got := mustCall(t, l, "REGEX_LOG_PARSE", S(line), S(`(\w.+) (\d.+) (\w.+) (\w.+)`))
	checkRow(t, "example", got,
		`203.0.113.24 - - [25/Mar/2018:15:25:37 -0700] "GET /index.php HTTP/1.1" 200`,
		`125 "-" "Mozilla/5.0 [en]`, `Gecko/20100101`, `Firefox/52.0"`)
	// the reference's example: E and the next character, then R and the rest
	checkRow(t, "sector", mustCall(t, l, "REGEX_LOG_PARSE", S("ENERGY"), S(`.*([E].).*([R].*)`)), "EN", "RGY")
	if got := mustCall(t, l, "REGEX_LOG_PARSE", S("HEALTHCARE"), S(`.*(Z).*`)); !got.Null {
		t.Errorf("no match = %v", got)
	}
	// named, typed columns
	got = mustCall(t, l, "REGEX_LOG_PARSE", S("id=42 at 2020-01-02"), S(`id=(\d+) at (.*)`), S("ID INTEGER, DAY DATE"))
	checkRow(t, "typed", got, "42", "2020-01-02")
	if names := fieldNames(t, l, "REGEX_LOG_PARSE", S("x"), S(`id=(\d+) at (.*)`), S("ID INTEGER, DAY DATE")); strings.Join(names, ",") != "ID INTEGER,DAY DATE" {
		t.Errorf("fields %v", names)
	}
	// lazy matching of the fast parser
	checkRow(t, "fast", mustCall(t, l, "FAST_REGEX_LOG_PARSER", S("a,b,c"), S(`(.*),(.*)`)), "a", "b,c")
	checkRow(t, "fast syntax", mustCall(t, l, "FAST_REGEX_LOG_PARSER", S(`GET /a.gif HTTP/1.1 304`), S(`(@)" "(<100-599>)`)), "GET /a.gif HTTP/1.1", "304")
	checkRow(t, "fast literal", mustCall(t, l, "FAST_REGEX_LOG_PARSER", S(`a.b|c`), S(`([a-z])".b|"(.)`)), "a", "c")
	for _, bad := range []string{`(a)&(b)`, `(<name>)`, `("open)`} {
		if _, err := call(t, l, "FAST_REGEX_LOG_PARSER", S("x"), S(bad)); err == nil {
			t.Errorf("fast pattern %q accepted", bad)
		}
	}
	checkRow(t, "greedy", mustCall(t, l, "REGEX_LOG_PARSE", S("a,b,c"), S(`(.*),(.*)`)), "a,b", "c")
	for _, bad := range [][]sqt.Value{{S("x"), S("(")}, {S("x"), S("abc")}, {S("x"), S("(a)"), S("A INT, B INT")}, {S("x"), S(`(a)\1`)}} {
		if _, err := call(t, l, "REGEX_LOG_PARSE", bad...); err == nil {
			t.Errorf("REGEX_LOG_PARSE%v accepted", bad)
		}
	}
}

// The developer guide's VARIABLE_COLUMN_LOG_PARSE example.
func TestVariableColumnLogParse(t *testing.T) {
	l := testLib()
	spec := S("COL_1 TYPE VARCHAR(16), COL_2 TYPE VARCHAR(16), COL_3 TYPE VARCHAR(16)")
	checkRow(t, "example", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("x,y,z"), spec, S(",")), "x", "y", "z")
	if names := fieldNames(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("x"), spec, S(",")); strings.Join(names, ",") != "COL_1 VARCHAR(16),COL_2 VARCHAR(16),COL_3 VARCHAR(16)" {
		t.Errorf("fields %v", names)
	}
	checkRow(t, "count", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("a|b"), I(3), S("|")), "a", "b", "NULL")
	checkRow(t, "escape", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S(`a\,b,c`), I(2), S(","), S(`\`), S(`"`)), "a,b", "c")
	checkRow(t, "quote", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S(`"a,b",c`), I(2), S(","), S(`\`), S(`"`)), "a,b", "c")
	checkRow(t, "brackets", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S(`[a b] c`), I(2), S(" "), S(""), S("[]")), "a b", "c")
	checkRow(t, "string delimiter", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("1::2::3"), I(3), S("::")), "1", "2", "3")
	checkRow(t, "extra fields dropped", mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("1,2,3"), I(2), S(",")), "1", "2")
	typed := S(`"Name" TYPE VARCHAR(8), N INTEGER NOT NULL, AT TYPE TIMESTAMP 'dd/MMM/yyyy:HH:mm:ss', P DECIMAL(5,2)`)
	got := mustCall(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("Amazonian;7;24/May/2004:22:01:02;3.14159"), typed, S(";"))
	checkRow(t, "typed", got, "Amazonia", "7", "2004-05-24 22:01:02.000", "3.14")
	if names := fieldNames(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("x"), typed, S(";")); strings.Join(names, ",") != "Name VARCHAR(8),N INTEGER NOT NULL,AT TIMESTAMP,P DECIMAL(5,2)" {
		t.Errorf("fields %v", names)
	}
	if _, err := call(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("x;notanumber"), typed, S(";")); err == nil {
		t.Error("a bad INTEGER field did not fail")
	}
	if _, err := call(t, l, "VARIABLE_COLUMN_LOG_PARSE", S("x"), typed, S(";")); err == nil {
		t.Error("a missing NOT NULL field did not fail")
	}
	for _, bad := range [][]sqt.Value{
		{S("x"), I(0), S(",")},
		{S("x"), S("A TYPE NOSUCHTYPE"), S(",")},
		{S("x"), S("A TYPE INTEGER 'yyyy'"), S(",")},
		{S("x"), I(2), S("")},
		{S("x"), I(2), S(","), S(""), S("abc")},
	} {
		if _, err := call(t, l, "VARIABLE_COLUMN_LOG_PARSE", bad...); err == nil {
			t.Errorf("VARIABLE_COLUMN_LOG_PARSE%v accepted", bad)
		}
	}
	// the column list must be a constant
	f, _ := l.Lookup("VARIABLE_COLUMN_LOG_PARSE")
	if _, err := f.Check([]Arg{{Type: varchar}, {Type: varchar}, {Type: varchar, Const: &sqt.Value{K: sqt.Varchar, S: ","}}}); err == nil {
		t.Error("a column list that is not a constant accepted")
	}
}

func TestFixedColumnLogParse(t *testing.T) {
	l := testLib()
	spec := S(`HOST TYPE VARCHAR(8) START 0 FOR 8, CODE TYPE INTEGER START 9 FOR 3, "when" TYPE TIMESTAMP 'yyyy-MM-dd' START 13 FOR 10, REST TYPE VARCHAR(32) START 24`)
	got := mustCall(t, l, "FIXED_COLUMN_LOG_PARSE", S("server01 404 2020-01-02 the rest of it"), spec)
	checkRow(t, "fixed", got, "server01", "404", "2020-01-02 00:00:00.000", "the rest of it")
	got = mustCall(t, l, "FIXED_COLUMN_LOG_PARSE", S("server01 404"), spec)
	checkRow(t, "short", got, "server01", "404", "NULL", "NULL")
	for _, bad := range []string{"A TYPE INTEGER", "A START 0", "A TYPE INTEGER START x", "A TYPE INTEGER START 0 FOR -1"} {
		if _, err := call(t, l, "FIXED_COLUMN_LOG_PARSE", S("x"), S(bad)); err == nil {
			t.Errorf("spec %q accepted", bad)
		}
	}
}

func TestSysLogParse(t *testing.T) {
	l := testLib()
	checkRow(t, "syslog", mustCall(t, l, "SYS_LOG_PARSE", S("Jan  5 10:00:01 host1 sshd[42]: Accepted key")),
		"1970-01-05 10:00:01.000", "host1 sshd[42]: Accepted key")
	checkRow(t, "syslog", mustCall(t, l, "SYS_LOG_PARSE", S("Oct 11 22:14:15 mymachine su: 'su root' failed")),
		"1970-10-11 22:14:15.000", "mymachine su: 'su root' failed")
	if got := mustCall(t, l, "SYS_LOG_PARSE", S("garbage")); !got.Null {
		t.Errorf("garbage = %v", got)
	}
}
