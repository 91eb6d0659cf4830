package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// The ParquetSerDe's limits and defaults.
const (
	minBlockSize     = 64 << 20
	defaultBlockSize = 256 << 20
	minPageSize      = 64 << 10
	defaultPageSize  = 1 << 20
)

// parquetWriter converts JSON records into one Parquet file per batch.
type parquetWriter struct {
	schema    *parquet.Schema
	root      *plan
	reader    *reader
	codec     compress.Codec
	pageSize  int
	blockSize int64
	version   int
}

func newParquetWriter(c *Conversion, tables TableResolver) (*parquetWriter, error) {
	table, err := checkConversion(c, tables)
	if err != nil {
		return nil, err
	}
	root, err := table.schema()
	if err != nil {
		return nil, err
	}
	ps := c.OutputFormatConfiguration.Serializer.ParquetSerDe
	w := &parquetWriter{pageSize: defaultPageSize, blockSize: defaultBlockSize, version: 1}
	switch strings.ToUpper(ps.Compression) {
	case "", "SNAPPY":
		w.codec = &parquet.Snappy
	case "GZIP":
		w.codec = &parquet.Gzip
	case "UNCOMPRESSED":
		w.codec = &parquet.Uncompressed
	default:
		return nil, configErrorf("ParquetSerDe.Compression %q is not one of UNCOMPRESSED, GZIP, SNAPPY", ps.Compression)
	}
	if ps.BlockSizeBytes != nil {
		if *ps.BlockSizeBytes < minBlockSize {
			return nil, configErrorf("ParquetSerDe.BlockSizeBytes must be at least %d", minBlockSize)
		}
		w.blockSize = *ps.BlockSizeBytes
	}
	if ps.PageSizeBytes != nil {
		if *ps.PageSizeBytes < minPageSize {
			return nil, configErrorf("ParquetSerDe.PageSizeBytes must be at least %d", minPageSize)
		}
		w.pageSize = int(min(*ps.PageSizeBytes, 1<<30))
	}
	switch ps.WriterVersion {
	case "", "V1":
	case "V2":
		w.version = 2
	default:
		return nil, configErrorf("ParquetSerDe.WriterVersion %q is not one of V1, V2", ps.WriterVersion)
	}
	if ps.MaxPaddingBytes != nil && *ps.MaxPaddingBytes < 0 {
		return nil, configErrorf("ParquetSerDe.MaxPaddingBytes must not be negative")
	}
	dict := ps.EnableDictionaryCompression != nil && *ps.EnableDictionaryCompression
	w.reader, err = newReader(c.InputFormatConfiguration.Deserializer)
	if err != nil {
		return nil, err
	}
	b := &planBuilder{dict: dict}
	node, p := b.group(root, nil)
	w.root = p
	w.schema = parquet.NewSchema(strings.ToLower(table.Name), node)
	if err := p.check(w.schema.Columns()); err != nil {
		return nil, err
	}
	return w, nil
}

// write converts records; each record is one or more JSON objects, and a
// record that any of them fails to convert is returned in failed, whole.
func (w *parquetWriter) write(records [][]byte) (body []byte, rows int, failed []Failed, err error) {
	var buf bytes.Buffer
	pw := parquet.NewWriter(&buf, w.schema,
		parquet.Compression(w.codec),
		parquet.PageBufferSize(w.pageSize),
		parquet.DataPageVersion(w.version),
		parquet.CreatedBy("shardcast", "", ""),
	)
	var (
		batch   []parquet.Row
		pending int64 // input bytes in the current row group
	)
	flushRows := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := pw.WriteRows(batch)
		batch = batch[:0]
		return err
	}
	for i, rec := range records {
		recRows, code, err := w.convert(rec)
		if err != nil {
			failed = append(failed, Failed{Index: i, Code: code, Message: err.Error()})
			continue
		}
		batch = append(batch, recRows...)
		rows += len(recRows)
		pending += int64(len(rec))
		if len(batch) >= 1024 {
			if err := flushRows(); err != nil {
				return nil, 0, nil, fmt.Errorf("parquet: %w", err)
			}
		}
		if pending >= w.blockSize {
			if err := flushRows(); err != nil {
				return nil, 0, nil, fmt.Errorf("parquet: %w", err)
			}
			if err := pw.Flush(); err != nil {
				return nil, 0, nil, fmt.Errorf("parquet: %w", err)
			}
			pending = 0
		}
	}
	if rows == 0 {
		return nil, 0, failed, nil
	}
	if err := flushRows(); err != nil {
		return nil, 0, nil, fmt.Errorf("parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return nil, 0, nil, fmt.Errorf("parquet: %w", err)
	}
	return buf.Bytes(), rows, failed, nil
}

// convert turns one record into rows.
func (w *parquetWriter) convert(rec []byte) ([]parquet.Row, string, error) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	var rows []parquet.Row
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, CodeMalformedData, fmt.Errorf("the record is not valid JSON: %w", err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, CodeMalformedData, fmt.Errorf("the record holds a JSON %s; only JSON objects are converted", jsonKind(v))
		}
		s := shredder{r: w.reader, row: make(parquet.Row, 0, w.root.nleaves)}
		if err := s.columns(w.root, obj); err != nil {
			return nil, CodeInvalidValue, err
		}
		rows = append(rows, s.row)
	}
	if len(rows) == 0 {
		return nil, CodeMalformedData, errors.New("the record holds no JSON object")
	}
	return rows, "", nil
}

