package format

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// epochMillisFrom is where an integer epoch is read as milliseconds rather
// than seconds: 1e11 seconds is in the year 5138.
const epochMillisFrom = 1e11

// openXTimestamp reads a timestamp as the OpenX JSON SerDe does: an ISO
// 8601 date-time ("2026-07-13T14:05:09.5Z", an offset or none for UTC),
// "yyyy-M-d HH:mm:ss[.fffffffff]", or a number (or numeric string) of epoch
// seconds, epoch milliseconds, or fractional epoch seconds.
func openXTimestamp(v any) (time.Time, error) {
	switch x := v.(type) {
	case json.Number:
		return epochTimestamp(string(x))
	case string:
		s := strings.TrimSpace(x)
		if t, err := parseISO(s); err == nil {
			return t, nil
		}
		if t, err := parseSQLTimestamp(s); err == nil {
			return t, nil
		}
		if t, err := epochTimestamp(s); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a timestamp the OpenX JSON SerDe reads", x)
	}
	return time.Time{}, fmt.Errorf("a timestamp must be a string or a number, not %s", jsonKind(v))
}

func epochTimestamp(s string) (time.Time, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i >= epochMillisFrom || i <= -epochMillisFrom {
			return time.UnixMilli(i).UTC(), nil
		}
		return time.Unix(i, 0).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("%q is not an epoch time", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}

func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", s)
}

// sqlTimestampFormat is "yyyy-M-d H:m:s", compiled; never modified.
var sqlTimestampFormat = jodaFormat{
	{letter: 'y', width: 4}, {lit: "-"}, {letter: 'M', width: 1}, {lit: "-"}, {letter: 'd', width: 1},
	{lit: " "}, {letter: 'H', width: 1}, {lit: ":"}, {letter: 'm', width: 1}, {lit: ":"}, {letter: 's', width: 1},
}

// parseSQLTimestamp parses "yyyy-[M]M-[d]d HH:mm:ss[.f...]" (at most 9
// fraction digits) in UTC, the form of java.sql.Timestamp.valueOf.
func parseSQLTimestamp(s string) (time.Time, error) {
	date, frac, hasFrac := strings.Cut(s, ".")
	t, err := sqlTimestampFormat.parse(date)
	if err != nil {
		return time.Time{}, err
	}
	if hasFrac {
		if len(frac) == 0 || len(frac) > 9 {
			return time.Time{}, fmt.Errorf("%q: the fraction has 1 to 9 digits", s)
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q: bad fraction", s)
		}
		t = t.Add(time.Duration(n * int(math.Pow10(9-len(frac)))))
	}
	return t, nil
}

// hiveTimestamps reads timestamps as the Hive JSON SerDe does: each of
// formats in turn (Joda-Time patterns or "millis"), then
// java.sql.Timestamp's form.
type hiveTimestamps struct {
	formats []jodaFormat // nil entry: "millis"
}

func newHiveTimestamps(formats []string) (*hiveTimestamps, error) {
	h := &hiveTimestamps{}
	for _, f := range formats {
		if f == "millis" {
			h.formats = append(h.formats, nil)
			continue
		}
		j, err := compileJoda(f)
		if err != nil {
			return nil, configErrorf("HiveJsonSerDe.TimestampFormats: %v", err)
		}
		h.formats = append(h.formats, j)
	}
	return h, nil
}

func (h *hiveTimestamps) parse(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return time.Time{}, fmt.Errorf("a timestamp must be a string or a number, not %s", jsonKind(v))
	}
	for _, f := range h.formats {
		if f == nil {
			if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
				return time.UnixMilli(ms).UTC(), nil
			}
			continue
		}
		if t, err := f.parse(s); err == nil {
			return t, nil
		}
	}
	if t, err := parseSQLTimestamp(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q matches none of the timestamp formats", s)
}

// jodaFormat is a compiled Joda-Time pattern (a subset: y, M, d, H, h, m,
// s, S, a, Z, X, and quoted literals).
type jodaFormat []jodaToken

type jodaToken struct {
	letter byte   // 0 for a literal
	width  int    // how many times the letter repeats
	lit    string // literal text
}

