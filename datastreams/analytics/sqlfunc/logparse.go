package sqlfunc

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// A logParser turns one line into the values of its columns; ok is false
// when the line does not have the parser's shape (the result is NULL).
type logParser struct {
	cols  []logColumn
	parse func(line string) (fields []string, present []bool, ok bool)
}

// row converts a line into a ROW value.
func (p *logParser) row(line string) (sqltypes.Value, error) {
	fields, present, ok := p.parse(line)
	if !ok {
		return sqltypes.NullOf(sqltypes.RowKind), nil
	}
	out := make([]sqltypes.Value, len(p.cols))
	for i, c := range p.cols {
		if i >= len(fields) || (present != nil && !present[i]) {
			v, err := Cast(sqltypes.NullOf(c.Type.Kind), c.Type)
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("column %s: %w", c.Name, err)
			}
			out[i] = v
			continue
		}
		v, err := c.convert(fields[i])
		if err != nil {
			return sqltypes.Value{}, err
		}
		out[i] = v
	}
	return sqltypes.RowValue(out), nil
}

// logFunc registers a log-parse function whose parser is built from its
// constant arguments (all but the first) and memoized by them.
func logFunc(l *Library, name string, min, max int, build func(args []sqltypes.Value) (*logParser, error)) {
	parsers := newMemo[*logParser]()
	key := func(args []sqltypes.Value) string {
		var b strings.Builder
		for _, a := range args[1:] {
			b.WriteString(a.String())
			b.WriteByte(0)
		}
		return b.String()
	}
	l.add(&Func{Name: name, Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs(name, args, min, max); err != nil {
			return sqltypes.Type{}, err
		}
		if err := wantString(name, args, 0); err != nil {
			return sqltypes.Type{}, err
		}
		vals := make([]sqltypes.Value, len(args))
		for i := 1; i < len(args); i++ {
			if args[i].Const == nil {
				return sqltypes.Type{}, argError(name, i, "want a constant")
			}
			vals[i] = *args[i].Const
		}
		p, err := build(vals)
		if err != nil {
			return sqltypes.Type{}, fmt.Errorf("%s: %w", name, err)
		}
		return rowTypeOf(p.cols), nil
	}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
		if a[0].Null {
			return sqltypes.NullOf(sqltypes.RowKind), nil
		}
		p, err := parsers.get(key(a), func(string) (*logParser, error) { return build(a) })
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("%s: %w", name, err)
		}
		v, err := p.row(a[0].S)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}})
}

func stringArg(a sqltypes.Value, what string) (string, error) {
	if a.Null || !a.K.IsString() {
		return "", fmt.Errorf("the %s must be a character string", what)
	}
	return a.S, nil
}

func addLogParse(l *Library) {
	logFunc(l, "W3C_LOG_PARSE", 2, 2, func(a []sqltypes.Value) (*logParser, error) {
		f, err := stringArg(a[1], "format")
		if err != nil {
			return nil, err
		}
		return w3cParser(f)
	})
	logFunc(l, "VARIABLE_COLUMN_LOG_PARSE", 3, 5, func(a []sqltypes.Value) (*logParser, error) {
		return variableParser(a[1:])
	})
	logFunc(l, "FIXED_COLUMN_LOG_PARSE", 2, 2, func(a []sqltypes.Value) (*logParser, error) {
		spec, err := stringArg(a[1], "column list")
		if err != nil {
			return nil, err
		}
		cols, err := parseColumnList(spec, true)
		if err != nil {
			return nil, err
		}
		return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
			r := []rune(line)
			fields := make([]string, len(cols))
			present := make([]bool, len(cols))
			for i, c := range cols {
				if c.Start >= len(r) {
					continue
				}
				end := len(r)
				if c.For >= 0 && c.Start+c.For < end {
					end = c.Start + c.For
				}
				fields[i], present[i] = string(r[c.Start:end]), true
			}
			return fields, present, true
		}}, nil
	})
	regexBuild := func(lazy bool) func(a []sqltypes.Value) (*logParser, error) {
		return func(a []sqltypes.Value) (*logParser, error) {
			pat, err := stringArg(a[1], "pattern")
			if err != nil {
				return nil, err
			}
			src := javaRegexp(pat)
			if lazy {
				if src, err = fastRegexp(pat); err != nil {
					return nil, err
				}
				src = lazyRegexp(src)
			}
			re, err := regexp.Compile(`^(?:` + src + `)$`)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", pat, err)
			}
			cols := defaultLogColumns(re.NumSubexp())
			if len(a) == 3 {
				spec, err := stringArg(a[2], "column list")
				if err != nil {
					return nil, err
				}
				named, err := parseColumnList(spec, false)
				if err != nil {
					return nil, err
				}
				if len(named) > len(cols) {
					return nil, fmt.Errorf("%d columns for %d groups", len(named), len(cols))
				}
				copy(cols, named)
			}
			if len(cols) == 0 {
				return nil, fmt.Errorf("pattern %q has no group", pat)
			}
			return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
				m := re.FindStringSubmatchIndex(line)
				if m == nil {
					return nil, nil, false
				}
				fields := make([]string, len(cols))
				present := make([]bool, len(cols))
				for i := range cols {
					if m[2*i+2] >= 0 {
						fields[i], present[i] = line[m[2*i+2]:m[2*i+3]], true
					}
				}
				return fields, present, true
			}}, nil
		}
	}
	logFunc(l, "REGEX_LOG_PARSE", 2, 3, regexBuild(false))
	logFunc(l, "FAST_REGEX_LOG_PARSER", 2, 3, regexBuild(true))
	l.alias("FAST_REGEX_LOG_PARSE", "FAST_REGEX_LOG_PARSER")
	sysFormat, _ := parseDateFormat("MMM d HH:mm:ss")
	logFunc(l, "SYS_LOG_PARSE", 1, 1, func([]sqltypes.Value) (*logParser, error) {
		cols := []logColumn{
			{Name: "COLUMN1", Type: typ(sqltypes.Timestamp), Format: sysFormat, For: -1},
			{Name: "COLUMN2", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 1024}, For: -1},
		}
		return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
			// Mon DD HH:MM:SS rest; the day may be blank-padded
			if len(line) < 15 {
				return nil, nil, false
			}
			stamp := strings.Replace(line[:15], "  ", " ", 1)
			if _, err := parseDateTime(sysFormat, stamp); err != nil {
				return nil, nil, false
			}
			return []string{stamp, strings.TrimPrefix(line[15:], " ")}, nil, true
		}}, nil
	})
}

