package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/index"
)

// runCheck is `shardcast check`: a read-only check of a data directory
// (every segment, stored index and manifest, and the catalog). It prints
// each finding and exits 0 when nothing is damaged, 1 when something is,
// and 2 when the check could not be made.
func runCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "shardcast check:", err)
		return 2
	}
	dir := cfg.DataDir
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "shardcast check: %s is not a data directory\n", dir)
		return 2
	}
	fmt.Fprintf(stdout, "checking %s\n", dir)
	damaged, notes := 0, 0
	damage := func(format string, args ...any) {
		damaged++
		fmt.Fprintf(stdout, "DAMAGED  "+format+"\n", args...)
	}
	note := func(format string, args ...any) {
		notes++
		fmt.Fprintf(stdout, "note     "+format+"\n", args...)
	}

	var cat *index.Catalog
	catPath := filepath.Join(dir, "catalog.db")
	if _, err := os.Stat(catPath); os.IsNotExist(err) {
		note("catalog.db is missing: the next start rebuilds it from the definitions and logs")
	} else {
		if cat, err = index.OpenReadOnly(catPath); err != nil {
			fmt.Fprintf(stderr, "shardcast check: %v (is a server running on %s? stop it first)\n", err, dir)
			return 2
		}
		defer cat.Close()
		for _, p := range cat.Check() {
			damage("catalog.db: %s (move the file away: the next start rebuilds it)", p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "keyring.json")); err == nil && !json.Valid(b) {
		damage("keyring.json is unreadable: encrypted records cannot be opened without it")
	}

	records, segments, streams := int64(0), 0, 0
	for _, k := range []struct{ sub, kind string }{{"kinesis", index.KindData}, {"video", index.KindVideo}} {
		reps, err := streamdir.Check(filepath.Join(dir, "streams"), filepath.Join(dir, k.sub), k.kind, cat)
		if err != nil {
			fmt.Fprintln(stderr, "shardcast check:", err)
			return 2
		}
		for _, r := range reps {
			streams++
			name := r.Name
			if name == "" {
				name = "(unknown name)"
			}
			if r.Name == "" && r.ID != "" {
				name = "id " + r.ID
			}
			where := fmt.Sprintf("%s stream %s (%s)", k.kind, name, r.Dir)
			for _, d := range r.Damaged {
				damage("%s: %s", where, d)
			}
			for _, n := range r.Notes {
				note("%s: %s", where, n)
			}
			for _, l := range r.Logs {
				segments += l.Segments
				records += l.Records
				for _, d := range l.Damage {
					lost := "no records lost"
					if d.Lost() {
						lost = fmt.Sprintf("records %d-%d lost", d.FromSeq, d.ToSeq)
					}
					damage("%s: %s bytes %d-%d: %s (%s)", where, d.File, d.Offset, d.End, lost, d.Reason)
				}
				for _, n := range l.Notes {
					note("%s: %s: %s", where, filepath.Base(l.Dir), n)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "%d streams, %d segments, %d readable records; %d damaged, %d notes\n", streams, segments, records, damaged, notes)
	if damaged > 0 {
		return 1
	}
	return 0
}
