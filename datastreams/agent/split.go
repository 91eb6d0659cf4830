package agent

import (
	"bytes"
	"regexp"
)

// splitter cuts records out of the bytes read from a file. A record is one
// line with its "\n", or, with a multi-line start pattern, a line that
// matches it and every following line that does not (lines before the
// first match belong to the first record, as with the Kinesis Agent).
type splitter struct {
	start *regexp.Regexp // nil: one line a record
}

// next returns the length of the first complete record of buf, or 0 when
// buf holds none yet. With eof (the file is finished and nothing more will
// be appended) a multi-line record ends at the last "\n".
func (s splitter) next(buf []byte, eof bool) int {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		return 0
	}
	if s.start == nil {
		return nl + 1
	}
	// The first line is always part of the record; look for the next
	// line that starts one.
	pos := nl + 1
	for pos < len(buf) {
		end := bytes.IndexByte(buf[pos:], '\n')
		if end < 0 {
			// An unfinished line may yet turn out to start a record;
			// wait for its end.
			break
		}
		line := buf[pos : pos+end+1]
		if s.start.Match(line) {
			return pos
		}
		pos += end + 1
	}
	if eof {
		return pos
	}
	return 0
}

// lineEnd is the length of buf up to and including its first "\n", or 0.
func lineEnd(buf []byte) int {
	return bytes.IndexByte(buf, '\n') + 1
}

// truncateRecord cuts a record longer than max to max bytes, the last of
// them the terminator (the Kinesis Agent's truncatedRecordTerminator).
func truncateRecord(data []byte, max int, term []byte) []byte {
	if len(data) <= max {
		return data
	}
	out := make([]byte, 0, max)
	out = append(out, data[:max-len(term)]...)
	return append(out, term...)
}
