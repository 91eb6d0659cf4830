package sqlparse

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// numberLiteral types a number: INTEGER when it fits, else BIGINT; with a
// point DECIMAL (up to 19 digits, else DOUBLE); with an exponent DOUBLE.
func numberLiteral(t token) (Expr, error) {
	lit := &Literal{Pos: t.pos, Text: t.text}
	s := t.text
	if strings.ContainsAny(s, "E") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, Errorf(t.pos, "number %s is out of range", s)
		}
		lit.Value, lit.Type = sqltypes.Float(f), sqltypes.Type{Kind: sqltypes.Double}
		return lit, nil
	}
	if !strings.Contains(s, ".") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i <= math.MaxInt32 {
				lit.Value, lit.Type = sqltypes.Int(i), sqltypes.Type{Kind: sqltypes.Integer}
			} else {
				lit.Value, lit.Type = sqltypes.BigIntV(i), sqltypes.Type{Kind: sqltypes.BigInt}
			}
			return lit, nil
		}
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := strings.TrimLeft(intPart, "0") + frac
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, Errorf(t.pos, "number %s is out of range", s)
	}
	if len(digits) > 19 {
		lit.Value, lit.Type = sqltypes.Float(f), sqltypes.Type{Kind: sqltypes.Double}
		return lit, nil
	}
	prec := max(len(digits), len(frac), 1)
	lit.Value = sqltypes.Value{K: sqltypes.Decimal, F: f}
	lit.Type = sqltypes.Type{Kind: sqltypes.Decimal, Precision: prec, Scale: len(frac)}
	return lit, nil
}

// datetimeLiteral reads DATE 'yyyy-mm-dd', TIME 'hh:mm:ss[.fff]' or
// TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.fff]'.
func (p *parser) datetimeLiteral() (Expr, error) {
	kw := p.next()
	s := p.tok()
	if s.kind != tString {
		return nil, p.errExpected("a quoted " + strings.ToLower(kw.text) + " after " + kw.text)
	}
	p.next()
	text := strings.TrimSpace(s.text)
	lit := &Literal{Pos: kw.pos, Text: s.text}
	var layouts []string
	switch kw.text {
	case "DATE":
		layouts = []string{"2006-1-2"}
		lit.Type = sqltypes.Type{Kind: sqltypes.Date}
	case "TIME":
		layouts = []string{"15:4:5", "15:4:5.999999999", "15:4"}
		lit.Type = sqltypes.Type{Kind: sqltypes.Time}
	default:
		layouts = []string{"2006-1-2 15:4:5", "2006-1-2 15:4:5.999999999", "2006-1-2 15:4", "2006-1-2"}
		lit.Type = sqltypes.Type{Kind: sqltypes.Timestamp}
	}
	for _, layout := range layouts {
		tm, err := time.Parse(layout, text)
		if err != nil {
			continue
		}
		ms := tm.UnixMilli()
		switch kw.text {
		case "DATE":
			lit.Value = sqltypes.DateMs(ms)
		case "TIME":
			lit.Value = sqltypes.TimeMs(int64(tm.Hour())*3600000 + int64(tm.Minute())*60000 +
				int64(tm.Second())*1000 + int64(tm.Nanosecond()/1e6))
		default:
			lit.Value = sqltypes.TimestampMs(ms)
		}
		return lit, nil
	}
	want := map[string]string{"DATE": "yyyy-mm-dd", "TIME": "hh:mm:ss", "TIMESTAMP": "yyyy-mm-dd hh:mm:ss"}[kw.text]
	return nil, Errorf(s.pos, "%s literal %s is not of the form '%s'", kw.text, s.describe(), want)
}

// intervalUnits are the interval fields, largest first, with their
// length in ms (0 for the month-based ones).
var intervalUnits = []struct {
	name string
	ms   int64
}{{"YEAR", 0}, {"MONTH", 0}, {"DAY", 86400000}, {"HOUR", 3600000}, {"MINUTE", 60000}, {"SECOND", 1000}}

