package sqlengine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// enc writes the snapshot's binary form: unsigned and signed varints,
// length-prefixed strings, values and rows. The same writer builds the
// keys of groups and partitions (appendKey), so that equal keys are equal
// bytes.
type enc struct{ b []byte }

func (e *enc) uint(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) int(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) bool(v bool)    { e.b = append(e.b, b2u(v)) }
func (e *enc) str(s string)   { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) f64(f float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }

func b2u(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func (e *enc) value(v sqltypes.Value) {
	e.b = append(e.b, byte(v.K), b2u(v.Null))
	if v.Null {
		return
	}
	switch {
	case v.K == sqltypes.Decimal || v.K == sqltypes.Real || v.K == sqltypes.Double:
		e.f64(v.F)
	case v.K.IsString():
		e.str(v.S)
	case v.K.IsBinary():
		e.str(v.S) // the bytes, as bytes() wrote them
	case v.K == sqltypes.RowKind:
		e.values(v.Fields())
	default:
		e.int(v.I)
	}
}

func (e *enc) values(vs []sqltypes.Value) {
	e.uint(uint64(len(vs)))
	for _, v := range vs {
		e.value(v)
	}
}

func (e *enc) row(r *sqltypes.Row) {
	e.int(r.Rowtime)
	e.b = append(e.b, r.ID[:]...)
	e.values(r.Values)
}

// errCorrupt reports a snapshot that does not decode.
var errCorrupt = errors.New("sqlengine: snapshot is corrupt")

// dec reads what enc wrote; the first error sticks and later reads
// return zero values.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against the bytes left (each item
// takes at least one byte), so a corrupt snapshot cannot make a huge
// allocation.
func (d *dec) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) byte1() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) bool() bool { return d.byte1() != 0 }

func (d *dec) raw(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string       { return string(d.raw(d.count())) }
func (d *dec) bytesCopy() []byte { return append([]byte(nil), d.raw(d.count())...) }

func (d *dec) f64() float64 {
	p := d.raw(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p))
}

func (d *dec) value() sqltypes.Value {
	v := sqltypes.Value{K: sqltypes.Kind(d.byte1()), Null: d.bool()}
	if v.Null || d.err != nil {
		return v
	}
	switch {
	case v.K == sqltypes.Decimal || v.K == sqltypes.Real || v.K == sqltypes.Double:
		v.F = d.f64()
	case v.K.IsString():
		v.S = d.str()
	case v.K.IsBinary():
		v.S = d.str()
	case v.K == sqltypes.RowKind:
		f := d.values()
		v.Row = &f
	default:
		v.I = d.int()
	}
	return v
}

func (d *dec) values() []sqltypes.Value {
	n := d.count()
	if n == 0 {
		return nil
	}
	vs := make([]sqltypes.Value, n)
	for i := range vs {
		vs[i] = d.value()
	}
	return vs
}

func (d *dec) row() sqltypes.Row {
	var r sqltypes.Row
	r.Rowtime = d.int()
	copy(r.ID[:], d.raw(16))
	r.Values = d.values()
	return r
}

func (d *dec) rows() []sqltypes.Row {
	n := d.count()
	rs := make([]sqltypes.Row, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		rs = append(rs, d.row())
	}
	return rs
}

func (e *enc) rows(rs []sqltypes.Row) {
	e.uint(uint64(len(rs)))
	for i := range rs {
		e.row(&rs[i])
	}
}

// appendKey appends the grouping form of vs: NULLs are equal to each
// other, -0 equals 0, and the kinds of the integers do not matter.
func appendKey(b []byte, vs []sqltypes.Value) []byte {
	for _, v := range vs {
		if v.Null {
			b = append(b, 0)
			continue
		}
		switch {
		case v.K.IsInteger():
			b = append(b, 1)
			b = binary.AppendVarint(b, v.I)
		case v.K == sqltypes.Decimal || v.K == sqltypes.Real || v.K == sqltypes.Double:
			f := v.F
			if f == 0 {
				f = 0
			}
			b = append(b, 2)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		case v.K.IsString():
			b = append(b, 3)
			b = binary.AppendUvarint(b, uint64(len(v.S)))
			b = append(b, v.S...)
		case v.K.IsBinary():
			b = append(b, 4)
			b = binary.AppendUvarint(b, uint64(len(v.S)))
			b = append(b, v.S...)
		case v.K == sqltypes.RowKind:
			b = append(b, 5)
			b = binary.AppendUvarint(b, uint64(len(v.Fields())))
			b = appendKey(b, v.Fields())
		default:
			b = append(b, 6, byte(v.K))
			b = binary.AppendVarint(b, v.I)
		}
	}
	return b
}

// snapshotVersion is the first byte of every snapshot.
const snapshotVersion = 1

func checkDecoded(d *dec, what string) error {
	if d.err != nil {
		return fmt.Errorf("sqlengine: restoring %s: %w", what, d.err)
	}
	return nil
}