// fastRegexp translates FAST_REGEX_LOG_PARSER's pattern syntax (an
// automaton syntax, not Java's) to Go's: "text" is literal text, @ any
// string, # the empty language, <n-m> a decimal number (its bounds are not
// checked); & (intersection) and <name> (named patterns) are not
// supported. Backslash classes (\d, \s, \w) keep their Java meaning.
func fastRegexp(p string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteString(p[i : i+2])
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '"':
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				return "", fmt.Errorf("pattern %q: unterminated \"", p)
			}
			b.WriteString(regexp.QuoteMeta(p[i+1 : i+1+j]))
			i += j + 1
		case c == '@':
			b.WriteString(`.*`)
		case c == '#':
			b.WriteString(`[^\x00-\x{10FFFF}]`)
		case c == '&':
			return "", fmt.Errorf("pattern %q: & (intersection) is not supported", p)
		case c == '<':
			j := strings.IndexByte(p[i:], '>')
			if j < 0 || !numericInterval.MatchString(p[i:i+j+1]) {
				return "", fmt.Errorf("pattern %q: only <n-m> number intervals are supported", p)
			}
			b.WriteString(`[0-9]+`)
			i += j
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

var numericInterval = regexp.MustCompile(`^<[0-9]+-[0-9]+>$`)

// lazyRegexp turns greedy quantifiers into lazy ones, the matching
// FAST_REGEX_LOG_PARSER uses.
func lazyRegexp(src string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		b.WriteByte(c)
		switch {
		case c == '\\' && i+1 < len(src):
			i++
			b.WriteByte(src[i])
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case !inClass && (c == '*' || c == '+' || c == '?' || c == '}'):
			if c == '?' && i > 0 && src[i-1] == '(' {
				continue // (?flags or (?: group
			}
			if i+1 < len(src) && src[i+1] == '?' {
				continue // already lazy
			}
			b.WriteByte('?')
		}
	}
	return b.String()
}

// w3cFormats are the named formats of W3C_LOG_PARSE as Apache LogFormat
// strings.
var w3cFormats = map[string]string{
	"COMMON":            `%h %l %u %t "%r" %>s %b`,
	"COMMON WITH VHOST": `%v %h %l %u %t "%r" %>s %b`,
	"NCSA EXTENDED":     `%h %l %u %t "%r" %>s %b "%[Referer]i" "%[User-agent]i"`,
	"REFERER":           `%[Referer]i ---> %U`,
	"AGENT":             `%[User-agent]i`,
}

