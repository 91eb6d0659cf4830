package sqlfunc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The date-format functions take Java SimpleDateFormat patterns, the
// service being a Java program. This file translates such a pattern into
// a list of fields and literals, and formats and parses with it. The
// letters understood: G (era, AD), y (year; yy is two digits), M (month;
// MMM and MMMM are names), d, D (day of year), E (day name), u (day of
// week, 1 = Monday), a (AM/PM), H (0-23), k (1-24), K (0-11), h (1-12), m,
// s, S (milliseconds), z (UTC), Z (+0000), X (Z, +00, +0000, +00:00).
// 'text' is literal, '' a quote; other non-letters are literal.

type dfToken struct {
	letter byte   // 0 for a literal
	count  int    // letters in the run
	lit    string // the literal text
}

// parseDateFormat reads a SimpleDateFormat pattern.
func parseDateFormat(p string) ([]dfToken, error) {
	var out []dfToken
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].letter == 0 {
			out[n-1].lit += s
			return
		}
		out = append(out, dfToken{lit: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("date format %q: unterminated quote", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			lit(b.String())
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if !strings.ContainsRune("GyMdDEuaHkKhmsSzZX", rune(c)) {
				return nil, fmt.Errorf("date format %q: pattern letter %q is not supported", p, c)
			}
			out = append(out, dfToken{letter: c, count: j - i})
			i = j
		default:
			lit(string(c))
			i++
		}
	}
	return out, nil
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// formatDateTime writes ms (UTC) with a parsed pattern.
func formatDateTime(toks []dfToken, ms int64) string {
	t := time.UnixMilli(ms).UTC()
	var b strings.Builder
	num := func(n, width int) {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	for _, tk := range toks {
		switch tk.letter {
		case 0:
			b.WriteString(tk.lit)
		case 'G':
			b.WriteString("AD")
		case 'y':
			if tk.count == 2 {
				num(t.Year()%100, 2)
			} else {
				num(t.Year(), tk.count)
			}
		case 'M':
			switch {
			case tk.count >= 4:
				b.WriteString(monthNames[t.Month()-1])
			case tk.count == 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				num(int(t.Month()), tk.count)
			}
		case 'd':
			num(t.Day(), tk.count)
		case 'D':
			num(t.YearDay(), tk.count)
		case 'E':
			if tk.count >= 4 {
				b.WriteString(dayNames[t.Weekday()])
			} else {
				b.WriteString(dayNames[t.Weekday()][:3])
			}
		case 'u':
			num((int(t.Weekday())+6)%7+1, tk.count)
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			num(t.Hour(), tk.count)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			num(h, tk.count)
		case 'K':
			num(t.Hour()%12, tk.count)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			num(h, tk.count)
		case 'm':
			num(t.Minute(), tk.count)
		case 's':
			num(t.Second(), tk.count)
		case 'S':
			num(int(floorMod(ms, 1000)), tk.count)
		case 'z':
			if tk.count >= 4 {
				b.WriteString("Coordinated Universal Time")
			} else {
				b.WriteString("UTC")
			}
		case 'Z':
			b.WriteString("+0000")
		case 'X':
			b.WriteString("Z")
		}
	}
	return b.String()
}

// parseDateTime reads s with a parsed pattern. Fields the pattern lacks
// take their defaults (1970-01-01 00:00:00.000); a field out of its range
// is an error, as is text that does not follow the pattern. Text after
// the pattern's end is ignored and blanks before a number are skipped, as
// Java's DateFormat.parse does.
func parseDateTime(toks []dfToken, s string) (int64, error) {
	year, month, day, yday := 1970, 1, 1, 0
	hour, minute, sec, milli := 0, 0, 0, 0
	pm, hasAmPm := false, false
	var hour12 = -1
	var offset int64
	pos, lastDigits := 0, 0
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("%q does not match the date format at character %d: %s", s, pos+1, why)
	}
	for i, tk := range toks {
		if tk.letter == 0 {
			if !strings.HasPrefix(s[pos:], tk.lit) {
				return bad(fmt.Sprintf("want %q", tk.lit))
			}
			pos += len(tk.lit)
			continue
		}
		// A numeric field followed directly by another numeric field
		// takes exactly its width; otherwise as many digits as there are.
		width := 0
		if i+1 < len(toks) && toks[i+1].letter != 0 && isNumericField(toks[i+1]) {
			width = tk.count
		}
		readNum := func(maxDigits int) (int, bool) {
			// like Java, blanks before a number are skipped
			for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
				pos++
			}
			j := pos
			if j < len(s) && (s[j] == '-' || s[j] == '+') && tk.letter == 'y' {
				j++
			}
			start := j
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && (maxDigits == 0 || j-start < maxDigits) && j-start < 9 {
				j++
			}
			if j == start {
				return 0, false
			}
			n, err := strconv.Atoi(s[pos:j])
			if err != nil {
				return 0, false
			}
			lastDigits = j - start
			pos = j
			return n, true
		}
		readName := func(names []string) (int, bool) {
			rest := strings.ToLower(s[pos:])
			for k, n := range names {
				if strings.HasPrefix(rest, strings.ToLower(n)) {
					pos += len(n)
					return k, true
				}
			}
			for k, n := range names {
				if strings.HasPrefix(rest, strings.ToLower(n[:3])) {
					pos += 3
					return k, true
				}
			}
			return 0, false
		}
		var n int
		var ok bool
		switch tk.letter {
		case 'G':
			if strings.HasPrefix(strings.ToUpper(s[pos:]), "AD") {
				pos += 2
				continue
			}
			return bad("want AD")
		case 'M':
			if tk.count >= 3 {
				n, ok = readName(monthNames)
				n++
			} else {
				n, ok = readNum(width)
			}
			if !ok || n < 1 || n > 12 {
				return bad("bad month")
			}
			month = n
			continue
		case 'E':
			if _, ok = readName(dayNames); !ok {
				return bad("bad day name")
			}
			continue
		case 'a':
			up := strings.ToUpper(s[pos:])
			switch {
			case strings.HasPrefix(up, "AM"):
				pm = false
			case strings.HasPrefix(up, "PM"):
				pm = true
			default:
				return bad("want AM or PM")
			}
			hasAmPm = true
			pos += 2
			continue
		case 'z', 'Z', 'X':
			off, n, err := readZone(s[pos:])
			if err != nil {
				return bad(err.Error())
			}
			offset = off
			pos += n
			continue
		}
		n, ok = readNum(width)
		if !ok {
			return bad("want digits")
		}
		switch tk.letter {
		case 'y':
			if tk.count == 2 && lastDigits == 2 && n >= 0 {
				// two-digit year: within 80 years before and 20 after
				// now, as Java does; fixed here to the century 2000 so
				// that results do not depend on the clock
				n += 2000
			}
			year = n
		case 'd':
			if n < 1 || n > 31 {
				return bad("bad day")
			}
			day = n
		case 'D':
			if n < 1 || n > 366 {
				return bad("bad day of year")
			}
			yday = n
		case 'u':
			if n < 1 || n > 7 {
				return bad("bad day of week")
			}
		case 'H':
			if n > 23 {
				return bad("bad hour")
			}
			hour = n
		case 'k':
			if n < 1 || n > 24 {
				return bad("bad hour")
			}
			hour = n % 24
		case 'K':
			if n > 11 {
				return bad("bad hour")
			}
			hour12 = n
		case 'h':
			if n < 1 || n > 12 {
				return bad("bad hour")
			}
			hour12 = n % 12
		case 'm':
			if n > 59 {
				return bad("bad minute")
			}
			minute = n
		case 's':
			if n > 59 {
				return bad("bad second")
			}
			sec = n
		case 'S':
			if n > 999 {
				return bad("bad milliseconds")
			}
			milli = n
		}
	}
	if hour12 >= 0 {
		hour = hour12
	}
	if hasAmPm && pm && hour < 12 {
		hour += 12
	}
	if year < -292000000 || year > 292000000 {
		return bad("year out of range")
	}
	var t time.Time
	if yday > 0 {
		t = time.Date(year, 1, yday, hour, minute, sec, milli*1e6, time.UTC)
	} else {
		if day > daysIn(year, month) {
			return bad("no such day in the month")
		}
		t = time.Date(year, time.Month(month), day, hour, minute, sec, milli*1e6, time.UTC)
	}
	return t.UnixMilli() - offset, nil
}

