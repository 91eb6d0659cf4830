package iam

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenKind is what one piece of a compiled pattern matches.
type tokenKind uint8

const (
	tokLiteral  tokenKind = iota // text, exactly (or ASCII case-folded)
	tokAny                       // '*': any run of characters, '/' and ':' included
	tokOne                       // '?': exactly one character
	tokVariable                  // ${key}: the request's value of key, taken literally
)

// token is one piece of a pattern. A variable's key is lower-cased; def is
// its default, used when hasDef is set and the key has no single value.
type token struct {
	kind   tokenKind
	text   string
	def    string
	hasDef bool
}

// pattern is a compiled wildcard string: literals, '*', '?' and, under
// Version 2012-10-17, policy variables. It holds no request state, so one
// pattern serves concurrent matches.
type pattern struct {
	toks []token
	// all is set when the pattern is nothing but '*'s: it matches every
	// string, the request resource "*" included.
	all bool
	// vars is set when some token is a variable.
	vars bool
}

// patternMode says how a string is compiled.
type patternMode struct {
	wildcards bool // '*' and '?' are wildcards (else literal characters)
	variables bool // ${...} is a policy variable (Version 2012-10-17)
	lower     bool // literals are lower-cased (IgnoreCase: the request value is lower-cased too)
	foldASCII bool // ASCII letters in literals are lower-cased (actions: the match folds ASCII case)
}

// compilePattern compiles s. An error names what is wrong with a variable;
// without variables it cannot fail.
func compilePattern(s string, m patternMode) (pattern, error) {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t := lit.String()
			switch {
			case m.lower:
				t = strings.ToLower(t)
			case m.foldASCII:
				t = asciiLower(t)
			}
			p.toks = append(p.toks, token{kind: tokLiteral, text: t})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case m.wildcards && c == '*':
			flush()
			p.toks = append(p.toks, token{kind: tokAny})
			i++
		case m.wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokOne})
			i++
		case m.variables && c == '$' && i+1 < len(s) && s[i+1] == '{':
			v, n, err := parseVariable(s[i:])
			if err != nil {
				return pattern{}, err
			}
			i += n
			if v.escape != "" {
				lit.WriteString(v.escape)
				continue
			}
			flush()
			p.toks = append(p.toks, token{kind: tokVariable, text: v.key, def: v.def, hasDef: v.hasDef})
			p.vars = true
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	p.all = len(p.toks) > 0
	for _, t := range p.toks {
		if t.kind != tokAny {
			p.all = false
			break
		}
	}
	return p, nil
}

// variable is one parsed ${...}: a key with an optional default, or one of
// the escapes ${*}, ${?} and ${$} (escape holds the character).
type variable struct {
	key, def string
	hasDef   bool
	escape   string
}

// parseVariable reads the variable s starts with ("${") and returns it and
// how many bytes it took.
func parseVariable(s string) (variable, int, error) {
	i := 2
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	skip()
	start := i
	for i < len(s) && s[i] != '}' && s[i] != ',' && s[i] != ' ' && s[i] != '\'' {
		i++
	}
	key := s[start:i]
	skip()
	if i >= len(s) {
		return variable{}, 0, fmt.Errorf("policy variable %q has no closing '}'", s)
	}
	if key == "" {
		return variable{}, 0, fmt.Errorf("policy variable at %q names no key (write ${key} or ${key, 'default'})", s)
	}
	var v variable
	switch key {
	case "*", "?", "$":
		v.escape = key
	default:
		v.key = strings.ToLower(key)
	}
	if s[i] == ',' {
		if v.escape != "" {
			return variable{}, 0, fmt.Errorf("policy variable ${%s} is an escape and takes no default", key)
		}
		i++
		skip()
		if i >= len(s) || s[i] != '\'' {
			return variable{}, 0, fmt.Errorf("policy variable ${%s, ...}: the default must be in single quotes, as in ${%s, 'default'}", key, key)
		}
		i++
		var def strings.Builder
		closed := false
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' { // '' stands for one quote
					def.WriteByte('\'')
					i += 2
					continue
				}
				i++
				closed = true
				break
			}
			def.WriteByte(s[i])
			i++
		}
		if !closed {
			return variable{}, 0, fmt.Errorf("policy variable ${%s, '...}: the default's quote is never closed (write '' for a quote inside it)", key)
		}
		skip()
		v.def, v.hasDef = def.String(), true
	}
	if i >= len(s) || s[i] != '}' {
		return variable{}, 0, fmt.Errorf("policy variable ${%s...}: expected '}' at %q", key, s[min(i, len(s)):])
	}
	return v, i + 1, nil
}

// resolver looks up policy variables in a request's context. lower asks for
// resolved values to be lower-cased (for the IgnoreCase operators).
type resolver struct {
	ctx   map[string][]string
	lower bool
}

// value returns what the variable token t stands for: the key's single
// value, else its default, else false (the pattern then matches nothing).
func (r *resolver) value(t *token) (string, bool) {
	vals := lookup(r.ctx, t.text)
	switch {
	case len(vals) == 1:
		if r.lower {
			return strings.ToLower(vals[0]), true
		}
		return vals[0], true
	case t.hasDef && r.lower:
		return strings.ToLower(t.def), true
	case t.hasDef:
		return t.def, true
	}
	return "", false
}

// lookup finds key (lower-cased) in ctx, whose keys may be spelled in any
// case.
func lookup(ctx map[string][]string, key string) []string {
	if v, ok := ctx[key]; ok {
		return v
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// match reports whether s matches p. With fold, ASCII letters compare
// without case (p's literals are lower-case already). r resolves variables;
// it may be nil when p has none. A variable that does not resolve makes the
// whole pattern match nothing.
//
// '*' is handled by remembering the last one seen and, on a mismatch,
// letting it take one more character: with only '*' and fixed-length pieces
// between them, the last star is the only choice worth revisiting.
func (p *pattern) match(s string, fold bool, r *resolver) bool {
	toks := p.toks
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokAny:
				starTi, starSi = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case tokLiteral:
				if hasPrefix(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			case tokVariable:
				if r == nil {
					return false
				}
				v, ok := r.value(t)
				if !ok {
					return false
				}
				if hasPrefix(s[si:], v, fold) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		ti, si = starTi+1, starSi
	}
}

// hasPrefix reports whether s starts with prefix; with fold, ASCII letters
// in s match their lower-case forms in prefix.
func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// asciiLower lower-cases the ASCII letters of s and leaves every other byte
// as it is.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
