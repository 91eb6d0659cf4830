package reccodec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Record format types.
const (
	JSON = "JSON"
	CSV  = "CSV"
)

// Format is a record format: JSON with the row's path, or CSV with its
// delimiters.
type Format struct {
	Type            string
	RowPath         string // JSON; "" means "$"
	RowDelimiter    string // CSV; "" means "\n"
	ColumnDelimiter string // CSV; "" means ","
}

// Column is a mapped column: its name, its JSONPath (JSON only) and its
// SQL type.
type Column struct {
	Name    string
	Mapping string
	Type    sqltypes.Type
}

// Error is a record that does not match the schema.
type Error struct {
	Column  string // "" when the record as a whole is at fault
	Message string
}

func (e *Error) Error() string {
	if e.Column == "" {
		return e.Message
	}
	return fmt.Sprintf("column %s: %s", e.Column, e.Message)
}

// Decoder decodes records of one schema. It is safe for concurrent use.
type Decoder struct {
	// Spare is room left at the end of each row for values the caller
	// appends (set before the first Decode).
	Spare int
	f     Format
	cols  []Column
	// JSON: the row path (rowAll: its last step is [0:]), and per column
	// the path from the row; explode is the common prefix of the columns
	// that explode an array (nil: none), at[i] the position of column
	// i's [0:] step when it explodes, else -1.
	row    Path
	rowAll bool
	paths  []Path
	expl   Path
	at     []int
	// flat: per member name, the columns that read it, when every column
	// maps a member of the top-level object (see decodeFlat); else nil.
	flat map[string][]int
}

// NewDecoder checks a schema and builds its decoder.
func NewDecoder(f Format, cols []Column) (*Decoder, error) {
	if len(cols) == 0 {
		return nil, errors.New("the schema has no columns")
	}
	d := &Decoder{f: f, cols: cols}
	switch f.Type {
	case CSV:
		if d.f.RowDelimiter == "" {
			d.f.RowDelimiter = "\n"
		}
		if d.f.ColumnDelimiter == "" {
			d.f.ColumnDelimiter = ","
		}
		return d, nil
	case JSON:
	default:
		return nil, fmt.Errorf("record format %q is neither JSON nor CSV", f.Type)
	}
	rp := f.RowPath
	if rp == "" {
		rp = "$"
	}
	row, err := ParsePath(rp)
	if err != nil {
		return nil, fmt.Errorf("RecordRowPath: %w", err)
	}
	if k := row.all(); k >= 0 {
		if k != len(row)-1 {
			return nil, fmt.Errorf("RecordRowPath %q: [0:] may only end the path", rp)
		}
		d.rowAll = true
	}
	d.row = row
	for _, c := range cols {
		if c.Mapping == "" {
			return nil, fmt.Errorf("column %s: a JSON schema needs a Mapping", c.Name)
		}
		p, err := ParsePath(c.Mapping)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		if p.hasPrefix(row) && (!d.rowAll || len(p) >= len(row)) {
			p = p[len(row):]
		}
		at := -1
		if k := p.all(); k >= 0 && k < len(p)-1 {
			if rest := p[k+1:]; rest.all() >= 0 {
				return nil, fmt.Errorf("column %s: %q explodes more than one array level", c.Name, c.Mapping)
			}
			if d.expl != nil && !equalPath(d.expl, p[:k]) {
				return nil, fmt.Errorf("column %s: %q explodes a second array; one per schema", c.Name, c.Mapping)
			}
			d.expl, at = p[:k:k], k
		}
		d.paths = append(d.paths, p)
		d.at = append(d.at, at)
	}
	d.flat = flatColumns(d)
	return d, nil
}

func equalPath(a, b Path) bool { return len(a) == len(b) && a.hasPrefix(b) }

// Columns are the decoder's columns.
func (d *Decoder) Columns() []Column { return d.cols }

// Decode decodes one record into its rows.
func (d *Decoder) Decode(data []byte) ([][]sqltypes.Value, error) {
	if d.f.Type == CSV {
		return d.decodeCSV(data)
	}
	return d.decodeJSON(data)
}