func isNumericField(tk dfToken) bool {
	switch tk.letter {
	case 'y', 'd', 'D', 'u', 'H', 'k', 'K', 'h', 'm', 's', 'S':
		return true
	case 'M':
		return tk.count < 3
	}
	return false
}

// readZone reads Z, UTC, GMT, GMT+hh:mm, +hhmm, +hh:mm or +hh; the offset
// is in ms east of UTC.
func readZone(s string) (int64, int, error) {
	n := 0
	switch {
	case strings.HasPrefix(s, "Z"):
		return 0, 1, nil
	case strings.HasPrefix(s, "UTC"):
		n = 3
	case strings.HasPrefix(s, "GMT"):
		n = 3
	}
	rest := s[n:]
	if rest == "" || (rest[0] != '+' && rest[0] != '-') {
		if n > 0 {
			return 0, n, nil
		}
		return 0, 0, fmt.Errorf("want a time zone")
	}
	sign := int64(1)
	if rest[0] == '-' {
		sign = -1
	}
	digits := func(from, k int) (int, bool) {
		if len(rest) < from+k {
			return 0, false
		}
		v, err := strconv.Atoi(rest[from : from+k])
		return v, err == nil && rest[from] != '+' && rest[from] != '-'
	}
	hh, ok := digits(1, 2)
	if !ok || hh > 23 {
		return 0, 0, fmt.Errorf("bad time zone offset")
	}
	used := 3
	if mm, ok := digits(3, 2); ok && mm < 60 {
		used = 5
		return sign * int64(hh*3600000+mm*60000), n + used, nil
	}
	if len(rest) > 3 && rest[3] == ':' {
		if mm, ok := digits(4, 2); ok && mm < 60 {
			return sign * int64(hh*3600000+mm*60000), n + 6, nil
		}
	}
	return sign * int64(hh*3600000), n + used, nil
}

