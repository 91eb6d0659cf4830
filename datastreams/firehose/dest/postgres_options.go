package dest

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/klauspost/compress/zstd"
)

// copyOptions is a Redshift CopyOptions string translated for PostgreSQL.
type copyOptions struct {
	csv          bool
	json         bool
	ignoreCase   bool // json 'auto ignorecase'
	escape       bool
	delimiter    *string
	quote        *string
	null         *string
	ignoreHeader int
	compression  string // "", "gzip", "bzip2", "zstd"

	emptyAsNull      bool
	blanksAsNull     bool
	trimBlanks       bool
	truncateColumns  bool
	fillRecord       bool
	removeQuotes     bool
	ignoreBlankLines bool
	acceptInvChars   *string // the replacement for invalid UTF-8
	timeFormat       string  // "", "auto", "epochsecs", "epochmillisecs"
}

// supportedCopyOptions is the list an error message shows.
const supportedCopyOptions = "CSV [QUOTE 'q'], FORMAT AS CSV|JSON, DELIMITER 'c', NULL AS 's', IGNOREHEADER n, " +
	"ESCAPE, JSON 'auto' / 'auto ignorecase', GZIP, BZIP2, ZSTD, EMPTYASNULL, BLANKSASNULL, TRIMBLANKS, " +
	"TRUNCATECOLUMNS, FILLRECORD, REMOVEQUOTES, IGNOREBLANKLINES, ACCEPTINVCHARS ['c'], " +
	"TIMEFORMAT 'auto'|'epochsecs'|'epochmillisecs', DATEFORMAT 'auto', " +
	"MAXERROR 0, ENCODING UTF8, COMPUPDATE, STATUPDATE, REGION (the last three have no effect)"

// parseCopyOptions reads Redshift's COPY data-format and load options. All
// the options PostgreSQL cannot honour are listed in one error.
func parseCopyOptions(s string) (copyOptions, error) {
	var o copyOptions
	toks, err := tokenize(s)
	if err != nil {
		return o, fmt.Errorf("%w: %q: %w", ErrCopyOptions, s, err)
	}
	var refused []string
	i := 0
	next := func() (tok, bool) {
		if i < len(toks) {
			i++
			return toks[i-1], true
		}
		return tok{}, false
	}
	skipAs := func() {
		if i < len(toks) && !toks[i].quoted && strings.EqualFold(toks[i].text, "AS") {
			i++
		}
	}
	str := func(opt string) (string, bool) {
		skipAs()
		t, ok := next()
		if !ok || !t.quoted {
			refused = append(refused, opt+" needs a quoted value")
			return "", false
		}
		return t.text, true
	}
	num := func(opt string) (int, bool) {
		skipAs()
		t, ok := next()
		n, err := strconv.Atoi(t.text)
		if !ok || t.quoted || err != nil || n < 0 {
			refused = append(refused, opt+" needs a number")
			return 0, false
		}
		return n, true
	}
	quote := func() {
		if i < len(toks) && !toks[i].quoted && strings.EqualFold(toks[i].text, "QUOTE") {
			i++
			if q, ok := str("QUOTE"); ok {
				o.quote = &q
			}
		}
	}
	jsonArg := func() {
		arg, ok := str("JSON")
		if !ok {
			return
		}
		switch strings.ToLower(strings.Join(strings.Fields(arg), " ")) {
		case "auto":
			o.json = true
		case "auto ignorecase":
			o.json, o.ignoreCase = true, true
		default:
			refused = append(refused, fmt.Sprintf("JSON '%s' (a jsonpaths file)", arg))
		}
	}
	for i < len(toks) {
		t, _ := next()
		if t.quoted {
			refused = append(refused, fmt.Sprintf("unexpected '%s'", t.text))
			continue
		}
		switch w := strings.ToUpper(t.text); w {
		case "CSV":
			o.csv = true
			quote()
		case "FORMAT":
			skipAs()
			f, _ := next()
			switch strings.ToUpper(f.text) {
			case "CSV":
				o.csv = true
				quote()
			case "JSON":
				jsonArg()
			default:
				refused = append(refused, "FORMAT AS "+f.text)
			}
		case "JSON":
			jsonArg()
		case "QUOTE":
			refused = append(refused, "QUOTE without CSV")
			_, _ = str(w)
		case "DELIMITER":
			if d, ok := str(w); ok {
				d = unescapeDelimiter(d)
				o.delimiter = &d
			}
		case "NULL":
			if n, ok := str("NULL AS"); ok {
				o.null = &n
			}
		case "IGNOREHEADER":
			o.ignoreHeader, _ = num(w)
		case "ESCAPE":
			o.escape = true
		case "GZIP", "BZIP2", "ZSTD":
			if o.compression != "" {
				refused = append(refused, "more than one compression")
			}
			o.compression = strings.ToLower(w)
		case "TIMEFORMAT":
			f, ok := str(w)
			switch lf := strings.ToLower(f); {
			case !ok:
			case lf == "auto" || lf == "epochsecs" || lf == "epochmillisecs":
				o.timeFormat = lf
			case f == "YYYY-MM-DD HH:MI:SS":
			default:
				refused = append(refused, fmt.Sprintf("TIMEFORMAT '%s' (only 'auto', 'epochsecs', 'epochmillisecs' and the default)", f))
			}
		case "DATEFORMAT":
			if f, ok := str(w); ok && !strings.EqualFold(f, "auto") && f != "YYYY-MM-DD" {
				refused = append(refused, fmt.Sprintf("DATEFORMAT '%s' (only 'auto' and the default)", f))
			}
		case "EMPTYASNULL":
			o.emptyAsNull = true
		case "BLANKSASNULL":
			o.blanksAsNull = true
		case "TRIMBLANKS":
			o.trimBlanks = true
		case "TRUNCATECOLUMNS":
			o.truncateColumns = true
		case "FILLRECORD":
			o.fillRecord = true
		case "REMOVEQUOTES":
			o.removeQuotes = true
		case "IGNOREBLANKLINES":
			o.ignoreBlankLines = true
		case "ACCEPTINVCHARS":
			r := "?"
			skipAs()
			if i < len(toks) && toks[i].quoted {
				r = toks[i].text
				i++
			}
			o.acceptInvChars = &r
		case "MAXERROR":
			if n, ok := num(w); ok && n != 0 {
				refused = append(refused, "MAXERROR above 0 (a COPY loads all rows or none)")
			}
		case "ENCODING":
			skipAs()
			if e, _ := next(); !strings.EqualFold(e.text, "UTF8") {
				refused = append(refused, "ENCODING "+e.text)
			}
		case "COMPUPDATE", "STATUPDATE":
			if i < len(toks) && !toks[i].quoted {
				switch strings.ToUpper(toks[i].text) {
				case "ON", "OFF", "TRUE", "FALSE", "PRESET":
					i++
				}
			}
		case "REGION":
			_, _ = str(w)
		default:
			refused = append(refused, w)
			for i < len(toks) && (toks[i].quoted || isNumber(toks[i].text) || strings.EqualFold(toks[i].text, "AS")) {
				i++
			}
		}
	}
	if o.json && (o.csv || o.delimiter != nil || o.escape || o.null != nil) {
		refused = append(refused, "JSON with CSV, DELIMITER, ESCAPE or NULL AS")
	}
	if o.csv && (o.escape || o.removeQuotes) {
		refused = append(refused, "ESCAPE or REMOVEQUOTES with CSV")
	}
	if o.quote != nil && len(*o.quote) != 1 {
		refused = append(refused, "QUOTE of more than one character")
	}
	if o.delimiter != nil && len(*o.delimiter) == 0 {
		refused = append(refused, "an empty DELIMITER")
	}
	if len(refused) > 0 {
		return o, fmt.Errorf("%w: %s (supported: %s)", ErrCopyOptions, strings.Join(refused, ", "), supportedCopyOptions)
	}
	return o, nil
}

