package sqlfunc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// This file holds the text forms of values: how CAST to VARCHAR writes
// them, how CAST from VARCHAR (and a CSV field, and a JSON string) reads
// them.

const msPerDay = 24 * 60 * 60 * 1000

// formatValue is the text of a non-NULL value as CAST to VARCHAR writes it.
func formatValue(v sqltypes.Value) string {
	switch v.K {
	case sqltypes.Boolean:
		if v.I != 0 {
			return "TRUE"
		}
		return "FALSE"
	case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Integer, sqltypes.BigInt:
		return strconv.FormatInt(v.I, 10)
	case sqltypes.Decimal:
		return formatDecimal(v.F)
	case sqltypes.Real:
		return formatJavaFloat(v.F, 32)
	case sqltypes.Double:
		return formatJavaFloat(v.F, 64)
	case sqltypes.Char, sqltypes.Varchar:
		return v.S
	case sqltypes.Binary, sqltypes.Varbinary:
		return strings.ToUpper(hex.EncodeToString([]byte(v.S)))
	case sqltypes.Date:
		return formatDate(v.I)
	case sqltypes.Time:
		return formatTime(v.I)
	case sqltypes.Timestamp:
		return formatTimestamp(v.I)
	case sqltypes.Interval:
		return formatInterval(v.I)
	case sqltypes.RowKind:
		var b strings.Builder
		b.WriteByte('(')
		for i, f := range v.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			if f.Null {
				b.WriteString("NULL")
			} else {
				b.WriteString(formatValue(f))
			}
		}
		b.WriteByte(')')
		return b.String()
	}
	return ""
}

// formatDecimal writes a DECIMAL with the digits it needs.
func formatDecimal(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formatJavaFloat writes a REAL or DOUBLE the way Java's toString does,
// which is what the service (a Java program) wrote: the shortest digits
// that read back to the same value, plain with at least one fractional
// digit for magnitudes in [1e-3, 1e7), else d.dddE±n.
func formatJavaFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // 1.5E+10, 1E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func formatDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02")
}

// formatTime writes HH:mm:ss, with .SSS when there are milliseconds.
func formatTime(ms int64) string {
	ms = ((ms % msPerDay) + msPerDay) % msPerDay
	t := time.UnixMilli(ms).UTC()
	if ms%1000 != 0 {
		return t.Format("15:04:05.000")
	}
	return t.Format("15:04:05")
}

// formatTimestamp writes yyyy-MM-dd HH:mm:ss.SSS, the form the service's
// console and error stream show.
func formatTimestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// formatInterval writes a day-time interval as [-]d hh:mm:ss.SSS.
func formatInterval(ms int64) string {
	sign := ""
	if ms < 0 {
		sign = "-"
		ms = -ms
	}
	d := ms / msPerDay
	ms %= msPerDay
	h, m, s, f := ms/3600000, ms/60000%60, ms/1000%60, ms%1000
	return fmt.Sprintf("%s%d %02d:%02d:%02d.%03d", sign, d, h, m, s, f)
}

var errNotNumber = errors.New("not a number")

// parseInt reads an integer in text, allowing surrounding blanks, a sign,
// and a decimal form that is rounded (' 12.5 ' -> 13).
func parseInt(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return i, nil
	}
	f, err := parseFloat(t)
	if err != nil {
		return 0, err
	}
	return roundToInt(f)
}

// parseFloat reads a number in text: digits, a point, an exponent; no
// hexadecimal, no underscores, no "Inf" words other than Java's.
func parseFloat(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if t == "" {
		return 0, errNotNumber
	}
	for _, c := range t {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, errNotNumber
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return f, nil // ±Inf or 0: the range check of the target decides
		}
		return 0, errNotNumber
	}
	return f, nil
}

// roundToInt rounds half away from zero, as CAST of a fractional number
// to an integer kind does.
func roundToInt(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%v does not fit an integer", f)
	}
	r := math.Round(f)
	if r < -9.223372036854775808e18 || r >= 9.223372036854775808e18 {
		return 0, fmt.Errorf("%v does not fit an integer", f)
	}
	return int64(r), nil
}

