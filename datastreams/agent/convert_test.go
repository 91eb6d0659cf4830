package agent

import (
	"encoding/json"
	"testing"
	"time"
)

func opt(name string, edit func(*ProcessingOption)) ProcessingOption {
	o := ProcessingOption{OptionName: name}
	if edit != nil {
		edit(&o)
	}
	return o
}

func strp(s string) *string { return &s }

// TestConvertGolden checks each processing option's output byte for byte
// against what the Kinesis Agent writes for the same line.
func TestConvertGolden(t *testing.T) {
	cases := []struct {
		name string
		o    ProcessingOption
		in   string
		want string // "" with drop
		drop bool
	}{
		{"singleline", opt("SINGLELINE", nil), "  first line \n\tsecond line  \n", "first linesecond line\n", false},
		{"singleline no trim", opt("SINGLELINE", func(o *ProcessingOption) { o.ParseOptions = []string{"NO_TRIM"} }), " a \n b \n", " a  b \n", false},
		{"singleline escape", opt("SINGLELINE", func(o *ProcessingOption) { o.ParseOptions = []string{"ESCAPE_NEW_LINE"} }), "a\nb\n", `a\\nb` + "\n", false},
		{"csv", opt("CSVTOJSON", func(o *ProcessingOption) { o.CustomFieldNames = []string{"f1", "f2"} }), "v1,v2\n", `{"f1":"v1","f2":"v2"}` + "\n", false},
		{"csv missing and extra", opt("CSVTOJSON", func(o *ProcessingOption) { o.CustomFieldNames = []string{"a", "b", "c"} }), "1,,\n", `{"a":"1","b":null,"c":null}` + "\n", false},
		{"csv spaces kept", opt("CSVTOJSON", func(o *ProcessingOption) { o.CustomFieldNames = []string{"f1", "f2"} }), "v1, v2\n", `{"f1":"v1","f2":" v2"}` + "\n", false},
		{"csv tab", opt("CSVTOJSON", func(o *ProcessingOption) {
			o.CustomFieldNames, o.Delimiter = []string{"x", "y", "z"}, strp(`\t`)
		}), "1\t\t3\n", `{"x":"1","y":"","z":"3"}` + "\n", false},
		{"csv pipe", opt("CSVTOJSON", func(o *ProcessingOption) {
			o.CustomFieldNames, o.Delimiter = []string{"x", "y"}, strp(`\|`)
		}), "a|b|c", `{"x":"a","y":"b"}` + "\n", false},
		{"csv escapes", opt("CSVTOJSON", func(o *ProcessingOption) { o.CustomFieldNames = []string{"q"} }),
			"say \"hi\" <b>&\x01\té\n", `{"q":"say \"hi\" <b>&\u0001\té"}` + "\n", false},
		{"common log", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "COMMONAPACHELOG" }),
			`127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326` + "\n",
			`{"host":"127.0.0.1","ident":"user-identifier","authuser":"frank","datetime":"10/Oct/2000:13:55:36 -0700","request":"GET /apache_pb.gif HTTP/1.0","response":"200","bytes":"2326"}` + "\n", false},
		{"common log dashes", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "COMMONAPACHELOG" }),
			`10.0.0.2 - - [02/Dec/2026:21:00:00 +0000] "POST /x HTTP/1.1" 204 -` + "\n",
			`{"host":"10.0.0.2","ident":null,"authuser":null,"datetime":"02/Dec/2026:21:00:00 +0000","request":"POST /x HTTP/1.1","response":"204","bytes":null}` + "\n", false},
		{"combined log", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "COMBINEDAPACHELOG" }),
			`192.168.1.5 - bob [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 10 "http://ref/" "Mozilla/5.0 (X11)"` + "\n",
			`{"host":"192.168.1.5","ident":null,"authuser":"bob","datetime":"10/Oct/2000:13:55:36 -0700","request":"GET /a HTTP/1.0","response":"200","bytes":"10","referer":"http://ref/","agent":"Mozilla/5.0 (X11)"}` + "\n", false},
		{"common custom names", opt("LOGTOJSON", func(o *ProcessingOption) {
			o.LogFormat, o.CustomFieldNames = "COMMONAPACHELOG", []string{"a", "b", "c", "d", "e", "f", "g"}
		}), `h i j [10/Oct/2000:13:55:36 -0700] "r" 1 2`,
			`{"a":"h","b":"i","c":"j","d":"10/Oct/2000:13:55:36 -0700","e":"r","f":"1","g":"2"}` + "\n", false},
		{"error log", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "APACHEERRORLOG" }),
			`[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico` + "\n",
			`{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}` + "\n", false},
		{"error log short", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "APACHEERRORLOG" }),
			`[Wed Oct 11 14:32:52 2000] [error] [pid 12] [client 127.0.0.1] client denied`,
			`{"timestamp":"Wed Oct 11 14:32:52 2000","module":null,"severity":"error","processid":"12","threadid":null,"client":"127.0.0.1","message":"client denied"}` + "\n", false},
		{"syslog", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "SYSLOG" }),
			"Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)\n",
			`{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)"}` + "\n", false},
		{"syslog no pid", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "SYSLOG" }),
			"Dec  2 21:00:00 web1 kernel: eth0 up\n",
			`{"timestamp":"Dec  2 21:00:00","hostname":"web1","program":"kernel","processid":null,"message":"eth0 up"}` + "\n", false},
		{"rfc3339 syslog", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "RFC3339SYSLOG" }),
			"2026-12-02T21:00:00.123+01:00 web1 sshd[42]: Accepted publickey\n",
			`{"timestamp":"2026-12-02T21:00:00.123+01:00","hostname":"web1","program":"sshd","processid":"42","message":"Accepted publickey"}` + "\n", false},
		{"no match dropped", opt("LOGTOJSON", func(o *ProcessingOption) { o.LogFormat = "SYSLOG" }), "not a syslog line\n", "", true},
		{"match pattern", opt("LOGTOJSON", func(o *ProcessingOption) {
			o.LogFormat, o.MatchPattern, o.CustomFieldNames = "SYSLOG", `(\w+)=(\d+)`, []string{"key", "value"}
		}), "answer=42\n", `{"key":"answer","value":"42"}` + "\n", false},
		{"pretty", opt("CSVTOJSON", func(o *ProcessingOption) { o.CustomFieldNames, o.JSONFormat = []string{"a", "b"}, "PRETTYPRINT" }),
			"1,2\n", "{\n  \"a\" : \"1\",\n  \"b\" : \"2\"\n}\n", false},
		{"metadata", opt("ADDMETADATA", func(o *ProcessingOption) {
			o.Metadata = map[string]any{"zone": "a", "env": "prod", "n": 3}
		}), "hello\n", `{"metadata":{"env":"prod","n":3,"zone":"a"},"data":"hello"}` + "\n", false},
		{"brackets", opt("ADDBRACKETS", nil), `"a":1`, `{"a":1}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv, err := newConverter(c.o)
			if err != nil {
				t.Fatal(err)
			}
			out, keep := conv([]byte(c.in))
			if keep == c.drop {
				t.Fatalf("keep %v, want %v (out %q)", keep, !c.drop, out)
			}
			if string(out) != c.want {
				t.Fatalf("got  %q\nwant %q", out, c.want)
			}
			if len(out) > 0 && c.o.OptionName != "SINGLELINE" && c.o.OptionName != "ADDBRACKETS" && !json.Valid(out) {
				t.Fatalf("not JSON: %q", out)
			}
		})
	}
}

// TestAddMetadataTimestamp writes "ts" first, in UTC with milliseconds.
func TestAddMetadataTimestamp(t *testing.T) {
	at := time.Date(2026, 12, 2, 21, 0, 0, 5e6, time.FixedZone("x", 3600))
	conv := addMetadata("m", true, false, func() time.Time { return at })
	out, _ := conv([]byte("x\n"))
	if want := `{"ts":"2026-12-02T20:00:00.005Z","metadata":"m","data":"x"}` + "\n"; string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

// TestConvertConfigErrors refuses options the Kinesis Agent refuses.
func TestConvertConfigErrors(t *testing.T) {
	for _, o := range []ProcessingOption{
		{OptionName: "CSVTOJSON"},
		{OptionName: "LOGTOJSON"},
		{OptionName: "LOGTOJSON", LogFormat: "COMMONAPACHELOG", CustomFieldNames: []string{"a"}},
		{OptionName: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(a)`},
		{OptionName: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(a)(b)`, CustomFieldNames: []string{"a"}},
		{OptionName: "ADDEC2METADATA"},
		{OptionName: "NOPE"},
		{OptionName: "SINGLELINE", JSONFormat: "FANCY"},
	} {
		if _, err := newConverter(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// FuzzConvert runs every converter on any bytes: the JSON ones always
// write one valid JSON object and a "\n".
func FuzzConvert(f *testing.F) {
	f.Add([]byte("127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n"))
	f.Add([]byte("Mar 12 12:00:08 server2 rcd[308]: x\n"))
	f.Add([]byte("a,b,,\"c\"\n"))
	f.Add([]byte("\xff\xfe\x00\n\n"))
	opts := []ProcessingOption{
		{OptionName: "CSVTOJSON", CustomFieldNames: []string{"a", "b", "c"}},
		{OptionName: "LOGTOJSON", LogFormat: "COMMONAPACHELOG"},
		{OptionName: "LOGTOJSON", LogFormat: "COMBINEDAPACHELOG", JSONFormat: "PRETTYPRINT"},
		{OptionName: "LOGTOJSON", LogFormat: "APACHEERRORLOG"},
		{OptionName: "LOGTOJSON", LogFormat: "SYSLOG"},
		{OptionName: "LOGTOJSON", LogFormat: "RFC3339SYSLOG"},
		{OptionName: "ADDMETADATA", Metadata: map[string]any{"k": []any{"v", 1.5, nil}}},
	}
	var convs []converter
	for _, o := range opts {
		c, err := newConverter(o)
		if err != nil {
			f.Fatal(err)
		}
		convs = append(convs, c)
	}
	single, _ := newConverter(ProcessingOption{OptionName: "SINGLELINE"})
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, c := range convs {
			out, keep := c(data)
			if !keep {
				continue
			}
			if len(out) == 0 || out[len(out)-1] != '\n' || !json.Valid(out) {
				t.Fatalf("%s: %q -> %q", opts[i].OptionName, data, out)
			}
		}
		if out, _ := single(data); len(out) == 0 || out[len(out)-1] != '\n' {
			t.Fatalf("SINGLELINE: %q", out)
		}
	})
}