// w3cParser builds the parser of a W3C_LOG_PARSE format: a named format,
// IIS, or an Apache LogFormat string. Each % directive is a column
// (COLUMN1..n, VARCHAR(1024)); a directive inside double quotes takes the
// quoted text without its quotes (backslash escapes kept), %t takes the
// bracketed time with its brackets, any other takes a run of non-blanks,
// and a format of one directive takes the whole line.
func w3cParser(format string) (*logParser, error) {
	name := strings.Join(strings.Fields(strings.ToUpper(format)), " ")
	if name == "IIS" {
		// client, user, date, time, service, server, server IP, time
		// taken, bytes received, bytes sent, status, Windows status,
		// method, target, parameters; comma and blank separated
		cols := defaultLogColumns(15)
		return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
			parts := strings.Split(strings.TrimSuffix(strings.TrimSpace(line), ","), ", ")
			if len(parts) != len(cols) {
				return nil, nil, false
			}
			return parts, nil, true
		}}, nil
	}
	if f, ok := w3cFormats[name]; ok {
		format = f
	}
	var re strings.Builder
	re.WriteString(`^`)
	n := 0
	rs := format
	directives := strings.Count(rs, "%") - 2*strings.Count(rs, "%%")
	for i := 0; i < len(rs); {
		c := rs[i]
		if c != '%' {
			r, size := utf8.DecodeRuneInString(rs[i:])
			re.WriteString(regexp.QuoteMeta(string(r)))
			i += size
			continue
		}
		j := i + 1
		if j < len(rs) && rs[j] == '%' {
			re.WriteString(`%`)
			i = j + 1
			continue
		}
		// modifiers: status codes, < >, then an optional {name} or [name]
		for j < len(rs) && strings.ContainsRune("!0123456789,<>", rune(rs[j])) {
			j++
		}
		if j < len(rs) && (rs[j] == '{' || rs[j] == '[') {
			closer := byte('}')
			if rs[j] == '[' {
				closer = ']'
			}
			k := strings.IndexByte(rs[j:], closer)
			if k < 0 {
				return nil, fmt.Errorf("format %q: unterminated %c", format, rs[j])
			}
			j += k + 1
		}
		if j >= len(rs) {
			return nil, fmt.Errorf("format %q: a %% without a directive", format)
		}
		letter := rs[j]
		quoted := i > 0 && rs[i-1] == '"' && j+1 < len(rs) && rs[j+1] == '"'
		switch {
		case quoted:
			re.WriteString(`((?:[^"\\]|\\.)*)`)
		case letter == 't':
			re.WriteString(`(\[[^\]]*\])`)
		case directives == 1:
			re.WriteString(`(.*)`)
		default:
			re.WriteString(`(\S*)`)
		}
		n++
		i = j + 1
	}
	if n == 0 {
		return nil, fmt.Errorf("format %q has no %% directive", format)
	}
	re.WriteString(`$`)
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("format %q: %w", format, err)
	}
	cols := defaultLogColumns(n)
	return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
		m := compiled.FindStringSubmatch(line)
		if m == nil {
			return nil, nil, false
		}
		return m[1:], nil, true
	}}, nil
}

// variableParser builds VARIABLE_COLUMN_LOG_PARSE's parser from (columns,
// delimiter[, escape, quote]): columns is a count or a column list.
func variableParser(a []sqltypes.Value) (*logParser, error) {
	var cols []logColumn
	switch {
	case a[0].K.IsInteger() && !a[0].Null:
		if a[0].I < 1 || a[0].I > 1000 {
			return nil, fmt.Errorf("column count %d out of 1..1000", a[0].I)
		}
		cols = defaultLogColumns(int(a[0].I))
	case a[0].K.IsString() && !a[0].Null:
		var err error
		if cols, err = parseColumnList(a[0].S, false); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("the columns must be a count or a column list")
	}
	delim, err := stringArg(a[1], "delimiter")
	if err != nil {
		return nil, err
	}
	if delim == "" {
		return nil, fmt.Errorf("the delimiter is empty")
	}
	var escape, qopen, qclose string
	if len(a) >= 3 && !a[2].Null {
		if escape, err = stringArg(a[2], "escape"); err != nil {
			return nil, err
		}
	}
	if len(a) >= 4 && !a[3].Null {
		q, err := stringArg(a[3], "quote")
		if err != nil {
			return nil, err
		}
		rs := []rune(q)
		switch len(rs) {
		case 0:
		case 1:
			qopen, qclose = string(rs[0]), string(rs[0])
		case 2:
			qopen, qclose = string(rs[0]), string(rs[1])
		default:
			return nil, fmt.Errorf("the quote %q must be one or two characters", q)
		}
	}
	return &logParser{cols: cols, parse: func(line string) ([]string, []bool, bool) {
		return splitFields(line, delim, escape, qopen, qclose, len(cols)), nil, true
	}}, nil
}

// splitFields splits line at delim into at most n fields (the rest of the
// line past the n-th field is dropped); escape makes the next character
// literal, and text between the quotes is taken whole, quotes removed.
func splitFields(line, delim, escape, qopen, qclose string, n int) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(line); {
		switch {
		case escape != "" && strings.HasPrefix(line[i:], escape) && i+len(escape) < len(line):
			i += len(escape)
			_, size := utf8.DecodeRuneInString(line[i:])
			cur.WriteString(line[i : i+size])
			i += size
		case inQuote && strings.HasPrefix(line[i:], qclose):
			inQuote = false
			i += len(qclose)
		case !inQuote && qopen != "" && strings.HasPrefix(line[i:], qopen):
			inQuote = true
			i += len(qopen)
		case !inQuote && strings.HasPrefix(line[i:], delim):
			out = append(out, cur.String())
			cur.Reset()
			if len(out) == n {
				return out
			}
			i += len(delim)
		default:
			_, size := utf8.DecodeRuneInString(line[i:])
			cur.WriteString(line[i : i+size])
			i += size
		}
	}
	return append(out, cur.String())
}