func unitIndex(name string) int {
	for i, u := range intervalUnits {
		if u.name == name {
			return i
		}
	}
	return -1
}

// interval reads INTERVAL [-|+]'text' unit [(p)] [TO unit [(p)]].
func (p *parser) interval() (Expr, error) {
	kw := p.next()
	iv := &IntervalLit{Pos: kw.pos}
	if p.isOp("-") || p.isOp("+") {
		iv.Negative = p.next().text == "-"
	}
	s := p.tok()
	if s.kind != tString {
		return nil, p.errExpected("a quoted value after INTERVAL, as in INTERVAL '5' MINUTE")
	}
	p.next()
	iv.Text = s.text
	u := p.tok()
	from := -1
	if u.kind == tWord {
		from = unitIndex(u.text)
	}
	if from < 0 {
		return nil, p.errExpected("YEAR, MONTH, DAY, HOUR, MINUTE or SECOND after the interval's value")
	}
	p.next()
	iv.Unit = u.text
	var err error
	if iv.Precision, err = p.unitPrecision(); err != nil {
		return nil, err
	}
	to := from
	if p.acceptKw("TO") {
		tu := p.tok()
		to = -1
		if tu.kind == tWord {
			to = unitIndex(tu.text)
		}
		if to < 0 {
			return nil, p.errExpected("an interval unit after TO")
		}
		if to <= from || (from <= 1) != (to <= 1) {
			return nil, Errorf(tu.pos, "INTERVAL %s TO %s is not an interval type", u.text, tu.text)
		}
		p.next()
		iv.ToUnit = tu.text
		if iv.ToPrecision, err = p.unitPrecision(); err != nil {
			return nil, err
		}
	}
	months, ms, ok := intervalValue(s.text, from, to)
	if !ok {
		return nil, Errorf(s.pos, "%s is not a valid INTERVAL %s", s.describe(), intervalQualifier(iv))
	}
	if iv.Negative {
		months, ms = -months, -ms
	}
	iv.Months, iv.Ms = months, ms
	return iv, nil
}

func intervalQualifier(iv *IntervalLit) string {
	q := iv.Unit
	if iv.ToUnit != "" {
		q += " TO " + iv.ToUnit
	}
	return q
}

func (p *parser) unitPrecision() (int, error) {
	if !p.acceptOp("(") {
		return 0, nil
	}
	n := p.tok()
	v, err := strconv.Atoi(n.text)
	if n.kind != tNumber || err != nil || v < 1 || v > 10 {
		return 0, p.errExpected("a precision from 1 to 10")
	}
	p.next()
	if p.acceptOp(",") { // SECOND(p, s): leading and fractional precision
		if p.tok().kind != tNumber {
			return 0, p.errExpected("a fractional-second precision")
		}
		p.next()
	}
	return v, p.expectOp(")", " after the precision")
}

// intervalValue reads an interval's text for the fields from..to
// (indexes into intervalUnits): YEAR TO MONTH is 'y-m'; the day-time
// forms are 'd h:m:s.f' cut to the fields named, e.g. 'h:m' for HOUR TO
// MINUTE. The text may begin with a sign. Seconds may have a fraction.
func intervalValue(text string, from, to int) (months, ms int64, ok bool) {
	s := strings.TrimSpace(text)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = strings.TrimSpace(s[1:])
	}
	// split into fields by the separators of the form
	var fields []string
	if from <= 1 {
		fields = strings.Split(s, "-")
	} else {
		day, rest := "", s
		if from == 2 && to > 2 {
			var found bool
			day, rest, found = strings.Cut(s, " ")
			if !found {
				return 0, 0, false
			}
			rest = strings.TrimSpace(rest)
			fields = append(fields, day)
		}
		if !(from == 2 && to == 2) {
			fields = append(fields, strings.Split(rest, ":")...)
		} else {
			fields = append(fields, rest)
		}
	}
	if len(fields) != to-from+1 {
		return 0, 0, false
	}
	var total float64
	for i, f := range fields {
		unit := from + i
		isSecond := unit == 5
		if f == "" {
			return 0, 0, false
		}
		for j, c := range f {
			if !(isDigit(c) || (isSecond && c == '.' && j > 0)) {
				return 0, 0, false
			}
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v > 1e15 {
			return 0, 0, false
		}
		if i > 0 && !isSecond && unitRange(unit) > 0 && v >= unitRange(unit) {
			return 0, 0, false
		}
		if i > 0 && isSecond && v >= 60 {
			return 0, 0, false
		}
		if unit <= 1 {
			if unit == 0 {
				v *= 12
			}
			months += int64(v)
			continue
		}
		total += v * float64(intervalUnits[unit].ms)
	}
	ms = int64(math.Round(total))
	if total > math.MaxInt64/2 {
		return 0, 0, false
	}
	if neg {
		months, ms = -months, -ms
	}
	return months, ms, true
}

