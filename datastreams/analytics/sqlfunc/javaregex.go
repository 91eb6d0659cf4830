package sqlfunc

// This file holds REGEX_REPLACE and the adaptation of Java regular
// expressions to Go's.

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func regexReplaceCheck(args []Arg) (sqltypes.Type, error) {
	if err := wantArgs("REGEX_REPLACE", args, 5, 5); err != nil {
		return sqltypes.Type{}, err
	}
	for i := 0; i < 3; i++ {
		if err := wantString("REGEX_REPLACE", args, i); err != nil {
			return sqltypes.Type{}, err
		}
	}
	for i := 3; i < 5; i++ {
		if err := wantInteger("REGEX_REPLACE", args, i); err != nil {
			return sqltypes.Type{}, err
		}
	}
	if c := args[1].Const; c != nil && !c.Null {
		if _, err := regexp.Compile(javaRegexp(c.S)); err != nil {
			return sqltypes.Type{}, argError("REGEX_REPLACE", 1, "%v", err)
		}
	}
	return varchar, nil
}

// regexReplace replaces the occurrence-th match (every match when 0) of
// the Java regex in s, searching from the 1-based character start.
func regexReplace(cache *regexCache, s, pattern, repl string, start, occurrence int64) (sqltypes.Value, error) {
	if start < 1 {
		return sqltypes.Value{}, fmt.Errorf("REGEX_REPLACE: start position %d is less than 1", start)
	}
	if occurrence < 0 {
		return sqltypes.Value{}, fmt.Errorf("REGEX_REPLACE: occurrence %d is negative", occurrence)
	}
	re, err := cache.get(javaRegexp(pattern))
	if err != nil {
		return sqltypes.Value{}, fmt.Errorf("REGEX_REPLACE: %w", err)
	}
	if start > int64(utf8.RuneCountInString(s)) {
		return sqltypes.Str(s), nil
	}
	off := len(truncateRunes(s, int(start-1)))
	head, tail := s[:off], s[off:]
	var b strings.Builder
	b.WriteString(head)
	last := 0
	n := int64(0)
	for _, m := range re.FindAllStringSubmatchIndex(tail, -1) {
		n++
		if occurrence != 0 && n != occurrence {
			continue
		}
		b.WriteString(tail[last:m[0]])
		if err := expandJava(&b, repl, tail, m, re); err != nil {
			return sqltypes.Value{}, err
		}
		last = m[1]
		if occurrence != 0 {
			break
		}
	}
	b.WriteString(tail[last:])
	return sqltypes.Str(b.String()), nil
}

// expandJava writes a Java replacement string: $n inserts group n,
// ${name} the named group, a backslash makes the next character literal.
func expandJava(b *strings.Builder, repl, src string, m []int, re *regexp.Regexp) error {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			if i+1 >= len(repl) {
				return fmt.Errorf("REGEX_REPLACE: replacement ends with a backslash")
			}
			i++
			b.WriteByte(repl[i])
		case '$':
			j := i + 1
			if j < len(repl) && repl[j] == '{' {
				end := strings.IndexByte(repl[j:], '}')
				if end < 0 {
					return fmt.Errorf("REGEX_REPLACE: unterminated ${ in the replacement")
				}
				name := repl[j+1 : j+end]
				g := re.SubexpIndex(name)
				if g < 0 {
					return fmt.Errorf("REGEX_REPLACE: no group named %q", name)
				}
				if m[2*g] >= 0 {
					b.WriteString(src[m[2*g]:m[2*g+1]])
				}
				i = j + end
				continue
			}
			if j >= len(repl) || repl[j] < '0' || repl[j] > '9' {
				return fmt.Errorf("REGEX_REPLACE: $ in the replacement must be followed by a group number")
			}
			g := int(repl[j] - '0')
			j++
			// Java takes more digits while they still name a group.
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' && (g*10+int(repl[j]-'0'))*2 < len(m) {
				g = g*10 + int(repl[j]-'0')
				j++
			}
			if g*2 >= len(m) {
				return fmt.Errorf("REGEX_REPLACE: no group %d", g)
			}
			if m[2*g] >= 0 {
				b.WriteString(src[m[2*g]:m[2*g+1]])
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return nil
}

// javaPosix maps Java's \p{Name} POSIX classes to Go's.
var javaPosix = map[string]string{
	"Lower": `[a-z]`, "Upper": `[A-Z]`, "ASCII": `[\x00-\x7F]`, "Alpha": `[a-zA-Z]`, "Digit": `[0-9]`,
	"Alnum": `[a-zA-Z0-9]`, "Punct": `[!-/:-@\[-` + "`" + `{-~]`, "Graph": `[!-~]`, "Print": `[ -~]`,
	"Blank": `[ \t]`, "Cntrl": `[\x00-\x1F\x7F]`, "XDigit": `[0-9a-fA-F]`, "Space": `[ \t\n\x0B\f\r]`,
}

// javaRegexp adapts a Java regular expression to Go's syntax where the two
// spell the same thing differently: \p{Alpha}-style POSIX classes (outside
// brackets), possessive quantifiers (read as greedy), \Z and \z. What Go
// cannot do (back-references, look-around) stays and fails to compile.
func javaRegexp(p string) string {
	if !strings.ContainsAny(p, `\+`) {
		return p
	}
	var b strings.Builder
	inClass := false
	prevQuant := false // the last thing written was a quantifier
	for i := 0; i < len(p); i++ {
		c := p[i]
		quant := false
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			if (n == 'p' || n == 'P') && i+2 < len(p) && p[i+2] == '{' && !inClass {
				if end := strings.IndexByte(p[i+3:], '}'); end >= 0 {
					name := p[i+3 : i+3+end]
					if cls, ok := javaPosix[name]; ok {
						if n == 'P' {
							cls = "[^" + cls[1:]
						}
						b.WriteString(cls)
						i += 3 + end
						prevQuant = false
						continue
					}
				}
			}
			if n == 'Z' {
				b.WriteString(`(?:\n?\z)`)
			} else {
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
		case c == '[' && !inClass:
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
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case inClass:
			b.WriteByte(c)
		case c == '+' && prevQuant:
			// possessive quantifier: read as greedy
		case c == '*' || c == '+' || c == '?':
			b.WriteByte(c)
			quant = !(c == '?' && prevQuant) // a lazy marker ends the quantifier
		case c == '{':
			j := strings.IndexByte(p[i:], '}')
			if j < 0 {
				b.WriteByte(c)
				break
			}
			b.WriteString(p[i : i+j+1])
			i += j
			quant = true
		default:
			b.WriteByte(c)
		}
		prevQuant = quant
	}
	return b.String()
}