// decompress undoes the COPY's compression option when the staged data is
// in that format; records that arrive uncompressed pass as they are.
func (o copyOptions) decompress(data []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch {
	case o.compression == "gzip" && bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		r, err = gzip.NewReader(bytes.NewReader(data))
	case o.compression == "bzip2" && bytes.HasPrefix(data, []byte("BZh")):
		r = bzip2.NewReader(bytes.NewReader(data))
	case o.compression == "zstd" && bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		var d *zstd.Decoder
		if d, err = zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1)); err == nil {
			defer d.Close()
			r = d
		}
	default:
		return data, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.compression, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.compression, err)
	}
	return out, nil
}

type tok struct {
	text   string
	quoted bool
}

// tokenize splits Redshift COPY options into words and single-quoted
// strings (” or \' inside a string is a quote).
func tokenize(s string) ([]tok, error) {
	var toks []tok
	r := []rune(s)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c) || c == ',' || c == ';':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(r) {
					return nil, fmt.Errorf("unterminated string")
				}
				if r[i] == '\'' && i+1 < len(r) && r[i+1] == '\'' {
					b.WriteRune('\'')
					i += 2
					continue
				}
				if r[i] == '\\' && i+1 < len(r) && r[i+1] == '\'' {
					b.WriteRune('\'')
					i += 2
					continue
				}
				if r[i] == '\'' {
					i++
					break
				}
				b.WriteRune(r[i])
				i++
			}
			toks = append(toks, tok{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(r) && !unicode.IsSpace(r[j]) && r[j] != '\'' && r[j] != ',' && r[j] != ';' {
				j++
			}
			toks = append(toks, tok{text: string(r[i:j])})
			i = j
		}
	}
	return toks, nil
}

// unescapeDelimiter reads '\t' and octal '\011' as Redshift does.
func unescapeDelimiter(d string) string {
	if d == `\t` {
		return "\t"
	}
	if len(d) == 4 && d[0] == '\\' {
		if n, err := strconv.ParseUint(d[1:], 8, 8); err == nil {
			return string(rune(n))
		}
	}
	return d
}

func deref(p *string, def string) string {
	if p != nil {
		return *p
	}
	return def
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// parseQualified splits a possibly schema-qualified SQL name into its
// parts: unquoted parts fold to lower case, "quoted" ones keep their case.
func parseQualified(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty name")
	}
	var parts []string
	for _, p := range splitOutsideQuotes(s, '.') {
		p = strings.TrimSpace(p)
		switch {
		case len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"':
			parts = append(parts, strings.ReplaceAll(p[1:len(p)-1], `""`, `"`))
		case p == "" || strings.ContainsAny(p, "\" \t\n"):
			return nil, fmt.Errorf("bad name part %q", p)
		default:
			parts = append(parts, strings.ToLower(p))
		}
	}
	return parts, nil
}

// splitOutsideQuotes splits s on sep where sep is not inside double quotes.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	in, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			in = !in
		case sep:
			if !in {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}
