package audit

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func open(t testing.TB, cfg Config) *Log {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// event returns the i-th test event: its number is its RequestID.
func event(i int) Event {
	return Event{
		Time:      time.Date(2026, 12, 2, 16, 0, 0, i*int(time.Millisecond), time.UTC),
		KeyID:     "AKIDTEST",
		Principal: "arn:aws:iam::000000000000:user/AKIDTEST",
		Action:    "kinesis:CreateStream",
		Resource:  "arn:aws:kinesis:us-east-1:000000000000:stream/s" + strconv.Itoa(i%7),
		Result:    Allowed,
		Status:    200,
		Protocol:  "api",
		Source:    "192.0.2.7:40000",
		RequestID: strconv.Itoa(i),
		UserAgent: "aws-sdk-go-v2/1.48.0",
	}
}

// readEvents reads a file back, failing on any line that is not a whole
// JSON line.
func readEvents(t testing.TB, path string) []Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Event
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) != 0 {
				t.Fatalf("%s ends inside a line: %q", path, line)
			}
			return out
		}
		out = append(out, parseLine(t, line))
	}
}

func TestFlushMakesDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit", "audit.log")
	l := open(t, Config{Path: path})
	const n = 500
	for i := range n {
		l.Record(event(i))
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Read back while the log is still open: Flush alone made it so.
	got := readEvents(t, path)
	if len(got) != n {
		t.Fatalf("%d lines, want %d", len(got), n)
	}
	for i, e := range got {
		if want := wantBack(event(i)); !sameEvent(e, want) {
			t.Fatalf("line %d: %+v, want %+v", i, e, want)
		}
	}
	if s := l.Stats(); s.Written != n || s.Dropped != 0 || s.Rotations != 0 {
		t.Errorf("stats %+v", s)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v", p, perm)
		}
	}
}

func TestRecordFillsTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	at := time.Date(2027, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	l := open(t, Config{Path: path, Now: func() time.Time { return at }})
	l.Record(Event{Action: "sts:GetSessionToken", Result: Allowed, Protocol: "sts", Source: "127.0.0.1:1"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := readEvents(t, path)
	if len(got) != 1 || !got[0].Time.Equal(at) {
		t.Fatalf("got %+v", got)
	}
	l.Record(event(1))
	if s := l.Stats(); s.Dropped != 1 {
		t.Errorf("a Record after Close is not counted as dropped: %+v", s)
	}
}

func TestRotationKeepsNewestFirst(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	lineLen := int64(len(appendLine(nil, ptr(event(100)))))
	const keep = 3
	maxBytes := 4*lineLen + lineLen/2 // four lines a file
	l := open(t, Config{Path: path, MaxBytes: maxBytes, Keep: keep})
	const n = 100 + 30 // 100..129: every line as long
	for i := 100; i < n; i++ {
		l.Record(event(i))
		if i%5 == 0 { // batches of different sizes
			if err := l.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "." + strconv.Itoa(keep+1)); !os.IsNotExist(err) {
		t.Errorf("more than %d rotated files: %v", keep, err)
	}
	// Oldest first: .3, .2, .1, the live file; every file full but the
	// live one, and the numbers consecutive up to the last recorded.
	var seq []int
	for k := keep; k >= 0; k-- {
		p := path
		if k > 0 {
			p += "." + strconv.Itoa(k)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > maxBytes {
			t.Errorf("%s is %d bytes, over %d", p, st.Size(), maxBytes)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", p, st.Mode().Perm())
		}
		events := readEvents(t, p)
		if k > 0 && len(events) != 4 {
			t.Errorf("%s holds %d lines, want 4", p, len(events))
		}
		for _, e := range events {
			i, _ := strconv.Atoi(e.RequestID)
			seq = append(seq, i)
		}
	}
	for j := 1; j < len(seq); j++ {
		if seq[j] != seq[j-1]+1 {
			t.Fatalf("lines out of order across files: %v", seq)
		}
	}
	if seq[len(seq)-1] != n-1 {
		t.Fatalf("last line %d, want %d", seq[len(seq)-1], n-1)
	}
	if got, want := l.Stats().Rotations, uint64((n-100-1)/4); got != want {
		t.Errorf("%d rotations, want %d", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestLineLongerThanMaxBytesStandsAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path, MaxBytes: 100, Keep: 2})
	for i := range 3 {
		l.Record(event(i)) // each line is longer than 100 bytes
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, p := range []string{path + ".2", path + ".1", path} {
		got := readEvents(t, p)
		if len(got) != 1 || got[0].RequestID != strconv.Itoa(k) {
			t.Errorf("%s: %+v", p, got)
		}
	}
}

func TestReopenAppendsAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path})
	l.Record(event(0))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the next line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(appendLine(nil, ptr(event(1)))[:40]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	l = open(t, Config{Path: path})
	l.Record(event(2))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 {
		t.Fatalf("want 3 lines, got %q", data)
	}
	if e := parseLine(t, lines[0]); e.RequestID != "0" {
		t.Errorf("first line %+v", e)
	}
	if e := parseLine(t, lines[2]); e.RequestID != "2" {
		t.Errorf("the line after the torn one: %+v", e)
	}
}

func TestNoFile(t *testing.T) {
	l := open(t, Config{})
	for i := range 10 {
		l.Record(event(i))
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Written != 10 {
		t.Errorf("stats %+v", s)
	}
}

func TestFlushHonoursContext(t *testing.T) {
	l := open(t, Config{Path: filepath.Join(t.TempDir(), "audit.log")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Nothing recorded: already durable, even with a cancelled context.
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