// unitRange is how many of a trailing field make one of the field before
// it.
func unitRange(unit int) float64 {
	switch unit {
	case 1:
		return 12
	case 3:
		return 24
	case 4, 5:
		return 60
	}
	return 0
}

// unicodeString decodes U&'...' [UESCAPE 'c']: the escape character
// (backslash unless UESCAPE names another) followed by four hex digits,
// or by + and six, stands for that code point; two escape characters
// stand for one.
func (p *parser) unicodeString(t token) (Expr, error) {
	esc := '\\'
	if p.acceptKw("UESCAPE") {
		e := p.tok()
		r := []rune(e.text)
		if e.kind != tString || len(r) != 1 || isHexDigit(r[0]) || r[0] == '+' || r[0] == '\'' || r[0] == '"' || r[0] == ' ' {
			return nil, p.errExpected("one escape character in quotes after UESCAPE")
		}
		p.next()
		esc = r[0]
	}
	in := []rune(t.text)
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		if in[i] != esc {
			b.WriteRune(in[i])
			continue
		}
		if i+1 < len(in) && in[i+1] == esc {
			b.WriteRune(esc)
			i++
			continue
		}
		n, start := 4, i+1
		if start < len(in) && in[start] == '+' {
			n, start = 6, start+1
		}
		if start+n > len(in) {
			return nil, Errorf(t.pos, "unicode string %s: escape %c needs %d hex digits", t.describe(), esc, n)
		}
		var cp rune
		for _, c := range in[start : start+n] {
			if !isHexDigit(c) {
				return nil, Errorf(t.pos, "unicode string %s: escape %c needs %d hex digits", t.describe(), esc, n)
			}
			cp = cp<<4 | rune(hexVal(byte(c)))
		}
		if !utf8.ValidRune(cp) {
			return nil, Errorf(t.pos, "unicode string %s: U+%X is not a character", t.describe(), cp)
		}
		b.WriteRune(cp)
		i = start + n - 1
	}
	return strLit(t.pos, b.String()), nil
}

func isHexDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

// datetimeMinus reads the interval qualifier after (a - b), the
// difference of two datetimes as an interval.
func (p *parser) datetimeMinus(pos Pos, b *Binary) (Expr, error) {
	u := p.next()
	d := &DatetimeMinus{Pos: pos, L: b.L, R: b.R, Unit: u.text}
	var err error
	if d.Precision, err = p.unitPrecision(); err != nil {
		return nil, err
	}
	if p.acceptKw("TO") {
		tu := p.tok()
		if tu.kind != tWord || unitIndex(tu.text) <= unitIndex(u.text) || (unitIndex(u.text) <= 1) != (unitIndex(tu.text) <= 1) {
			return nil, p.errExpected("an interval unit smaller than " + u.text + " after TO")
		}
		p.next()
		d.ToUnit = tu.text
		if d.ToPrecision, err = p.unitPrecision(); err != nil {
			return nil, err
		}
	}
	return d, nil
}