// parseDate reads yyyy-MM-dd (surrounding blanks allowed); a timestamp's
// text is accepted too, its time of day dropped.
func parseDate(s string) (int64, error) {
	ms, err := parseTimestamp(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a DATE (yyyy-MM-dd)", s)
	}
	return floorDiv(ms, msPerDay) * msPerDay, nil
}

// parseTime reads HH:mm[:ss[.fff]].
func parseTime(s string) (int64, error) {
	t := strings.TrimSpace(s)
	ms, ok := parseClock(t)
	if !ok {
		return 0, fmt.Errorf("%q is not a TIME (HH:mm:ss)", s)
	}
	return ms, nil
}

// parseClock reads H[H]:mm[:ss[.f…]] (fraction truncated to ms).
func parseClock(t string) (int64, bool) {
	parts := strings.Split(t, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	num := func(p string, max int) (int64, bool) {
		if len(p) < 1 || len(p) > 2 {
			return 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > max || p[0] == '+' || p[0] == '-' {
			return 0, false
		}
		return int64(n), true
	}
	h, ok1 := num(parts[0], 23)
	m, ok2 := num(parts[1], 59)
	if !ok1 || !ok2 {
		return 0, false
	}
	var sec, frac int64
	if len(parts) == 3 {
		whole, f, hasFrac := strings.Cut(parts[2], ".")
		var ok bool
		if sec, ok = num(whole, 59); !ok {
			return 0, false
		}
		if hasFrac {
			if f == "" || len(f) > 9 {
				return 0, false
			}
			for _, c := range f {
				if c < '0' || c > '9' {
					return 0, false
				}
			}
			f = (f + "00")[:3]
			n, _ := strconv.Atoi(f)
			frac = int64(n)
		}
	}
	return h*3600000 + m*60000 + sec*1000 + frac, true
}

// parseTimestamp reads the forms the service accepts for a TIMESTAMP
// (1992-02-14 18:35:44.0, 1992-02-14) and, for records written by other
// programs, ISO 8601 (a T between date and time, fraction to any number
// of digits, Z or an offset, which is applied to give UTC).
func parseTimestamp(s string) (int64, error) {
	t := strings.TrimSpace(s)
	bad := func() (int64, error) { return 0, fmt.Errorf("%q is not a TIMESTAMP (yyyy-MM-dd HH:mm:ss)", s) }
	if len(t) < 10 {
		return bad()
	}
	y, err1 := strconv.Atoi(t[0:4])
	mo, err2 := strconv.Atoi(t[5:7])
	d, err3 := strconv.Atoi(t[8:10])
	if err1 != nil || err2 != nil || err3 != nil || t[4] != '-' || t[7] != '-' || t[0] == '+' || t[0] == '-' ||
		t[5] == '+' || t[5] == '-' || t[8] == '+' || t[8] == '-' || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return bad()
	}
	day := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).UnixMilli()
	rest := t[10:]
	if rest == "" {
		return day, nil
	}
	if rest[0] != ' ' && rest[0] != 'T' {
		return bad()
	}
	rest = strings.TrimLeft(rest[1:], " ")
	var offset int64
	switch {
	case strings.HasSuffix(rest, "Z"):
		rest = rest[:len(rest)-1]
	default:
		// an offset: +hh:mm or +hhmm
		n := 0
		switch {
		case len(rest) > 6 && (rest[len(rest)-6] == '+' || rest[len(rest)-6] == '-') && rest[len(rest)-3] == ':':
			n = 6
		case len(rest) > 5 && (rest[len(rest)-5] == '+' || rest[len(rest)-5] == '-'):
			n = 5
		}
		if n > 0 {
			z := strings.Replace(rest[len(rest)-n:], ":", "", 1)
			hh, e1 := strconv.Atoi(z[1:3])
			mm, e2 := strconv.Atoi(z[3:5])
			if e1 != nil || e2 != nil || hh > 23 || mm > 59 || z[1] == '+' || z[1] == '-' || z[3] == '+' || z[3] == '-' {
				return bad()
			}
			offset = int64(hh*3600000 + mm*60000)
			if z[0] == '-' {
				offset = -offset
			}
			rest = rest[:len(rest)-n]
		}
	}
	clock, ok := parseClock(rest)
	if !ok {
		return bad()
	}
	return day + clock - offset, nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseInterval reads a day-time interval's text: [-]d hh:mm:ss[.fff],
// [-]hh:mm:ss[.fff], or a number of milliseconds.
func parseInterval(s string) (int64, error) {
	t := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	var ms int64
	if dstr, clock, ok := strings.Cut(t, " "); ok {
		d, err := strconv.ParseInt(dstr, 10, 32)
		c, ok := parseClock(strings.TrimSpace(clock))
		if err != nil || d < 0 || !ok {
			return 0, fmt.Errorf("%q is not an INTERVAL", s)
		}
		ms = d*msPerDay + c
	} else if c, ok := parseClock(t); ok {
		ms = c
	} else if n, err := strconv.ParseInt(t, 10, 64); err == nil && n >= 0 {
		ms = n
	} else {
		return 0, fmt.Errorf("%q is not an INTERVAL", s)
	}
	if neg {
		ms = -ms
	}
	return ms, nil
}

// parseBool reads TRUE, FALSE (any case, blanks around) and UNKNOWN
// (NULL).
func parseBool(s string) (b, null bool, err error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRUE":
		return true, false, nil
	case "FALSE":
		return false, false, nil
	case "UNKNOWN":
		return false, true, nil
	}
	return false, false, fmt.Errorf("%q is not a BOOLEAN", s)
}