func (d *Decoder) decodeJSON(data []byte) ([][]sqltypes.Value, error) {
	if d.flat != nil {
		if row, ok := d.decodeFlat(data); ok {
			return [][]sqltypes.Value{row}, nil
		}
	}
	var out [][]sqltypes.Value
	i := 0
	for {
		doc, j, err := parseJSON(data, i, 0)
		if err != nil {
			if errors.Is(err, errEnd) && out != nil && skipSpace(data, i) == len(data) {
				return out, nil
			}
			return nil, &Error{Message: fmt.Sprintf("the record is not JSON: %v", err)}
		}
		i = j
		parent, ok := d.row.eval(doc)
		if !ok {
			return nil, &Error{Message: fmt.Sprintf("the record has nothing at RecordRowPath %s", pathText(d.f.RowPath))}
		}
		if d.rowAll {
			a, ok := parent.([]any)
			if !ok {
				return nil, &Error{Message: fmt.Sprintf("RecordRowPath %s is not an array in the record", d.f.RowPath)}
			}
			for _, r := range a {
				rows, err := d.rowsOf(r)
				if err != nil {
					return nil, err
				}
				out = append(out, rows...)
			}
		} else {
			rows, err := d.rowsOf(parent)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = rows // the usual record, one document: no copy
			} else {
				out = append(out, rows...)
			}
		}
		if out == nil {
			out = [][]sqltypes.Value{}
		}
	}
}

func pathText(p string) string {
	if p == "" {
		return "$"
	}
	return p
}

// rowsOf makes the rows of one row parent: one, or one per element of
// the exploded array.
func (d *Decoder) rowsOf(v any) ([][]sqltypes.Value, error) {
	if d.expl == nil {
		row, err := d.values(v, nil, false)
		if err != nil {
			return nil, err
		}
		return [][]sqltypes.Value{row}, nil
	}
	arr, _ := d.expl.eval(v)
	elems, _ := arr.([]any)
	if len(elems) == 0 {
		row, err := d.values(v, nil, true)
		if err != nil {
			return nil, err
		}
		return [][]sqltypes.Value{row}, nil
	}
	rows := make([][]sqltypes.Value, 0, len(elems))
	for _, el := range elems {
		row, err := d.values(v, el, false)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// values converts one row's columns; el is the element of the exploded
// array (none: NULL for the exploding columns).
func (d *Decoder) values(v, el any, none bool) ([]sqltypes.Value, error) {
	row := make([]sqltypes.Value, len(d.cols), len(d.cols)+d.Spare)
	for i, c := range d.cols {
		var x any
		var ok bool
		if k := d.at[i]; k >= 0 {
			if !none {
				x, ok = d.paths[i][k+1:].eval(el)
			}
		} else {
			x, ok = d.paths[i].eval(v)
		}
		if !ok || x == nil {
			row[i] = sqltypes.NullOf(c.Type.Kind)
			continue
		}
		val, err := sqlfunc.FromJSON(x, c.Type)
		if err != nil {
			return nil, &Error{Column: c.Name, Message: err.Error()}
		}
		row[i] = val
	}
	return row, nil
}

func (d *Decoder) decodeCSV(data []byte) ([][]sqltypes.Value, error) {
	text := string(data)
	text = strings.TrimSuffix(text, d.f.RowDelimiter)
	var out [][]sqltypes.Value
	for line := range strings.SplitSeq(text, d.f.RowDelimiter) {
		if d.f.RowDelimiter == "\n" {
			line = strings.TrimSuffix(line, "\r")
		}
		if line == "" && len(d.cols) > 1 {
			continue
		}
		fields := strings.Split(line, d.f.ColumnDelimiter)
		if len(fields) < len(d.cols) {
			return nil, &Error{Message: fmt.Sprintf("a row has %d fields, the schema %d columns", len(fields), len(d.cols))}
		}
		row := make([]sqltypes.Value, len(d.cols), len(d.cols)+d.Spare)
		for i, c := range d.cols {
			v, err := sqlfunc.FromText(fields[i], c.Type)
			if err != nil {
				return nil, &Error{Column: c.Name, Message: err.Error()}
			}
			row[i] = v
		}
		out = append(out, row)
	}
	if out == nil {
		out = [][]sqltypes.Value{}
	}
	return out, nil
}
