package prefix

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

var at = time.Date(2018, 8, 27, 10, 30, 5, 123456789, time.UTC)

// The examples of AWS's "custom prefixes" page, evaluated at one instant.
func TestDocumentedExamples(t *testing.T) {
	tests := []struct {
		name, prefix, errPrefix string
		wantPrefix, wantErr     string // regexps
		invalid                 string // substring of the validation error
	}{
		{
			name:       "nothing specified",
			wantPrefix: `^2018/08/27/10/$`,
			wantErr:    `^processing-failed/2018/08/27/10/$`,
		},
		{
			name:       "default prefix, error prefix with type",
			errPrefix:  "myFirehoseFailures/!{firehose:error-output-type}/",
			wantPrefix: `^2018/08/27/10/$`,
			wantErr:    `^myFirehoseFailures/processing-failed/$`,
		},
		{
			name:    "expressions without error prefix",
			prefix:  "!{timestamp:yyyy/MM/dd}",
			invalid: "ErrorOutputPrefix cannot be empty",
		},
		{
			name:       "random string and timestamps",
			prefix:     "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
			errPrefix:  "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}",
			wantPrefix: `^myFirehose/DeliveredYear=2018/anyMonth/rand=[0-9a-f-]{11}$`,
			wantErr:    `^myFirehoseFailures/processing-failed/2018/anyMonth/27$`,
		},
		{
			name:       "hive style",
			prefix:     "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
			errPrefix:  "myErrorPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/!{firehose:error-output-type}",
			wantPrefix: `^myPrefix/year=2018/month=08/day=27/hour=10/$`,
			wantErr:    `^myErrorPrefix/year=2018/month=08/day=27/hour=10/processing-failed$`,
		},
		{
			name:       "static prefix, no error prefix",
			prefix:     "myFirehosePrefix/",
			wantPrefix: `^myFirehosePrefix/2018/08/27/10/$`,
			wantErr:    `^myFirehosePrefix/processing-failed/2018/08/27/10/$`,
		},
		{
			name:       "static prefix without slash is concatenated",
			prefix:     "legacy",
			wantPrefix: `^legacy2018/08/27/10/$`,
			wantErr:    `^legacyprocessing-failed/2018/08/27/10/$`,
		},
		{
			name:       "static error prefix",
			prefix:     "data/",
			errPrefix:  "errors/",
			wantPrefix: `^data/2018/08/27/10/$`,
			wantErr:    `^errors/processing-failed/2018/08/27/10/$`,
		},
		{
			name:       "quoted literal",
			prefix:     "dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/",
			errPrefix:  "err/!{firehose:error-output-type}/",
			wantPrefix: `^dt=2018-08-27/h=10/$`,
			wantErr:    `^err/processing-failed/$`,
		},
		{
			name:      "error type in Prefix",
			prefix:    "x/!{firehose:error-output-type}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "Prefix may not use !{firehose:error-output-type}",
		},
		{
			name:      "error prefix without error type",
			prefix:    "x/!{timestamp:yyyy}/",
			errPrefix: "e/!{timestamp:yyyy}/",
			invalid:   "must contain !{firehose:error-output-type}",
		},
		{
			name:      "unknown namespace",
			prefix:    "x/!{foo:bar}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   `unknown namespace "foo"`,
		},
		{
			name:      "unclosed expression",
			prefix:    "x/!{timestamp:yyyy/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "not closed",
		},
		{
			name:      "unknown firehose value",
			prefix:    "x/!{firehose:uuid}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "firehose namespace has only",
		},
		{
			name:      "bad timestamp letter",
			prefix:    "x/!{timestamp:yyyy-MMM}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "not supported",
		},
		{
			name:      "week letter",
			prefix:    "x/!{timestamp:YYYY-ww}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "pattern letter 'Y' is not supported",
		},
		{
			name:      "partition key without dynamic partitioning",
			prefix:    "x/!{partitionKeyFromQuery:id}/",
			errPrefix: "e/!{firehose:error-output-type}/",
			invalid:   "dynamic partitioning is not enabled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(Config{Prefix: tt.prefix, ErrorOutputPrefix: tt.errPrefix})
			if tt.invalid != "" {
				if err == nil || !strings.Contains(err.Error(), tt.invalid) {
					t.Fatalf("New: got %v, want an error with %q", err, tt.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Prefix(at, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tt.wantPrefix).MatchString(got) {
				t.Errorf("Prefix = %q, want %s", got, tt.wantPrefix)
			}
			got, err = p.ErrorPrefix(at, "processing-failed")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tt.wantErr).MatchString(got) {
				t.Errorf("ErrorPrefix = %q, want %s", got, tt.wantErr)
			}
		})
	}
}

func TestDynamicPartitioningRules(t *testing.T) {
	const ep = "errors/!{firehose:error-output-type}/"
	for _, tt := range []struct {
		prefix, errPrefix, invalid string
	}{
		{"customer_id=!{partitionKeyFromQuery:customer_id}/", ep, ""},
		{"c=!{partitionKeyFromLambda:c}/!{timestamp:yyyy}/", ep, ""},
		{"c=!{partitionKeyFromQuery:c}/", "", "ErrorOutputPrefix"},
		{"!{timestamp:yyyy}/", ep, "uses no !{partitionKeyFromQuery"},
		{"static/", "", "uses no !{partitionKeyFromQuery"},
		{"c=!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}", "may not use partition keys"},
		{"c=!{partitionKeyFromQuery:}/", ep, "names no partition key"},
	} {
		_, err := New(Config{Prefix: tt.prefix, ErrorOutputPrefix: tt.errPrefix, DynamicPartitioning: true})
		if tt.invalid == "" && err != nil {
			t.Errorf("New(%q, %q): %v", tt.prefix, tt.errPrefix, err)
		}
		if tt.invalid != "" && (err == nil || !strings.Contains(err.Error(), tt.invalid)) {
			t.Errorf("New(%q, %q) = %v, want %q", tt.prefix, tt.errPrefix, err, tt.invalid)
		}
	}
}

func TestPartitions(t *testing.T) {
	p, err := New(Config{
		Prefix:              "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromLambda:device}/!{timestamp:yyyy}/",
		ErrorOutputPrefix:   "errors/!{firehose:error-output-type}/",
		DynamicPartitioning: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.QueryKeys(); len(got) != 1 || got[0] != "customer_id" {
		t.Errorf("QueryKeys = %v", got)
	}
	if got := p.LambdaKeys(); len(got) != 1 || got[0] != "device" {
		t.Errorf("LambdaKeys = %v", got)
	}
	rec := func(keys map[string]string) delivery.Record {
		return delivery.Record{Arrival: at, PartitionKeys: keys}
	}
	a, err := p.PartitionOf(rec(map[string]string{"customer_id": "1", "device": "x", "other": "a"}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.PartitionOf(rec(map[string]string{"customer_id": "1", "device": "x", "other": "b"}))
	c, _ := p.PartitionOf(rec(map[string]string{"customer_id": "1/", "device": "x"}))
	d, _ := p.PartitionOf(rec(map[string]string{"customer_id": "1", "device": "/x"}))
	if a != b {
		t.Errorf("keys the prefix does not use changed the partition: %q %q", a, b)
	}
	if c == a || c == d {
		t.Errorf("different values share a partition: %q %q %q", a, c, d)
	}
	_, err = p.PartitionOf(rec(map[string]string{"customer_id": "1"}))
	var mk *MissingKeyError
	if !errors.As(err, &mk) || mk.Key != "device" || mk.Namespace != "partitionKeyFromLambda" {
		t.Errorf("missing key: got %v", err)
	}
	_, err = p.PartitionOf(rec(map[string]string{"customer_id": strings.Repeat("x", 600), "device": "x"}))
	var de *delivery.Error
	if !errors.As(err, &de) || de.Code != CodeTooLong {
		t.Errorf("long value: got %v", err)
	}
	got, err := p.Prefix(at, map[string]string{"customer_id": "42", "device": "phone"})
	if err != nil || got != "customer_id=42/device=phone/2018/" {
		t.Errorf("Prefix = %q, %v", got, err)
	}
}

func TestTimeZoneAndRandom(t *testing.T) {
	p, err := New(Config{
		Prefix:            "!{timestamp:yyyy-MM-dd HH}/!{firehose:random-string}/!{firehose:random-string}/",
		ErrorOutputPrefix: "!{firehose:error-output-type}/",
		TimeZone:          "Asia/Tokyo",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Prefix(at, nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(got, "/")
	if parts[0] != "2018-08-27 19" {
		t.Errorf("Tokyo time = %q", parts[0])
	}
	if len(parts[1]) != 11 || len(parts[2]) != 11 || parts[1] == parts[2] {
		t.Errorf("random strings %q %q: want two different 11-character strings", parts[1], parts[2])
	}
	for _, bad := range []string{"Mars/Olympus", "UTC+1", strings.Repeat("a", 51)} {
		if _, err := New(Config{TimeZone: bad}); err == nil {
			t.Errorf("CustomTimeZone %q accepted", bad)
		}
	}
}

func TestLayout(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 89_000_000, time.UTC)
	for pattern, want := range map[string]string{
		"yyyy/MM/dd/HH/":       "2026/03/04/05/",
		"yy-M-d-H":             "26-3-4-5",
		"uuuu'T'HH:mm:ss.SSS":  "2026T05:06:07.089",
		"m s S":                "6 7 0",
		"'it''s' yyyy":         "it's 2026",
		"''":                   "'",
		"'quoted [x]' yyyyyy":  "quoted [x] 002026",
		"HH'h'":                "05h",
		"dd.MM.y":              "04.03.2026",
		"'a''b'":               "a'b",
		"yyyy'/'MM'/'dd'/'HH/": "2026/03/04/05/",
	} {
		l, err := parseLayout(pattern)
		if err != nil {
			t.Errorf("%q: %v", pattern, err)
			continue
		}
		if got := l.format(ts); got != want {
			t.Errorf("%q: got %q, want %q", pattern, got, want)
		}
	}
	for _, bad := range []string{"MMM", "EEE", "'open", "yyyy[MM]", "ddd", "a", "hh"} {
		if _, err := parseLayout(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestObjectKey(t *testing.T) {
	p, err := New(Config{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	pre, _ := p.Prefix(at, nil)
	key := p.ObjectKey(pre, "mystream", "1", at, Extension("", ".gz"))
	want := regexp.MustCompile(`^2018/08/27/19/mystream-1-2018-08-27-19-30-05-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$`)
	if !want.MatchString(key) {
		t.Errorf("key %q", key)
	}
	if Extension(".json.gz", ".gz") != ".json.gz" {
		t.Error("FileExtension does not override")
	}
	for ext, ok := range map[string]bool{"": true, ".json": true, ".log.gz": true, ".a!-_.*'()": true, "json": false, ".JSON": false, ".a b": false} {
		if err := ValidateFileExtension(ext); (err == nil) != ok {
			t.Errorf("ValidateFileExtension(%q) = %v", ext, err)
		}
	}
}

func TestTooLong(t *testing.T) {
	if _, err := New(Config{Prefix: strings.Repeat("a", 1025)}); err == nil {
		t.Error("a 1025-character Prefix was accepted")
	}
	p, err := New(Config{Prefix: strings.Repeat("a", 600)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Prefix(at, nil); err == nil {
		t.Error("a 614-character evaluated prefix was accepted")
	}
}