func addDateFormat(l *Library) {
	type conv struct {
		name string
		k    sqltypes.Kind
	}
	for _, c := range []conv{{"CHAR_TO_TIMESTAMP", sqltypes.Timestamp}, {"CHAR_TO_DATE", sqltypes.Date}, {"CHAR_TO_TIME", sqltypes.Time}} {
		l.add(&Func{Name: c.name, Check: func(args []Arg) (sqltypes.Type, error) {
			if err := dateFormatArgs(c.name, args, func(k sqltypes.Kind) bool { return k.IsString() }); err != nil {
				return sqltypes.Type{}, err
			}
			return typ(c.k), nil
		}, Eval: strict(c.k, func(a []sqltypes.Value) (sqltypes.Value, error) {
			toks, err := parseDateFormat(a[0].S)
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("%s: %w", c.name, err)
			}
			ms, err := parseDateTime(toks, a[1].S)
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("%s: %w", c.name, err)
			}
			return datetimeOf(c.k, ms), nil
		})})
	}
	for _, c := range []conv{{"TIMESTAMP_TO_CHAR", sqltypes.Timestamp}, {"DATE_TO_CHAR", sqltypes.Date}, {"TIME_TO_CHAR", sqltypes.Time}} {
		l.add(&Func{Name: c.name, Check: func(args []Arg) (sqltypes.Type, error) {
			if err := dateFormatArgs(c.name, args, func(k sqltypes.Kind) bool {
				return k == c.k || (c.k == sqltypes.Timestamp && k == sqltypes.Date)
			}); err != nil {
				return sqltypes.Type{}, err
			}
			return varchar, nil
		}, Eval: func(a []sqltypes.Value) (sqltypes.Value, error) {
			if a[0].Null {
				return sqltypes.NullOf(sqltypes.Varchar), nil
			}
			if a[1].Null {
				// the service writes the text "null" for a NULL datetime
				return sqltypes.Str("null"), nil
			}
			toks, err := parseDateFormat(a[0].S)
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("%s: %w", c.name, err)
			}
			return sqltypes.Str(formatDateTime(toks, a[1].I)), nil
		}})
	}
}

func dateFormatArgs(name string, args []Arg, second func(sqltypes.Kind) bool) error {
	if err := wantArgs(name, args, 2, 2); err != nil {
		return err
	}
	if err := wantString(name, args, 0); err != nil {
		return err
	}
	if c := args[0].Const; c != nil && !c.Null {
		if _, err := parseDateFormat(c.S); err != nil {
			return argError(name, 0, "%v", err)
		}
	}
	if k := args[1].Type.Kind; !second(k) && k != sqltypes.Null {
		return argError(name, 1, "unexpected %s", args[1].Type)
	}
	return nil
}
