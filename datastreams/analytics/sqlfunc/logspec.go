package sqlfunc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// logColumn is one column of a log-parse function's row result.
type logColumn struct {
	Name   string
	Type   sqltypes.Type
	Format []dfToken // SimpleDateFormat of a datetime column, nil for the default text form
	Start  int       // FIXED_COLUMN_LOG_PARSE: 0-based start
	For    int       // FIXED_COLUMN_LOG_PARSE: width, -1 to the end
}

// defaultLogColumns are COLUMN1..n of VARCHAR(1024).
func defaultLogColumns(n int) []logColumn {
	out := make([]logColumn, n)
	for i := range out {
		out[i] = logColumn{Name: "COLUMN" + strconv.Itoa(i+1), Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 1024}, For: -1}
	}
	return out
}

// rowTypeOf is the ROW type of the columns.
func rowTypeOf(cols []logColumn) sqltypes.Type {
	t := sqltypes.Type{Kind: sqltypes.RowKind, Fields: make([]sqltypes.Column, len(cols))}
	for i, c := range cols {
		t.Fields[i] = sqltypes.Column{Name: c.Name, Type: c.Type}
	}
	return t
}

// convert turns a field's text into the column's value.
func (c logColumn) convert(text string) (sqltypes.Value, error) {
	if c.Format != nil && c.Type.Kind.IsDatetime() {
		ms, err := parseDateTime(c.Format, text)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return Cast(datetimeOf(c.Type.Kind, ms), c.Type)
	}
	v, err := textInto(text, c.Type, false)
	if err != nil {
		return sqltypes.Value{}, fmt.Errorf("column %s: %w", c.Name, err)
	}
	return v, nil
}

// parseColumnList reads a column list of VARIABLE_COLUMN_LOG_PARSE,
// FIXED_COLUMN_LOG_PARSE or REGEX_LOG_PARSE:
//
//	name [TYPE] type ['date format'] [NOT NULL] [START p [FOR n]], ...
//
// A name in double quotes keeps its case; others are upper-cased. The
// TYPE keyword and, outside FIXED_COLUMN_LOG_PARSE, the type itself may
// be left out (VARCHAR(1024)). START is required when fixed.
func parseColumnList(spec string, fixed bool) ([]logColumn, error) {
	items, err := splitTopLevel(spec)
	if err != nil {
		return nil, err
	}
	var out []logColumn
	for _, item := range items {
		c, err := parseColumnItem(item, fixed)
		if err != nil {
			return nil, fmt.Errorf("column list %q: %w", spec, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("column list %q names no column", spec)
	}
	return out, nil
}

// splitTopLevel splits at commas outside parentheses and quotes.
func splitTopLevel(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("column list %q: unbalanced parenthesis", s)
			}
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 || depth != 0 {
		return nil, fmt.Errorf("column list %q: unterminated quote or parenthesis", s)
	}
	out = append(out, s[start:])
	var items []string
	for _, it := range out {
		if strings.TrimSpace(it) != "" {
			items = append(items, it)
		}
	}
	return items, nil
}

// specToken is a word, a number, a 'string', a "name" or a (group).
type specToken struct {
	kind byte // 'w' word, 's' single-quoted, 'q' double-quoted, 'p' parenthesized
	text string
}

func lexSpec(s string) ([]specToken, error) {
	var out []specToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated quote in %q", s)
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			k := byte('s')
			if c == '"' {
				k = 'q'
			}
			out = append(out, specToken{kind: k, text: b.String()})
			i = j + 1
		case c == '(':
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				return nil, fmt.Errorf("unbalanced parenthesis in %q", s)
			}
			out = append(out, specToken{kind: 'p', text: s[i : i+j+1]})
			i += j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r'\"(", rune(s[j])) {
				j++
			}
			out = append(out, specToken{kind: 'w', text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

var specKeywords = map[string]bool{"NOT": true, "START": true, "FOR": true}

func parseColumnItem(item string, fixed bool) (logColumn, error) {
	toks, err := lexSpec(item)
	if err != nil {
		return logColumn{}, err
	}
	c := logColumn{For: -1, Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 1024}}
	if len(toks) == 0 || (toks[0].kind != 'w' && toks[0].kind != 'q') {
		return c, fmt.Errorf("%q: want a column name", strings.TrimSpace(item))
	}
	c.Name = toks[0].text
	if toks[0].kind == 'w' {
		c.Name = strings.ToUpper(c.Name)
	}
	i := 1
	if i < len(toks) && toks[i].kind == 'w' && strings.EqualFold(toks[i].text, "TYPE") {
		i++
	}
	// the type: words up to a parenthesis, a quote or a keyword
	var words []string
	for i < len(toks) && toks[i].kind == 'w' && !specKeywords[strings.ToUpper(toks[i].text)] {
		words = append(words, toks[i].text)
		i++
	}
	if len(words) > 0 {
		name := strings.Join(words, " ")
		if i < len(toks) && toks[i].kind == 'p' {
			name += toks[i].text
			i++
		}
		t, err := sqltypes.ParseType(name)
		if err != nil {
			return c, err
		}
		c.Type = t
	} else if fixed {
		return c, fmt.Errorf("column %s: want a type", c.Name)
	}
	if i < len(toks) && toks[i].kind == 's' {
		if !c.Type.Kind.IsDatetime() {
			return c, fmt.Errorf("column %s: a format is only for DATE, TIME and TIMESTAMP", c.Name)
		}
		f, err := parseDateFormat(toks[i].text)
		if err != nil {
			return c, fmt.Errorf("column %s: %w", c.Name, err)
		}
		c.Format = f
		i++
	}
	hasStart := false
	for i < len(toks) {
		kw := strings.ToUpper(toks[i].text)
		switch {
		case toks[i].kind == 'w' && kw == "NOT" && i+1 < len(toks) && strings.EqualFold(toks[i+1].text, "NULL"):
			c.Type.NotNull = true
			i += 2
		case toks[i].kind == 'w' && kw == "START" && fixed && i+1 < len(toks):
			n, err := strconv.Atoi(toks[i+1].text)
			if err != nil || n < 0 {
				return c, fmt.Errorf("column %s: START wants a position, got %q", c.Name, toks[i+1].text)
			}
			c.Start, hasStart = n, true
			i += 2
		case toks[i].kind == 'w' && kw == "FOR" && fixed && hasStart && i+1 < len(toks):
			n, err := strconv.Atoi(toks[i+1].text)
			if err != nil || n < 0 {
				return c, fmt.Errorf("column %s: FOR wants a width, got %q", c.Name, toks[i+1].text)
			}
			c.For = n
			i += 2
		default:
			return c, fmt.Errorf("column %s: unexpected %q", c.Name, toks[i].text)
		}
	}
	if fixed && !hasStart {
		return c, fmt.Errorf("column %s: want START", c.Name)
	}
	return c, nil
}
