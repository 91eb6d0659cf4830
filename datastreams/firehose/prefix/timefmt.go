package prefix

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// field is one element of a parsed timestamp pattern: literal text, or a
// date-time field printed with a width.
type field struct {
	letter byte // 0 for literal text
	count  int
	text   string
}

// layout is a parsed subset of a Java DateTimeFormatter pattern.
type layout []field

// parseLayout parses the pattern letters this package knows:
//
//	y, u   year: "y" unpadded, "yy" two digits, "yyy"+ zero-padded to the count
//	M      month of year, 1 or 2 letters (MMM and longer name the month in
//	       words and are refused)
//	d      day of month, 1 or 2
//	H      hour of day (0-23), 1 or 2
//	m      minute, 1 or 2
//	s      second, 1 or 2
//	S      fraction of second, 1 to 9 digits
//
// Text between single quotes is literal, two single quotes are one quote,
// and characters that are not ASCII letters stand for themselves. Every
// other letter, and the reserved characters [ ] { } #, are refused.
func parseLayout(pattern string) (layout, error) {
	var out layout
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, field{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(pattern) {
					return nil, fmt.Errorf("timestamp pattern %q: unterminated quoted text", pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(pattern[j])
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			if err := checkLetter(c, n); err != nil {
				return nil, fmt.Errorf("timestamp pattern %q: %w", pattern, err)
			}
			flush()
			out = append(out, field{letter: c, count: n})
			i += n
		case c == '[' || c == ']' || c == '{' || c == '}' || c == '#':
			return nil, fmt.Errorf("timestamp pattern %q: %q is reserved (quote it to use it as text)", pattern, c)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return out, nil
}

func checkLetter(c byte, n int) error {
	switch c {
	case 'y', 'u':
		if n > 9 {
			return fmt.Errorf("too many %q letters", c)
		}
		return nil
	case 'M', 'd', 'H', 'm', 's':
		if n > 2 {
			return fmt.Errorf("%d %q letters are not supported (use 1 or 2)", n, c)
		}
		return nil
	case 'S':
		if n > 9 {
			return fmt.Errorf("too many %q letters", c)
		}
		return nil
	}
	return fmt.Errorf("pattern letter %q is not supported (supported: y u M d H m s S and 'quoted text')", c)
}

// format prints t (already in the wanted zone) with the layout.
func (l layout) format(t time.Time) string {
	var b strings.Builder
	for _, f := range l {
		switch f.letter {
		case 0:
			b.WriteString(f.text)
		case 'y', 'u':
			y := t.Year()
			switch {
			case f.count == 2:
				pad(&b, ((y%100)+100)%100, 2)
			case f.count == 1:
				b.WriteString(strconv.Itoa(y))
			default:
				pad(&b, y, f.count)
			}
		case 'M':
			pad(&b, int(t.Month()), f.count)
		case 'd':
			pad(&b, t.Day(), f.count)
		case 'H':
			pad(&b, t.Hour(), f.count)
		case 'm':
			pad(&b, t.Minute(), f.count)
		case 's':
			pad(&b, t.Second(), f.count)
		case 'S':
			frac := fmt.Sprintf("%09d", t.Nanosecond())
			b.WriteString(frac[:f.count])
		}
	}
	return b.String()
}

func pad(b *strings.Builder, v, width int) {
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}
