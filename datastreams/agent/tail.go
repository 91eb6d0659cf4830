package agent

import (
	"errors"
	"io"
	"os"
)

// maxPending bounds the unsplit bytes held for one file (the Kinesis
// Agent's parser buffer): a record that grows past it is cut and the rest
// of it discarded up to the next record.
const maxPending = 5 << 20

// readChunk is how much one read asks for.
const readChunk = 256 << 10

// rawRecord is one record as read: bytes [start, end) of a file.
type rawRecord struct {
	start, end int64
	data       []byte
}

// tailFile reads records out of one open file from a position.
type tailFile struct {
	f          *os.File
	path       string
	id         fileID
	off        int64  // file offset of buf[0]: everything before it is split off
	buf        []byte // read and not yet split
	headerLeft int
	discarding bool // a runaway record was cut; skip to the next record
	split      splitter
}

func openTail(path string, f *os.File, id fileID, off int64, skipHeader int, s splitter) *tailFile {
	t := &tailFile{f: f, path: path, id: id, off: off, split: s}
	if off == 0 {
		t.headerLeft = skipHeader
	}
	return t
}

func (t *tailFile) close() { t.f.Close() }

// fill reads what the file has past the buffered bytes; it returns how
// many bytes came. The buffer is reused: polling a file that did not grow
// allocates nothing.
func (t *tailFile) fill() (int, error) {
	total := 0
	for len(t.buf) < maxPending {
		if cap(t.buf)-len(t.buf) < readChunk/4 {
			nb := make([]byte, len(t.buf), len(t.buf)+readChunk)
			copy(nb, t.buf)
			t.buf = nb
		}
		space := t.buf[len(t.buf):cap(t.buf)]
		if room := maxPending - len(t.buf); len(space) > room {
			space = space[:room]
		}
		n, err := t.f.ReadAt(space, t.off+int64(len(t.buf)))
		t.buf = t.buf[:len(t.buf)+n]
		total += n
		if errors.Is(err, io.EOF) || n < len(space) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (t *tailFile) drop(n int) {
	t.off += int64(n)
	t.buf = t.buf[n:]
}

// next splits off the next record; ok is false when there is no complete
// one yet. finished means the file will not grow (it was rotated away and
// stayed idle): a multi-line record may then end at the last newline.
func (t *tailFile) next(finished bool) (rawRecord, bool) {
	for t.headerLeft > 0 {
		n := lineEnd(t.buf)
		if n == 0 {
			return rawRecord{}, false
		}
		t.drop(n)
		t.headerLeft--
	}
	if t.discarding {
		n := lineEnd(t.buf)
		if t.split.start != nil {
			n = t.split.next(t.buf, false)
		}
		if n == 0 {
			t.drop(len(t.buf))
			return rawRecord{}, false
		}
		t.drop(n)
		t.discarding = false
	}
	n := t.split.next(t.buf, finished)
	if n == 0 {
		if len(t.buf) < maxPending {
			return rawRecord{}, false
		}
		n, t.discarding = len(t.buf), true
	}
	return t.take(n), true
}

// rest takes whatever is left, a last line without its "\n", as a record.
func (t *tailFile) rest() (rawRecord, bool) {
	if len(t.buf) == 0 || t.headerLeft > 0 || t.discarding {
		return rawRecord{}, false
	}
	return t.take(len(t.buf)), true
}

func (t *tailFile) take(n int) rawRecord {
	r := rawRecord{start: t.off, end: t.off + int64(n), data: append([]byte(nil), t.buf[:n]...)}
	t.drop(n)
	return r
}

// reset starts over at offset 0 (the file was truncated in place).
func (t *tailFile) reset(id fileID, skipHeader int) {
	t.id, t.off, t.buf, t.discarding, t.headerLeft = id, 0, nil, false, skipHeader
}
