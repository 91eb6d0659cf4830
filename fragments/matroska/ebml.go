package matroska

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// EBML framing: element IDs and sizes read from the stream, and the
// children of a master element read whole.

func (r *Reader) invalid(off int64, what string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrInvalid, off, what)
}

// element reads the next element's ID and size (or returns the pending
// one). io.EOF only when the stream ends before the first byte.
func (r *Reader) element() (elem, error) {
	if p := r.pending; p != nil {
		r.pending = nil
		return *p, nil
	}
	start := r.off
	first, err := r.r.ReadByte()
	if err != nil {
		return elem{}, err
	}
	r.off++
	n := vintLen(first)
	if n == 0 || n > 4 {
		return elem{}, r.invalid(start, fmt.Sprintf("bad element ID byte %#02x", first))
	}
	id := uint32(first)
	for range n - 1 {
		b, err := r.byte()
		if err != nil {
			return elem{}, err
		}
		id = id<<8 | uint32(b)
	}
	sb, err := r.byte()
	if err != nil {
		return elem{}, err
	}
	sn := vintLen(sb)
	if sn == 0 {
		return elem{}, r.invalid(start, fmt.Sprintf("bad size byte %#02x of element %X", sb, id))
	}
	size := uint64(sb) & (0xFF >> sn)
	allOnes := size == 0xFF>>sn
	for range sn - 1 {
		b, err := r.byte()
		if err != nil {
			return elem{}, err
		}
		size = size<<8 | uint64(b)
		allOnes = allOnes && b == 0xFF
	}
	if allOnes {
		return elem{id: id, size: unknownSize, offset: start}, nil
	}
	if size > math.MaxInt64/2 {
		return elem{}, r.invalid(start, "element size out of range")
	}
	return elem{id: id, size: int64(size), offset: start}, nil
}

// byte reads one byte inside an element: the end of the stream there is
// io.ErrUnexpectedEOF.
func (r *Reader) byte() (byte, error) {
	b, err := r.r.ReadByte()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	if err == nil {
		r.off++
	}
	return b, err
}

// body reads an element's body, at most max bytes.
func (r *Reader) body(e elem, max int64) ([]byte, error) {
	if e.size == unknownSize {
		return nil, r.invalid(e.offset, fmt.Sprintf("element %X of unknown size", e.id))
	}
	if e.size > max {
		if e.id == idSimpleBlock || e.id == idBlockGroup {
			return nil, fmt.Errorf("%w: block at %d is %d bytes", ErrTooLarge, e.offset, e.size)
		}
		return nil, r.invalid(e.offset, fmt.Sprintf("element %X is %d bytes, over %d", e.id, e.size, max))
	}
	if e.size <= 64<<10 {
		b := make([]byte, e.size)
		n, err := io.ReadFull(r.r, b)
		r.off += int64(n)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return b, err
	}
	// A large body grows as it arrives, so a size field alone cannot make
	// the reader allocate.
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r.r, e.size)
	r.off += n
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

func (r *Reader) skip(n int64) error {
	d, err := r.r.Discard(int(n))
	r.off += int64(d)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// children walks the elements of a master element's body (known sizes).
func children(b []byte, fn func(id uint32, body []byte) error) error {
	for len(b) > 0 {
		n := vintLen(b[0])
		if n == 0 || n > 4 || len(b) < n {
			return errors.New("bad child element ID")
		}
		id := uint32(0)
		for _, c := range b[:n] {
			id = id<<8 | uint32(c)
		}
		b = b[n:]
		size, sn := vint(b, true)
		if sn <= 0 {
			return fmt.Errorf("bad size of element %X", id)
		}
		b = b[sn:]
		if size > uint64(len(b)) {
			return fmt.Errorf("element %X runs past its parent", id)
		}
		if err := fn(id, b[:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// vintLen is the length of a variable-size integer from its first byte (0:
// invalid).
func vintLen(b byte) int {
	for i := range 8 {
		if b&(0x80>>i) != 0 {
			return i + 1
		}
	}
	return 0
}

// vint decodes a variable-size integer without its marker; n <= 0 when it
// is malformed or, with noUnknown, all ones.
func vint(b []byte, noUnknown bool) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	n := vintLen(b[0])
	if n == 0 || len(b) < n {
		return 0, 0
	}
	v := uint64(b[0]) & (0xFF >> n)
	ones := v == 0xFF>>n
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
		ones = ones && c == 0xFF
	}
	if ones && noUnknown {
		return 0, -1
	}
	return v, n
}

func readUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func readFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}
