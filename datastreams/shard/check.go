package shard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LogReport is what CheckLog found in one log directory.
type LogReport struct {
	Dir      string
	Segments int
	Records  int64    // whole, valid records
	Damage   []Damage // unreadable stretches; records in them are lost
	Notes    []string // findings that lose nothing (a torn tail, a stale index)
}

// CheckLog reads every segment of the log in dir, as opening it would, but
// changes nothing: it is the read-only check behind `shardcast check`.
// Stored segment indexes (idx may be nil) are compared with the segments;
// a stale one is a note, since opening rebuilds it.
func CheckLog(dir string, idx SegmentIndex, name string) (LogReport, error) {
	rep := LogReport{Dir: dir}
	firsts, err := listSegments(dir)
	if err != nil {
		return rep, fmt.Errorf("shard: %w", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.seg.tmp")); len(tmps) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d half-created segment file(s), removed at the next start", len(tmps)))
	}
	type seen struct {
		first   uint64
		path    string
		lastSeq uint64
		damage  []damage
		size    int64
	}
	var segs []seen
	for i, first := range firsts {
		last := i == len(firsts)-1
		path := filepath.Join(dir, segName(first))
		f, size, hdr, herr := openSegmentFile(path, first, os.O_RDONLY)
		if herr != nil && !errors.Is(herr, ErrCorrupt) {
			return rep, herr
		}
		if herr != nil {
			if last {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: half-created newest segment (%v), removed at the next start", filepath.Base(path), herr))
				continue
			}
			to := first - 1
			if i+1 < len(firsts) {
				to = firsts[i+1] - 1
			}
			rep.Damage = append(rep.Damage, Damage{File: path, End: size, FromSeq: first, ToSeq: to, Reason: herr.Error()})
			continue
		}
		rep.Segments++
		res := scanSegment(f, hdr, size)
		s := seen{first: first, path: path, lastSeq: res.lastSeq, damage: res.damaged, size: size}
		if res.err != nil {
			if !errors.Is(res.err, ErrCorrupt) {
				f.Close()
				return rep, fmt.Errorf("shard: scan %s: %w", path, res.err)
			}
			zeros, err := allZero(f, res.end, size)
			if err != nil {
				f.Close()
				return rep, fmt.Errorf("shard: scan %s: %w", path, err)
			}
			switch {
			case last && !zeros:
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: torn tail of %d bytes after offset %d (never acknowledged), cut at the next start",
					filepath.Base(path), size-res.end, res.end))
			case !last && !zeros:
				d := damage{off: res.end, end: size, from: res.lastSeq + 1, to: res.lastSeq, reason: res.err.Error()}
				if res.lastSeq == 0 {
					d.from, d.to = hdr.FirstSeq, hdr.FirstSeq-1
				}
				s.damage = append(s.damage, d)
			}
		}
		f.Close()
		rep.Records += countRecords(hdr.FirstSeq, res)
		if idx != nil && !last {
			if b, found := idx.LoadSegment(name, first); !found {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: no stored index, rebuilt at the next start", filepath.Base(path)))
			} else if x, ok := decodeSegmentIndex(b, size); !ok || (x.lastSeq != res.lastSeq && len(s.damage) == 0) {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: stored index does not match the segment, rebuilt at the next start", filepath.Base(path)))
			}
		}
		segs = append(segs, s)
	}
	for i, s := range segs {
		for k, d := range s.damage {
			if k == len(s.damage)-1 && d.to < d.from && d.end == s.size && i+1 < len(segs) {
				d.to = segs[i+1].first - 1
			}
			rep.Damage = append(rep.Damage, Damage{File: s.path, Offset: d.off, End: d.end, FromSeq: d.from, ToSeq: d.to, Reason: d.reason})
		}
	}
	if _, err := os.Stat(filepath.Join(dir, positionName)); err == nil {
		p, err := readPosition(dir)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("position file unreadable: %v", err))
		} else if p == 0 {
			rep.Notes = append(rep.Notes, "position file holds no valid mark; numbering resumes after the last record")
		}
	}
	return rep, nil
}

// countRecords counts the whole records a scan found: the numbers it
// covered less those lost to damage.
func countRecords(first uint64, res scanResult) int64 {
	if res.lastSeq == 0 {
		return 0
	}
	n := int64(res.lastSeq - first + 1)
	for _, d := range res.damaged {
		if d.to >= d.from {
			n -= int64(d.to - d.from + 1)
		}
	}
	return n
}