// plan is how one node of the schema is filled: its Hive type, its leaf
// column (scalars), its children (struct fields in schema order, an array's
// element, a map's key and value), and the levels that apply.
type plan struct {
	typ      *hiveType
	name     string
	col      int     // leaf column index
	children []*plan // see above
	// def is the definition level when this node's value is present;
	// rep is the repetition depth of this node's repeated group (lists
	// and maps).
	def, rep int
	leaves   []int // every leaf column under this node
	path     []string
	nleaves  int // on the root: how many leaf columns the schema has
}

// planBuilder makes the Parquet nodes of a Hive type and the plan that
// fills them, numbering leaf columns in schema order.
type planBuilder struct {
	dict bool
	next int
}

// group builds a struct (or the table's root) whose fields are optional,
// in declared order.
func (b *planBuilder) group(t *hiveType, path []string) (parquet.Node, *plan) {
	return b.structAt(t, path, 0, 0)
}

func (b *planBuilder) structAt(t *hiveType, path []string, def, rep int) (parquet.Node, *plan) {
	p := &plan{typ: t, def: def, rep: rep, path: path}
	fields := make([]parquet.Field, 0, len(t.fields))
	for _, f := range t.fields {
		fpath := append(append([]string(nil), path...), f.name)
		n, c := b.node(f.typ, fpath, def+1, rep)
		c.name = f.name
		p.children = append(p.children, c)
		p.leaves = append(p.leaves, c.leaves...)
		fields = append(fields, namedField{Node: parquet.Optional(n), name: f.name})
	}
	p.nleaves = b.next
	return orderedGroup{fields: fields}, p
}

// node builds the node of type t whose value, when present, has
// definition level def.
func (b *planBuilder) node(t *hiveType, path []string, def, rep int) (parquet.Node, *plan) {
	switch t.kind {
	case kStruct:
		return b.structAt(t, path, def, rep)
	case kArray:
		// LIST: group { repeated group list { optional element } }
		epath := append(append([]string(nil), path...), "list", "element")
		en, ep := b.node(t.elem, epath, def+2, rep+1)
		p := &plan{typ: t, def: def, rep: rep + 1, children: []*plan{ep}, leaves: ep.leaves, path: path}
		return parquet.List(parquet.Optional(en)), p
	case kMap:
		// MAP: group { repeated group key_value { required key; optional value } }
		kpath := append(append([]string(nil), path...), "key_value", "key")
		vpath := append(append([]string(nil), path...), "key_value", "value")
		kn, kp := b.node(t.key, kpath, def+1, rep+1)
		vn, vp := b.node(t.elem, vpath, def+2, rep+1)
		p := &plan{typ: t, def: def, rep: rep + 1, children: []*plan{kp, vp}, path: path}
		p.leaves = append(append(p.leaves, kp.leaves...), vp.leaves...)
		return parquet.Map(kn, parquet.Optional(vn)), p
	}
	p := &plan{typ: t, def: def, rep: rep, col: b.next, path: path}
	p.leaves = []int{b.next}
	b.next++
	n := leafNode(t)
	if b.dict {
		n = parquet.Encoded(n, &parquet.RLEDictionary)
	}
	return n, p
}

// leafNode is the Parquet type that Hive's Parquet writer uses for a
// scalar Hive type.
func leafNode(t *hiveType) parquet.Node {
	switch t.kind {
	case kBoolean:
		return parquet.Leaf(parquet.BooleanType)
	case kTinyint:
		return parquet.Int(8)
	case kSmallint:
		return parquet.Int(16)
	case kInt:
		return parquet.Int(32)
	case kBigint:
		return parquet.Int(64)
	case kFloat:
		return parquet.Leaf(parquet.FloatType)
	case kDouble:
		return parquet.Leaf(parquet.DoubleType)
	case kDecimal:
		switch {
		case t.precision <= 9:
			return parquet.Decimal(t.scale, t.precision, parquet.Int32Type)
		case t.precision <= 18:
			return parquet.Decimal(t.scale, t.precision, parquet.Int64Type)
		}
		return parquet.Decimal(t.scale, t.precision, parquet.FixedLenByteArrayType(decimalBytes(t.precision)))
	case kDate:
		return parquet.Date()
	case kTimestamp:
		return parquet.Leaf(parquet.Int96Type)
	case kBinary:
		return parquet.Leaf(parquet.ByteArrayType)
	}
	return parquet.String()
}

// check makes sure the plan's leaf numbering is the schema's.
func (p *plan) check(columns [][]string) error {
	var walk func(q *plan) error
	walk = func(q *plan) error {
		if q.typ.kind < kArray {
			if q.col >= len(columns) || strings.Join(columns[q.col], ".") != strings.Join(q.path, ".") {
				return fmt.Errorf("parquet schema: column %d is %v, expected %v", q.col, columns[q.col], q.path)
			}
		}
		for _, c := range q.children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if len(columns) != p.nleaves {
		return fmt.Errorf("parquet schema: %d columns, expected %d", len(columns), p.nleaves)
	}
	return walk(p)
}

// orderedGroup is a group node whose fields keep their declared order
// (parquet.Group orders them by name), so the columns of the file are in
// the table's order.
type orderedGroup struct {
	fields []parquet.Field
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "group" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g.fields }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }

// namedField is a node with a name in an orderedGroup.
type namedField struct {
	parquet.Node
	name string
}

func (f namedField) Name() string { return f.name }

// Value is not used: rows are written as parquet.Row, never by reflection.
func (f namedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}
