package sqlfunc

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// memo keeps values computed from a text (a compiled pattern, a parsed
// column list or date format) by that text, so that a function evaluated
// once per row with a constant argument does that work once. It is
// bounded: when full it starts over. It is safe for concurrent use.
type memo[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

const memoSize = 512

func newMemo[T any]() *memo[T] { return &memo[T]{m: make(map[string]T)} }

// get returns the value for key, computing it with make on a miss; errors
// are not kept.
func (c *memo[T]) get(key string, make func(string) (T, error)) (T, error) {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := make(key)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= memoSize {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}

// regexCache compiles Go regular expressions through a memo.
type regexCache struct{ m *memo[*regexp.Regexp] }

func newRegexCache() *regexCache { return &regexCache{m: newMemo[*regexp.Regexp]()} }

func (c *regexCache) get(src string) (*regexp.Regexp, error) { return c.m.get(src, regexp.Compile) }

// Operator argument conventions: LIKE(s, pattern[, escape]) and
// SIMILAR TO(s, pattern[, escape]); NOT LIKE is NOT applied to LIKE.
func addPatterns(l *Library) {
	cache := l.re
	patternCheck := func(name string) func([]Arg) (sqltypes.Type, error) {
		return func(args []Arg) (sqltypes.Type, error) {
			if err := wantArgs(name, args, 2, 3); err != nil {
				return sqltypes.Type{}, err
			}
			for i := range args {
				if err := wantString(name, args, i); err != nil {
					return sqltypes.Type{}, err
				}
			}
			if len(args) == 3 && args[2].Const != nil && !args[2].Const.Null && utf8.RuneCountInString(args[2].Const.S) != 1 {
				return sqltypes.Type{}, argError(name, 2, "the escape must be one character")
			}
			// A constant pattern is translated now, so that a bad one is
			// a planning error rather than one per row.
			if args[1].Const != nil && !args[1].Const.Null && (len(args) < 3 || args[2].Const != nil) {
				esc := ""
				if len(args) == 3 && !args[2].Const.Null {
					esc = args[2].Const.S
				}
				var err error
				if name == "LIKE" {
					_, err = likeRegexp(args[1].Const.S, esc)
				} else {
					_, err = similarRegexp(args[1].Const.S, esc)
				}
				if err != nil {
					return sqltypes.Type{}, argError(name, 1, "%v", err)
				}
			}
			return typ(sqltypes.Boolean), nil
		}
	}
	patternEval := func(translate func(p, esc string) (string, error)) func([]sqltypes.Value) (sqltypes.Value, error) {
		return strict(sqltypes.Boolean, func(a []sqltypes.Value) (sqltypes.Value, error) {
			esc := ""
			if len(a) == 3 {
				esc = a[2].S
			}
			src, err := translate(a[1].S, esc)
			if err != nil {
				return sqltypes.Value{}, err
			}
			re, err := cache.get(src)
			if err != nil {
				return sqltypes.Value{}, err
			}
			return sqltypes.Bool(re.MatchString(a[0].S)), nil
		})
	}
	l.add(&Func{Name: "LIKE", Check: patternCheck("LIKE"), Eval: patternEval(likeRegexp)})
	l.add(&Func{Name: "SIMILAR TO", Check: patternCheck("SIMILAR TO"), Eval: patternEval(similarRegexp)})
	l.add(&Func{Name: "REGEX_REPLACE", Check: regexReplaceCheck, Eval: strict(sqltypes.Varchar, func(a []sqltypes.Value) (sqltypes.Value, error) {
		return regexReplace(cache, a[0].S, a[1].S, a[2].S, a[3].I, a[4].I)
	})})
}

// escapeRune reads a one-character escape ("" for none).
func escapeRune(esc string) (rune, error) {
	if esc == "" {
		return -1, nil
	}
	r, n := utf8.DecodeRuneInString(esc)
	if n != len(esc) {
		return 0, fmt.Errorf("escape %q must be one character", esc)
	}
	return r, nil
}

// likeRegexp translates a LIKE pattern (% any run, _ any one character,
// the escape character making the next one literal) to an anchored Go
// regexp.
func likeRegexp(p, esc string) (string, error) {
	e, err := escapeRune(esc)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == e:
			if i+1 >= len(rs) {
				return "", fmt.Errorf("LIKE pattern %q ends with the escape character", p)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			b.WriteString(`.*`)
		case r == '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return b.String(), nil
}

// similarRegexp translates a SIMILAR TO pattern: % and _ as in LIKE; | * +
// ? {m,n} ( ) and [ ] bracket expressions are regular-expression
// operators; every other character is literal, the escape character making
// an operator literal too. The whole string must match.
func similarRegexp(p, esc string) (string, error) {
	e, err := escapeRune(esc)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`(?s)^(?:`)
	rs := []rune(p)
	depth := 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == e:
			if i+1 >= len(rs) {
				return "", fmt.Errorf("SIMILAR TO pattern %q ends with the escape character", p)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			b.WriteString(`.*`)
		case r == '_':
			b.WriteString(`.`)
		case r == '(':
			depth++
			b.WriteString(`(?:`)
		case r == ')':
			if depth == 0 {
				return "", fmt.Errorf("SIMILAR TO pattern %q: unbalanced parenthesis", p)
			}
			depth--
			b.WriteRune(r)
		case r == '|', r == '*', r == '+', r == '?':
			b.WriteRune(r)
		case r == '{':
			j := i + 1
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ',') {
				j++
			}
			if j >= len(rs) || rs[j] != '}' || j == i+1 {
				return "", fmt.Errorf("SIMILAR TO pattern %q: bad repetition", p)
			}
			b.WriteString(string(rs[i : j+1]))
			i = j
		case r == '[':
			j := i + 1
			if j < len(rs) && rs[j] == '^' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				return "", fmt.Errorf("SIMILAR TO pattern %q: unclosed [", p)
			}
			b.WriteString(bracketClass(rs[i+1 : j]))
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if depth != 0 {
		return "", fmt.Errorf("SIMILAR TO pattern %q: unbalanced parenthesis", p)
	}
	b.WriteString(`)$`)
	if _, err := regexp.Compile(b.String()); err != nil {
		return "", fmt.Errorf("SIMILAR TO pattern %q: %w", p, err)
	}
	return b.String(), nil
}

// bracketClass writes a [...] set with its members quoted where Go would
// read them as operators (a backslash), and [:ALPHA:]-style classes in
// lower case.
func bracketClass(body []rune) string {
	s := string(body)
	for _, c := range []string{"ALPHA", "UPPER", "LOWER", "DIGIT", "ALNUM", "SPACE", "WHITESPACE"} {
		name := strings.ToLower(c)
		if c == "WHITESPACE" {
			name = "space"
		}
		s = strings.ReplaceAll(s, "[:"+c+":]", "[:"+name+":]")
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	if s == "" || s == "^" {
		s += `\]`
	}
	return "[" + s + "]"
}

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
		if err := expandJava(&b, repl, tail, m); err != nil {
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

// expandJava writes a Java replacement string: $n (and ${name} is not
// supported) inserts group n, a backslash makes the next character
// literal.
func expandJava(b *strings.Builder, repl, src string, m []int) error {
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
	for i := 0; i < len(p); i++ {
		c := p[i]
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
						continue
					}
				}
			}
			if n == 'Z' {
				b.WriteString(`(?:\n?\z)`)
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(n)
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
		case c == '+' && !inClass && i > 0 && (p[i-1] == '*' || p[i-1] == '+' || p[i-1] == '?' || p[i-1] == '}') && !(i > 1 && p[i-2] == '\\'):
			// possessive quantifier: drop the +
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
