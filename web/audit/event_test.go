package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// parseLine unmarshals one line, failing the test when it is not one
// JSON object on one line.
func parseLine(t testing.TB, line []byte) Event {
	t.Helper()
	if bytes.IndexByte(line, '\n') != len(line)-1 {
		t.Fatalf("line is not one line ending in a newline: %q", line)
	}
	var e Event
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("line does not parse: %v: %q", err, line)
	}
	return e
}

// wantBack is what e should read back as: UTC, milliseconds, strings
// capped and made valid UTF-8.
func wantBack(e Event) Event {
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	for _, s := range []*string{&e.KeyID, &e.Principal, &e.Action, &e.Resource, &e.Result, &e.ErrorCode, &e.Protocol, &e.Source, &e.RequestID, &e.UserAgent} {
		*s = validEach(capBytes(*s, MaxField))
	}
	return e
}

// validEach replaces each invalid byte of s with U+FFFD, as
// encoding/json does.
func validEach(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // range yields U+FFFD for each invalid byte
	}
	return b.String()
}

func sameEvent(a, b Event) bool {
	ta, tb := a.Time, b.Time
	a.Time, b.Time = time.Time{}, time.Time{}
	return ta.Equal(tb) && a == b
}

func TestLineParsesBack(t *testing.T) {
	when := time.Date(2026, 12, 2, 16, 4, 5, 123456789, time.FixedZone("X", 3600))
	cases := []Event{
		{Time: when, Action: "kinesis:CreateStream", Result: Allowed, Protocol: "api", Source: "192.0.2.1:5000", Status: 200},
		{Time: when, KeyID: "AKID", Principal: "arn:aws:iam::000000000000:user/AKID", Action: "kinesis:PutRecord", Resource: "arn:aws:kinesis:us-east-1:000000000000:stream/a", Result: Denied, ErrorCode: "AccessDeniedException", Status: 400, Protocol: "api", Source: "[::1]:1", RequestID: "r-1", UserAgent: "aws-sdk-go-v2/1.0"},
		// Untrusted values: quotes, backslashes, newlines, control
		// characters, invalid UTF-8, line separators, HTML.
		{Time: when, Action: "kinesis:\"Create\"\nStream", Resource: "a\\b\r\n\t\x00\x1f\x7f", Result: Failed, Protocol: "rtsp", Source: "\xff\xfe", UserAgent: "<script>\u2028\u2029</script>&"},
		// Over the cap, with a multi-byte rune across it.
		{Time: when, Action: "x", Result: Allowed, Protocol: "api", Source: "s", UserAgent: strings.Repeat("a", MaxField-1) + "é" + strings.Repeat("b", 5000)},
		{Time: when, Action: "x", Result: Allowed, Protocol: "api", Source: "s", RequestID: strings.Repeat("\xff", 3000)},
	}
	for i, e := range cases {
		line := appendLine(nil, &e)
		got := parseLine(t, line)
		if want := wantBack(e); !sameEvent(got, want) {
			t.Errorf("case %d: got %+v, want %+v", i, got, want)
		}
		if bytes.ContainsAny(line[:len(line)-1], "\n\r\u2028\u2029") {
			t.Errorf("case %d: raw line break in %q", i, line)
		}
	}
	if got := string(appendLine(nil, &cases[0])); !strings.HasPrefix(got, `{"eventTime":"2026-12-02T15:04:05.123Z",`) {
		t.Errorf("time not RFC 3339 UTC with milliseconds: %s", got)
	}
	long := appendLine(nil, &cases[3])
	if len(long) > 2*MaxField {
		t.Errorf("capped line is %d bytes", len(long))
	}
}

func TestLineOmitsEmpty(t *testing.T) {
	e := Event{Time: time.Unix(0, 0), Action: "a", Result: Allowed}
	got := string(appendLine(nil, &e))
	want := `{"eventTime":"1970-01-01T00:00:00.000Z","action":"a","result":"allowed","protocol":"","sourceAddress":""}` + "\n"
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
	std, err := json.Marshal(struct {
		Time string `json:"eventTime"`
		Event
	}{"1970-01-01T00:00:00.000Z", e})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json agrees on names and omissions.
	var a, b map[string]any
	if err := json.Unmarshal(std, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &b); err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Errorf("encoding/json writes %v, appendLine %v", a, b)
	}
}

func TestPartitionKey(t *testing.T) {
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{}, "anonymous"},
		{Event{KeyID: "AKID"}, "AKID"},
		{Event{KeyID: "AKID", Principal: "token:cam"}, "token:cam"},
	} {
		if got := partitionKey(&c.e); got != c.want {
			t.Errorf("partitionKey(%+v) = %q, want %q", c.e, got, c.want)
		}
	}
	k := partitionKey(&Event{Principal: strings.Repeat("é", 300) + "\xff"})
	if len(k) > 256 || !utf8.ValidString(k) || k == "" {
		t.Errorf("partition key %q: %d bytes", k, len(k))
	}
}

// FuzzLine proves that whatever a request puts in an event's strings, its
// line is one line of JSON that reads back as the event (capped and made
// valid UTF-8).
func FuzzLine(f *testing.F) {
	f.Add("kinesis:CreateStream", "arn:aws:kinesis:us-east-1:1:stream/s", "curl/8", int64(1733155941123), 200)
	f.Add("a\"\\\n\r\t", "\x00\x1f\x7f\xff", "\u2028\u2029<>&", int64(0), 0)
	f.Add(strings.Repeat("é", 600), strings.Repeat("\xe2\x82", 700), "\U0001F600", int64(-1), -5)
	f.Fuzz(func(t *testing.T, action, resource, agent string, ms int64, status int) {
		e := Event{
			Time: time.UnixMilli(ms % (1 << 40)), KeyID: agent, Action: action, Resource: resource, Result: Denied,
			Status: status, Protocol: action, Source: resource, UserAgent: agent,
		}
		line := appendLine(nil, &e)
		got := parseLine(t, line)
		if want := wantBack(e); !sameEvent(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}