// parseBinary reads X'hex' or bare hex digits.
func parseBinary(s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 3 && (t[0] == 'X' || t[0] == 'x') && t[1] == '\'' && t[len(t)-1] == '\'' {
		t = t[2 : len(t)-1]
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return nil, fmt.Errorf("%q is not binary (X'hex')", s)
	}
	return b, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// intervalUnits are the day-time interval fields in order, with their
// sizes in ms.
var intervalUnits = []struct {
	name string
	ms   int64
}{{"DAY", msPerDay}, {"HOUR", 3600000}, {"MINUTE", 60000}, {"SECOND", 1000}}

// FormatInterval writes a day-time interval as the dialect does for an
// interval qualifier from..to (DAY, HOUR, MINUTE, SECOND; to may be ""
// for a single field): a sign, the leading field unpadded, the others
// two digits, blank between DAY and HOUR, colons after, and the
// milliseconds when there are any. (time '12:03:34' - time '11:57:23')
// MINUTE TO SECOND is +6:11; 3 days 4 hours DAY TO HOUR is +3 04.
func FormatInterval(ms int64, from, to string) (string, error) {
	from, to = strings.ToUpper(from), strings.ToUpper(to)
	if to == "" {
		to = from
	}
	fi, ti := -1, -1
	for i, u := range intervalUnits {
		if u.name == from {
			fi = i
		}
		if u.name == to {
			ti = i
		}
	}
	if fi < 0 || ti < fi {
		return "", fmt.Errorf("interval qualifier %s TO %s is not a day-time qualifier", from, to)
	}
	var b strings.Builder
	if ms < 0 {
		b.WriteByte('-')
		ms = -ms
	} else {
		b.WriteByte('+')
	}
	rest := ms
	for i := fi; i <= ti; i++ {
		u := intervalUnits[i]
		n := rest / u.ms
		rest %= u.ms
		switch {
		case i == fi:
			b.WriteString(strconv.FormatInt(n, 10))
		case i == 1:
			fmt.Fprintf(&b, " %02d", n)
		default:
			fmt.Fprintf(&b, ":%02d", n)
		}
	}
	if to == "SECOND" && rest > 0 {
		fmt.Fprintf(&b, ".%03d", rest)
	}
	return b.String(), nil
}
