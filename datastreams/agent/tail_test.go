package agent

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func appendFile(t *testing.T, path string, s ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(s, "")); err != nil {
		t.Fatal(err)
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestTailRotationTruncationPartial follows a file through a rotation by
// rename (the writer still appends to the renamed file for a moment),
// copytruncate, a partial last line, and a rotation that leaves a last
// line without "\n": every line arrives once, in order.
func TestTailRotationTruncationPartial(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendFile(t, log, lines(0, 100)...)
	r := startAgent(t, dir, &recorder{}, testFlow(dir))
	r.waitFor(lines(0, 100))

	// Rotation by rename: the writer keeps its descriptor a moment.
	old, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	old.WriteString(strings.Join(lines(100, 105), ""))
	old.Close()
	appendFile(t, log, lines(105, 200)...)
	r.waitFor(lines(0, 200))

	// copytruncate: the file starts over, shorter than what was read.
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, log, lines(200, 210)...)
	r.waitFor(lines(0, 210))

	// A partial line waits for its end.
	appendFile(t, log, "line 210 st")
	time.Sleep(50 * time.Millisecond)
	if got := r.rec.records(); len(got) != 210 {
		t.Fatalf("%d records; the partial line was sent early", len(got))
	}
	appendFile(t, log, "ill going\n")
	want := concat(lines(0, 210), []string{"line 210 still going\n"})
	r.waitFor(want)

	// Rotated away with a last line without "\n": sent as it is once the
	// old file has been idle, before the new file's lines.
	appendFile(t, log, "tail without newline")
	if err := os.Rename(log, log+".2"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, log, lines(211, 215)...)
	r.waitFor(concat(want, []string{"tail without newline"}, lines(211, 215)))
}

// TestTailRestart resumes from the checkpoint after a clean stop: nothing
// again, nothing missed, also for a file rotated to a name the pattern
// does not cover while the agent was away.
func TestTailRestart(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	flow := testFlow(dir)
	flow.FilePattern = log
	appendFile(t, log, lines(0, 50)...)
	r := startAgent(t, dir, &recorder{}, flow)
	r.waitFor(lines(0, 50))
	r.stop()

	appendFile(t, log, lines(50, 60)...)
	if err := os.Rename(log, filepath.Join(dir, "rotated-1")); err != nil {
		t.Fatal(err)
	}
	appendFile(t, log, lines(60, 70)...)
	r2 := startAgent(t, dir, &recorder{}, flow)
	r2.waitFor(lines(50, 70))
}

// TestTailMultiLine splits on multiLineStartPattern: continuation lines
// stay with their record, and the last record waits for the next start.
func TestTailMultiLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	flow := testFlow(dir)
	flow.MultiLineStartPattern = `\[\d{4}-\d{2}-\d{2}`
	flow.SkipHeaderLines = 1
	appendFile(t, log,
		"# header line\n",
		"[2026-12-02 10:00:00] one\n",
		"[2026-12-02 10:00:01] two: exception\n", "  at a.b(c)\n", "  at d.e(f)\n",
		"[2026-12-02 10:00:02] three\n", "  more\n")
	r := startAgent(t, dir, &recorder{}, flow)
	first := []string{
		"[2026-12-02 10:00:00] one\n",
		"[2026-12-02 10:00:01] two: exception\n  at a.b(c)\n  at d.e(f)\n",
	}
	r.waitFor(first)
	time.Sleep(50 * time.Millisecond)
	if n := len(r.rec.records()); n != 2 {
		t.Fatalf("%d records: the last record did not wait for the next start", n)
	}
	appendFile(t, log, "  and more\n", "[2026-12-02 10:00:03] four\n")
	r.waitFor(append(first, "[2026-12-02 10:00:02] three\n  more\n  and more\n"))
}

// TestTailEndOfFile starts a new flow at the end of the existing files
// (the Kinesis Agent's default initialPosition), and truncates a long
// record with the configured terminator.
func TestTailEndOfFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendFile(t, log+".1", lines(0, 10)...)
	appendFile(t, log, lines(10, 20)...)
	flow := testFlow(dir)
	flow.InitialPosition = ""
	flow.TruncatedRecordTerm = strp("...\n")
	r := startAgent(t, dir, &recorder{}, flow)
	time.Sleep(50 * time.Millisecond)
	long := strings.Repeat("x", 2*firehoseMaxRecord) + "\n"
	appendFile(t, log, "line 20\n", long, "line 21\n")
	cut := strings.Repeat("x", firehoseMaxRecord-4) + "...\n"
	r.waitFor([]string{"line 20\n", cut, "line 21\n"})
}

// TestTailConversions applies the flow's processing options in order
// and still moves past dropped lines.
func TestTailConversions(t *testing.T) {
	dir := t.TempDir()
	flow := testFlow(dir)
	flow.DataProcessingOptions = []ProcessingOption{{OptionName: "LOGTOJSON", LogFormat: "SYSLOG"}}
	appendFile(t, filepath.Join(dir, "app.log"),
		"Mar 12 12:00:08 server2 rcd[308]: first\n", "garbage\n", "Mar 12 12:00:09 server2 rcd: second\n")
	r := startAgent(t, dir, &recorder{}, flow)
	r.waitFor([]string{
		`{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"first"}` + "\n",
		`{"timestamp":"Mar 12 12:00:09","hostname":"server2","program":"rcd","processid":null,"message":"second"}` + "\n",
	})
	deadline := time.Now().Add(10 * time.Second)
	for r.a.Status()[0].Dropped != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := r.a.Status()[0]; s.Parsed != 3 || s.Sent != 2 || s.Dropped != 1 {
		t.Fatalf("status %+v", s)
	}
}

func compileStart(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	s, err := (Flow{FilePattern: "x", DeliveryStream: "d", MultiLineStartPattern: pattern}).settings()
	if err != nil {
		t.Fatal(err)
	}
	return s.multiLine
}

// TestTailSlowWriter sends by maxBufferAgeMillis while the file keeps
// growing a little at every poll, long before the batch is full.
func TestTailSlowWriter(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	flow := testFlow(dir)
	flow.MaxBufferAgeMillis = 50
	r := startAgent(t, dir, &recorder{}, flow)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			appendFile(t, log, lines(i, i+1)...)
			time.Sleep(500 * time.Microsecond)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(r.rec.records()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	first := len(r.rec.records())
	close(stop)
	<-done
	if first == 0 || first >= defaultBufferRecords {
		t.Fatalf("first batch of %d records: not sent by age while the file grew", first)
	}
}
