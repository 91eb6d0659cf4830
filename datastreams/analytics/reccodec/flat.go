package reccodec

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// flatColumns maps member names to the columns that read them when every
// column maps one member of the record's top-level object ($.NAME, the
// row path "$", no array exploded, at most 64 columns); nil otherwise.
func flatColumns(d *Decoder) map[string][]int {
	if d.f.Type != JSON || len(d.row) != 0 || d.rowAll || d.expl != nil || len(d.cols) > 64 {
		return nil
	}
	m := map[string][]int{}
	for i, p := range d.paths {
		if len(p) != 1 || p[0].index != stepMember {
			return nil
		}
		m[p[0].name] = append(m[p[0].name], i)
	}
	return m
}

// decodeFlat decodes, for a flat schema, a record that is one JSON object
// in one pass: members no column maps are skipped without being built,
// and no map of the object is made. It gives up (ok false) on anything
// else and on any error, for Decode's general path to word the error the
// same way every time; what it does decode equals the general path's row.
func (d *Decoder) decodeFlat(data []byte) (row []sqltypes.Value, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	row = make([]sqltypes.Value, len(d.cols), len(d.cols)+d.Spare)
	var set uint64
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return nil, false
			}
			var cols []int
			if e := plainStringEnd(data, i); e > 0 {
				cols = d.flat[string(data[i+1:e])] // no allocation
				i = e + 1
			} else {
				k, j, err := parseString(data, i)
				if err != nil {
					return nil, false
				}
				cols, i = d.flat[k], j
			}
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return nil, false
			}
			if cols == nil {
				j, ok := skipJSON(data, i+1, 1)
				if !ok {
					return nil, false
				}
				i = j
			} else {
				j, ok := d.flatValue(data, skipSpace(data, i+1), cols, row)
				if !ok {
					return nil, false
				}
				for _, c := range cols {
					set |= 1 << c
				}
				i = j
			}
			i = skipSpace(data, i)
			if i < len(data) && data[i] == ',' {
				i = skipSpace(data, i+1)
				continue
			}
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			return nil, false
		}
	}
	if skipSpace(data, i) != len(data) {
		return nil, false // more than one document, or trailing bytes
	}
	for c := range d.cols {
		if set&(1<<c) == 0 {
			row[c] = sqltypes.NullOf(d.cols[c].Type.Kind)
		}
	}
	return row, true
}

// flatValue converts the member value at data[i] into the columns cols
// of row: strings and numbers straight from their text, the rest through
// parseJSON.
func (d *Decoder) flatValue(data []byte, i int, cols []int, row []sqltypes.Value) (int, bool) {
	var conv func(t sqltypes.Type) (sqltypes.Value, error)
	if i >= len(data) {
		return i, false
	}
	switch c := data[i]; {
	case c == '"':
		var s string
		if e := plainStringEnd(data, i); e > 0 {
			s, i = string(data[i+1:e]), e+1
		} else {
			var err error
			if s, i, err = parseString(data, i); err != nil {
				return i, false
			}
		}
		conv = func(t sqltypes.Type) (sqltypes.Value, error) { return sqlfunc.FromJSONString(s, t) }
	case c == '-' || c >= '0' && c <= '9':
		j, err := scanNumber(data, i)
		if err != nil {
			return j, false
		}
		s, i := string(data[i:j]), j
		for _, c := range cols {
			var err error
			if row[c], err = sqlfunc.FromJSONNumber(s, d.cols[c].Type); err != nil {
				return i, false
			}
		}
		return i, true
	default:
		v, j, err := parseJSON(data, i, 1)
		if err != nil {
			return j, false
		}
		i = j
		conv = func(t sqltypes.Type) (sqltypes.Value, error) {
			if v == nil {
				return sqltypes.NullOf(t.Kind), nil
			}
			return sqlfunc.FromJSON(v, t)
		}
	}
	for _, c := range cols {
		var err error
		if row[c], err = conv(d.cols[c].Type); err != nil {
			return i, false
		}
	}
	return i, true
}

// plainStringEnd returns the index of the closing quote of the string at
// b[i] == '"' when it has no escapes, control characters or non-ASCII
// bytes, else -1.
func plainStringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j
		case c == '\\' || c < 0x20 || c >= 0x80:
			return -1
		}
	}
	return -1
}

// skipJSON passes over one JSON value at b[i] without building it,
// checking it as parseJSON would; ok false where parseJSON fails.
func skipJSON(b []byte, i, depth int) (int, bool) {
	i = skipSpace(b, i)
	if i >= len(b) || depth > 1000 {
		return i, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			if c == '{' {
				i = skipSpace(b, i)
				if i >= len(b) || b[i] != '"' {
					return i, false
				}
				j, ok := skipString(b, i)
				if !ok {
					return j, false
				}
				i = skipSpace(b, j)
				if i >= len(b) || b[i] != ':' {
					return i, false
				}
				i++
			}
			j, ok := skipJSON(b, i, depth+1)
			if !ok {
				return j, false
			}
			i = skipSpace(b, j)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == end {
				return i + 1, true
			}
			return i, false
		}
	case c == '"':
		return skipString(b, i)
	default:
		// Literals and numbers build nothing worth saving.
		_, j, err := parseJSON(b, i, depth)
		return j, err == nil
	}
}

// skipString passes over the string at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	if e := plainStringEnd(b, i); e > 0 {
		return e + 1, true
	}
	_, j, err := parseString(b, i)
	return j, err == nil
}
