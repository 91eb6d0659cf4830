package dest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// The COPY runs in PostgreSQL's text format on rows that Deliver parses
// itself, so that Redshift's rules for the staged data hold: its delimited
// text (backslashes literal unless ESCAPE), its CSV, JSON 'auto', empty
// fields loading as NULL in non-character columns, and the options that
// depend on column types (EMPTYASNULL, TRUNCATECOLUMNS, TIMEFORMAT
// 'epochsecs', ...).

// column is a column the COPY fills.
type column struct {
	name     string
	category string // pg_type.typcategory: S string, D date/time, N numeric, ...
	maxLen   int    // the n of char(n)/varchar(n); 0 without a limit
}

// loadColumns reads the table's columns from the catalog: those named in
// DataTableColumns, in that order, or all of them.
func loadColumns(ctx context.Context, conn *pgx.Conn, table string, names []string) ([]column, error) {
	rows, err := conn.Query(ctx, `SELECT a.attname::text, t.typcategory::text,
		CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, table)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.name, &c.category, &c.maxLen)
		return c, err
	})
	if err != nil || names == nil {
		return all, err
	}
	cols := make([]column, 0, len(names))
	for _, n := range names {
		found := false
		for _, c := range all {
			if c.name == n {
				cols, found = append(cols, c), true
				break
			}
		}
		if !found {
			return nil, delivery.Errorf("Redshift.ColumnNotFound", "column %q of DataTableColumns is not in table %s", n, table)
		}
	}
	return cols, nil
}

// parseText splits Redshift's delimited text: one row a line, fields
// separated by the delimiter ('|' by default); with ESCAPE a backslash makes
// the next character literal, without it backslashes are data. A field
// equal to NULL AS ('\N' by default, compared before unescaping) is NULL.
func parseText(data []byte, o copyOptions) ([][]*string, error) {
	delim := []byte(deref(o.delimiter, "|"))
	null := deref(o.null, `\N`)
	var rows [][]*string
	var row []*string
	var field, raw []byte
	endField := func() {
		if string(raw) == null {
			row = append(row, nil)
		} else {
			s := string(field)
			row = append(row, &s)
		}
		field, raw = field[:0], raw[:0]
	}
	endRow := func() {
		if !(o.ignoreBlankLines && len(row) == 1 && row[0] != nil && *row[0] == "") {
			rows = append(rows, row)
		}
		row = nil
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case o.escape && c == '\\' && i+1 < len(data):
			field = append(field, data[i+1])
			raw = append(raw, data[i:i+2]...)
			i += 2
		case o.removeQuotes && c == '"' && len(raw) == 0:
			// REMOVEQUOTES: a field that starts with a quotation mark runs
			// to the next one, delimiters and newlines included.
			end := bytes.IndexByte(data[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("row %d: unterminated quotation mark", len(rows)+1)
			}
			field = append(field, data[i+1:i+1+end]...)
			raw = append(raw, data[i:i+2+end]...)
			i += end + 2
		case bytes.HasPrefix(data[i:], delim):
			endField()
			i += len(delim)
		case c == '\n':
			endField()
			endRow()
			i++
		default:
			field = append(field, c)
			raw = append(raw, c)
			i++
		}
	}
	if len(raw) > 0 || len(row) > 0 {
		endField()
		endRow()
	}
	return rows, nil
}

// parseCSV reads CSV: fields separated by the delimiter (',' by default),
// quoted with the quote character ('"' by default, doubled inside quotes),
// rows ending at a newline outside quotes. An unquoted field equal to
// NULL AS is NULL.
func parseCSV(data []byte, o copyOptions) ([][]*string, error) {
	delim := []byte(deref(o.delimiter, ","))
	quote := deref(o.quote, `"`)
	if len(quote) != 1 {
		return nil, fmt.Errorf("CSV QUOTE must be one character, not %q", quote)
	}
	q := quote[0]
	null := deref(o.null, `\N`)
	var rows [][]*string
	var row []*string
	var field []byte
	quoted, started := false, false
	endField := func() {
		if !quoted && string(field) == null {
			row = append(row, nil)
		} else {
			s := string(field)
			row = append(row, &s)
		}
		field, quoted, started = field[:0], false, false
	}
	endRow := func() {
		if !(o.ignoreBlankLines && len(row) == 1 && row[0] != nil && *row[0] == "") {
			rows = append(rows, row)
		}
		row = nil
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case !started && c == q:
			quoted, started = true, true
			i++
			for {
				if i >= len(data) {
					return nil, fmt.Errorf("row %d: unterminated quoted field", len(rows)+1)
				}
				if data[i] == q {
					if i+1 < len(data) && data[i+1] == q {
						field = append(field, q)
						i += 2
						continue
					}
					i++
					break
				}
				field = append(field, data[i])
				i++
			}
		case bytes.HasPrefix(data[i:], delim):
			endField()
			i += len(delim)
		case c == '\n' || c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			endField()
			endRow()
			if c == '\r' {
				i++
			}
			i++
		default:
			field = append(field, c)
			started = true
			i++
		}
	}
	if started || len(row) > 0 {
		endField()
		endRow()
	}
	return rows, nil
}