func compileJoda(pattern string) (jodaFormat, error) {
	var out jodaFormat
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("pattern %q: unterminated quote", pattern)
			}
			lit := pattern[i+1 : i+1+end]
			if lit == "" {
				lit = "'"
			}
			out = append(out, jodaToken{lit: lit})
			i += end + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			if !strings.ContainsRune("yMdHhmsSaZX", rune(c)) {
				return nil, fmt.Errorf("pattern %q: the letter %q is not supported", pattern, c)
			}
			out = append(out, jodaToken{letter: c, width: n})
			i += n
		default:
			out = append(out, jodaToken{lit: string(c)})
			i++
		}
	}
	return out, nil
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// parse reads s whole with the pattern; the time is UTC unless the pattern
// has a zone.
func (f jodaFormat) parse(s string) (time.Time, error) {
	year, month, day, hour, minute, sec, nanos := 1970, 1, 1, 0, 0, 0, 0
	pm, hasAmPm := false, false
	zone := time.UTC
	pos := 0
	bad := func(what string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q: bad %s at offset %d", s, what, pos)
	}
	// number reads at least min digits (and at most max when next to
	// another number field).
	number := func(minDigits, maxDigits int) (int, bool) {
		start := pos
		for pos < len(s) && pos-start < maxDigits && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		if pos-start < minDigits {
			return 0, false
		}
		n, err := strconv.Atoi(s[start:pos])
		return n, err == nil
	}
	for ti, t := range f {
		if t.letter == 0 {
			if !strings.HasPrefix(s[pos:], t.lit) {
				return bad("literal")
			}
			pos += len(t.lit)
			continue
		}
		// A field followed directly by another number field takes exactly
		// its width ("yyyyMMdd"); otherwise it takes all its digits.
		maxDigits := 10
		if ti+1 < len(f) && f[ti+1].letter != 0 && f[ti+1].letter != 'a' && f[ti+1].letter != 'Z' && f[ti+1].letter != 'X' {
			maxDigits = t.width
		}
		var ok bool
		switch t.letter {
		case 'y':
			if t.width == 2 {
				year, ok = number(2, 2)
				year += 2000
			} else {
				year, ok = number(t.width, max(maxDigits, t.width))
			}
		case 'M':
			if t.width >= 3 {
				ok = false
				for i, m := range monthNames {
					if len(s)-pos >= 3 && strings.EqualFold(s[pos:pos+3], m) {
						month, ok = i+1, true
						pos += 3
						if t.width > 3 { // full name: skip its letters
							for pos < len(s) && (s[pos]|0x20) >= 'a' && (s[pos]|0x20) <= 'z' {
								pos++
							}
						}
						break
					}
				}
			} else {
				month, ok = number(1, max(maxDigits, 2))
			}
		case 'd':
			day, ok = number(1, max(maxDigits, 2))
		case 'H', 'h':
			hour, ok = number(1, max(maxDigits, 2))
		case 'm':
			minute, ok = number(1, max(maxDigits, 2))
		case 's':
			sec, ok = number(1, max(maxDigits, 2))
		case 'S':
			start := pos
			var n int
			n, ok = number(1, 9)
			if ok {
				nanos = n * int(math.Pow10(9-(pos-start)))
			}
		case 'a':
			hasAmPm = true
			switch {
			case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "am"):
				ok = true
			case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "pm"):
				ok, pm = true, true
			}
			pos += 2
		case 'Z', 'X':
			zone, ok = parseZone(s, &pos)
		}
		if !ok {
			return bad(string(t.letter))
		}
	}
	if pos != len(s) {
		return bad("trailing text")
	}
	if hasAmPm {
		if hour < 1 || hour > 12 {
			return bad("hour")
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return bad("date")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, zone)
	if t.Day() != day {
		return bad("day of month")
	}
	return t.UTC(), nil
}

// parseZone reads "Z", "+hh", "+hhmm" or "+hh:mm".
func parseZone(s string, pos *int) (*time.Location, bool) {
	rest := s[*pos:]
	if strings.HasPrefix(rest, "Z") {
		*pos++
		return time.UTC, true
	}
	if len(rest) < 3 || (rest[0] != '+' && rest[0] != '-') {
		return nil, false
	}
	h, err := strconv.Atoi(rest[1:3])
	if err != nil {
		return nil, false
	}
	n, m := 3, 0
	if len(rest) >= 6 && rest[3] == ':' {
		if m, err = strconv.Atoi(rest[4:6]); err != nil {
			return nil, false
		}
		n = 6
	} else if len(rest) >= 5 && rest[3] >= '0' && rest[3] <= '9' {
		if m, err = strconv.Atoi(rest[3:5]); err != nil {
			return nil, false
		}
		n = 5
	}
	off := h*3600 + m*60
	if rest[0] == '-' {
		off = -off
	}
	*pos += n
	return time.FixedZone("", off), true
}
