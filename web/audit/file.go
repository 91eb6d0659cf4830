package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// file is the audit file and its rotation. Only the writer uses it.
type file struct {
	path string
	max  int64
	keep int

	f    *os.File // nil after a rotation that failed before reopening
	size int64
	// torn is set when the file may end inside a line: a crash, or a
	// failed write that could not be cut back. The next write starts
	// with a newline so that its lines stay whole.
	torn bool
}

// openFile opens path for appending, creating it (mode 0600) and its
// directory (0700) when missing.
func openFile(path string, max int64, keep int) (*file, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f := &file{path: path, max: max, keep: keep}
	if err := f.open(); err != nil {
		return nil, err
	}
	return f, nil
}

// open opens f.path and learns its size and whether its last line is
// whole.
func (f *file) open() error {
	h, err := os.OpenFile(f.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := h.Stat()
	if err != nil {
		h.Close()
		return err
	}
	f.f, f.size, f.torn = h, st.Size(), false
	if f.size > 0 {
		last := make([]byte, 1)
		if _, err := h.ReadAt(last, f.size-1); err != nil && !errors.Is(err, io.EOF) {
			h.Close()
			f.f = nil
			return err
		}
		f.torn = last[0] != '\n'
	}
	return nil
}

// write appends the lines of buf from line i on (ends holds each line's
// end offset) and fsyncs, rotating between lines when the file would
// pass f.max (a line longer than f.max gets a file of its own). It
// returns the index of the first line not written and the rotations
// made. On an error the file is cut back to its last whole, synced line
// so that a retry neither repeats nor splits one.
func (f *file) write(buf []byte, ends []int, i int) (next, rotations int, err error) {
	for i < len(ends) {
		if f.f == nil {
			if err := f.open(); err != nil {
				return i, rotations, fmt.Errorf("reopen: %w", err)
			}
		}
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		pad := int64(0)
		if f.torn {
			pad = 1
		}
		j := i
		for j < len(ends) && (f.size+pad+int64(ends[j]-start) <= f.max || (j == i && f.size == 0)) {
			j++
		}
		if j == i {
			if err := f.rotate(); err != nil {
				return i, rotations, err
			}
			rotations++
			continue
		}
		if err := f.append(buf[start:ends[j-1]]); err != nil {
			return i, rotations, err
		}
		i = j
	}
	return i, rotations, nil
}

// append writes p, then fsyncs.
func (f *file) append(p []byte) error {
	var err error
	if f.torn {
		_, err = f.f.Write([]byte{'\n'})
	}
	if err == nil {
		_, err = f.f.Write(p)
	}
	if err == nil {
		err = f.f.Sync()
	}
	if err != nil {
		// After a failed write or fsync what reached the disk is unknown:
		// cut back to the synced size and write it all again later.
		if terr := f.f.Truncate(f.size); terr != nil {
			f.torn = true
		}
		return fmt.Errorf("append: %w", err)
	}
	if f.torn {
		f.size++
		f.torn = false
	}
	f.size += int64(len(p))
	return nil
}

// rotate closes the file, shifts path.{keep-1}→path.{keep} …
// path→path.1 (the oldest falls off), opens a new path and fsyncs the
// directory.
func (f *file) rotate() error {
	if f.f != nil {
		err := f.f.Close()
		f.f = nil
		if err != nil {
			return fmt.Errorf("rotate: close: %w", err)
		}
	}
	for n := f.keep - 1; n >= 1; n-- {
		if err := os.Rename(f.rotated(n), f.rotated(n+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	if err := os.Rename(f.path, f.rotated(1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := f.open(); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	return nil
}

// rotated names the n-th rotated file.
func (f *file) rotated(n int) string { return f.path + "." + strconv.Itoa(n) }

// close closes the file.
func (f *file) close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// syncDir fsyncs a directory so that renames and creations in it last.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}