// parseJSON reads concatenated JSON objects (or JSON Lines) for JSON
// 'auto': a key equal to a column's name fills it (any case with
// ignorecase), missing keys and nulls are NULL, nested objects and arrays
// load as their JSON text, numbers and booleans as written.
func parseJSON(data []byte, cols []column, ignoreCase bool) ([][]*string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var rows [][]*string
	for n := 1; ; n++ {
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err == io.EOF {
			return rows, nil
		} else if err != nil {
			return nil, fmt.Errorf("JSON record %d: %w", n, err)
		}
		if obj == nil {
			return nil, fmt.Errorf("JSON record %d: not an object", n)
		}
		if ignoreCase {
			folded := make(map[string]json.RawMessage, len(obj))
			for k, v := range obj {
				folded[strings.ToLower(k)] = v
			}
			obj = folded
		}
		row := make([]*string, len(cols))
		for i, c := range cols {
			key := c.name
			if ignoreCase {
				key = strings.ToLower(key)
			}
			v, ok := obj[key]
			if !ok {
				continue
			}
			s, isNull, err := jsonText(v)
			if err != nil {
				return nil, fmt.Errorf("JSON record %d, key %q: %w", n, key, err)
			}
			if !isNull {
				row[i] = &s
			}
		}
		rows = append(rows, row)
	}
}

func jsonText(v json.RawMessage) (s string, isNull bool, err error) {
	v = bytes.TrimSpace(v)
	switch {
	case bytes.Equal(v, []byte("null")):
		return "", true, nil
	case len(v) > 0 && v[0] == '"':
		err = json.Unmarshal(v, &s)
		return s, false, err
	case len(v) > 0 && (v[0] == '{' || v[0] == '['):
		var c bytes.Buffer
		err = json.Compact(&c, v)
		return c.String(), false, err
	default:
		return string(v), false, nil
	}
}

// fit checks each row against the columns (FILLRECORD pads short rows with
// NULLs) and applies the options that depend on column types.
func (o copyOptions) fit(rows [][]*string, cols []column) error {
	for r, row := range rows {
		if len(row) > len(cols) {
			return fmt.Errorf("row %d: %d fields for %d columns", r+1, len(row), len(cols))
		}
		if len(row) < len(cols) {
			if !o.fillRecord {
				return fmt.Errorf("row %d: %d fields for %d columns (FILLRECORD loads the missing ones as NULL)", r+1, len(row), len(cols))
			}
			row = append(row, make([]*string, len(cols)-len(row))...)
			rows[r] = row
		}
		for i, v := range row {
			if v == nil {
				continue
			}
			s, err := o.fitValue(*v, cols[i])
			if err != nil {
				return fmt.Errorf("row %d, column %s: %w", r+1, cols[i].name, err)
			}
			row[i] = s
		}
	}
	return nil
}

func (o copyOptions) fitValue(s string, c column) (*string, error) {
	if o.acceptInvChars != nil && !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, *o.acceptInvChars)
	}
	if c.category != "S" {
		// Redshift loads an empty field as NULL in a column that is not
		// of a character type.
		if s == "" {
			return nil, nil
		}
		if c.category == "D" && (o.timeFormat == "epochsecs" || o.timeFormat == "epochmillisecs") {
			t, err := parseEpoch(s, o.timeFormat == "epochmillisecs")
			if err != nil {
				return nil, fmt.Errorf("TIMEFORMAT '%s': %w", o.timeFormat, err)
			}
			s = t.Format("2006-01-02 15:04:05.999999Z07:00")
		}
		return &s, nil
	}
	if o.trimBlanks {
		s = strings.TrimRight(s, " ")
	}
	if o.emptyAsNull && s == "" || o.blanksAsNull && strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if o.truncateColumns && c.maxLen > 0 && utf8.RuneCountInString(s) > c.maxLen {
		s = string([]rune(s)[:c.maxLen])
	}
	return &s, nil
}

// parseEpoch reads seconds (or milliseconds) since 1970, with an optional
// decimal fraction, exactly.
func parseEpoch(s string, millis bool) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	digits := 9 // of a second's fraction, in nanoseconds
	if millis {
		digits = 6
	}
	if err != nil || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("%q is not a number", s)
	}
	frac = (frac + strings.Repeat("0", digits))[:digits]
	f, _ := strconv.ParseInt(frac, 10, 64)
	if strings.HasPrefix(whole, "-") {
		f = -f
	}
	if millis {
		return time.UnixMilli(w).Add(time.Duration(f)).UTC(), nil
	}
	return time.Unix(w, f).UTC(), nil
}

// copyText writes rows in PostgreSQL's COPY text format.
func copyText(rows [][]*string) []byte {
	var out bytes.Buffer
	for _, row := range rows {
		for i, v := range row {
			if i > 0 {
				out.WriteByte('\t')
			}
			if v == nil {
				out.WriteString(`\N`)
				continue
			}
			s := *v
			for j := 0; j < len(s); j++ {
				switch c := s[j]; c {
				case '\\':
					out.WriteString(`\\`)
				case '\t':
					out.WriteString(`\t`)
				case '\n':
					out.WriteString(`\n`)
				case '\r':
					out.WriteString(`\r`)
				default:
					out.WriteByte(c)
				}
			}
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}
