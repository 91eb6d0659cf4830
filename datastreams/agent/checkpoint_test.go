package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointRoundTrip saves and loads the file whole, leaves no
// temporary file, and refuses damaged content.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.json")
	cp, err := loadCheckpoint(path)
	if err != nil || len(cp.Flows) != 0 {
		t.Fatalf("missing file: %v %v", cp, err)
	}
	cp.Flows["kinesis:s:/x/*.log"] = &flowState{
		Files: []*fileState{{fileID: fileID{Dev: 1, Ino: 2, FPLen: 3, FP: "ab"}, Path: "/x/a.log", Offset: 42, Done: true}},
		Tips:  map[string]string{"shardId-000000000000": "49"},
		Intent: &intent{File: fileID{Dev: 1, Ino: 2}, Path: "/x/a.log", From: 42, Ends: []int64{50, 60},
			Hashes: []string{"h1", ""}, Done: []bool{false, true}, Time: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
	}
	if err := cp.save(path); err != nil {
		t.Fatal(err)
	}
	got, err := loadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	fs := got.Flows["kinesis:s:/x/*.log"]
	if fs == nil || fs.Files[0].Offset != 42 || !fs.Files[0].Done || fs.Tips["shardId-000000000000"] != "49" ||
		fs.Intent == nil || fs.Intent.Ends[1] != 60 || !fs.Intent.Done[1] || !fs.Intent.Time.Equal(cp.Flows["kinesis:s:/x/*.log"].Intent.Time) {
		t.Fatalf("round trip: %+v", fs)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Fatalf("%d files in the directory", len(des))
	}
	for _, bad := range []string{
		`{`, `{"version":2}`, `{"version":1,"flows":{"a":null}}`,
		`{"version":1,"flows":{"a":{"files":[{"offset":-1}]}}}`,
		`{"version":1,"flows":{"a":{"intent":{"from":5,"ends":[4],"hashes":[""],"done":[false]}}}}`,
		`{"version":1,"flows":{"a":{"intent":{"from":0,"ends":[4],"hashes":[],"done":[false]}}}}`,
	} {
		os.WriteFile(path, []byte(bad), 0o600)
		if _, err := loadCheckpoint(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// FuzzCheckpoint parses any file content without panicking, and what it
// accepts saves and parses again.
func FuzzCheckpoint(f *testing.F) {
	f.Add([]byte(`{"version":1,"flows":{}}`))
	f.Add([]byte(`{"version":1,"flows":{"a":{"files":[{"dev":1,"ino":2,"fpLen":3,"fp":"x","path":"p","offset":9}],"intent":{"from":0,"ends":[1,2],"hashes":["",""],"done":[true,false]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := parseCheckpoint(b)
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "cp")
		if err := cp.save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := loadCheckpoint(path); err != nil {
			t.Fatalf("saved checkpoint does not load: %v", err)
		}
	})
}

// FuzzSplit cuts any bytes into records that end in "\n" (but for what
// rest returns) and put back together give the input.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("a\nb\n  c\nd"), true)
	f.Add([]byte("\n\n\n"), false)
	f.Add([]byte("x"), true)
	f.Fuzz(func(t *testing.T, data []byte, multi bool) {
		var s splitter
		if multi {
			s.start = compileStart(t, `[a-z]`)
		}
		var out []byte
		buf := data
		for {
			n := s.next(buf, true)
			if n == 0 {
				break
			}
			if buf[n-1] != '\n' {
				t.Fatalf("record %q does not end a line", buf[:n])
			}
			out = append(out, buf[:n]...)
			buf = buf[n:]
		}
		if string(append(out, buf...)) != string(data) {
			t.Fatal("records lost bytes")
		}
		if len(buf) > 0 && strings.Contains(string(buf), "\n") {
			t.Fatalf("left %q with a complete line", buf)
		}
	})
}

// TestCheckpointLock keeps a second agent off a checkpoint file in use,
// and clears what a killed run left behind.
func TestCheckpointLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.json")
	stale := filepath.Join(dir, ".cp.json.tmp123")
	os.WriteFile(stale, []byte("x"), 0o600)
	release, err := lockCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file kept: %v", err)
	}
	if _, err := lockCheckpoint(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second lock: %v", err)
	}
	release()
	release2, err := lockCheckpoint(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release2()
}
