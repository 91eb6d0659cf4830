package sqlfunc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

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
	patternEval := func(name string, similar bool, translate func(p, esc string) (string, error)) func([]sqltypes.Value) (sqltypes.Value, error) {
		// the pattern's matcher by pattern (and escape, in a second memo
		// so that the common escape-less key is the pattern itself)
		plain, escaped := newMemo[matcher](), newMemo[matcher]()
		return strict(sqltypes.Boolean, func(a []sqltypes.Value) (sqltypes.Value, error) {
			esc, memo, key := "", plain, a[1].S
			if len(a) == 3 {
				esc, memo = a[2].S, escaped
				key = strconv.Itoa(len(esc)) + ":" + esc + a[1].S
			}
			m, err := memo.get(key, func(string) (matcher, error) { return compilePattern(a[1].S, esc, similar, translate) })
			if err != nil {
				return sqltypes.Value{}, fmt.Errorf("%s: %w", name, err)
			}
			return sqltypes.Bool(m(a[0].S)), nil
		})
	}
	l.add(&Func{Name: "LIKE", Check: patternCheck("LIKE"), Eval: patternEval("LIKE", false, likeRegexp)})
	l.add(&Func{Name: "SIMILAR TO", Check: patternCheck("SIMILAR TO"), Eval: patternEval("SIMILAR TO", true, similarRegexp)})
	l.add(&Func{Name: "REGEX_REPLACE", Check: regexReplaceCheck, Eval: strict(sqltypes.Varchar, func(a []sqltypes.Value) (sqltypes.Value, error) {
		return regexReplace(cache, a[0].S, a[1].S, a[2].S, a[3].I, a[4].I)
	})})
}

// A matcher reports whether a string matches a LIKE or SIMILAR TO pattern.
type matcher func(string) bool

// compilePattern builds a pattern's matcher: literal text around %
// wildcards (the usual '%TECH%') is matched with string searches, any
// other pattern with its regular expression.
func compilePattern(p, esc string, similar bool, translate func(p, esc string) (string, error)) (matcher, error) {
	src, err := translate(p, esc)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	if parts, ok := wildcardParts(p, esc, similar); ok && utf8.ValidString(p) {
		return func(s string) bool {
			if !utf8.ValidString(s) {
				return re.MatchString(s) // bytes that are no character match as U+FFFD
			}
			return matchParts(s, parts)
		}, nil
	}
	return re.MatchString, nil
}

// wildcardParts splits a pattern made of literal text and % into the
// literal parts, or reports false when it has other operators.
func wildcardParts(p, esc string, similar bool) ([]string, bool) {
	e, err := escapeRune(esc)
	if err != nil {
		return nil, false
	}
	ops := "_"
	if similar {
		ops = "_|*+?{}()[]"
	}
	var parts []string
	var cur strings.Builder
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == e:
			if i+1 >= len(rs) {
				return nil, false
			}
			i++
			cur.WriteRune(rs[i])
		case r == '%':
			parts = append(parts, cur.String())
			cur.Reset()
		case strings.ContainsRune(ops, r):
			return nil, false
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String()), true
}

// matchParts matches s against literal parts with a % between each two:
// the first part is a prefix, the last a suffix, the others found in
// order, each as early as possible.
func matchParts(s string, parts []string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	if !strings.HasSuffix(s, last) {
		return false
	}
	s = s[:len(s)-len(last)]
	for _, m := range parts[1 : len(parts)-1] {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
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
