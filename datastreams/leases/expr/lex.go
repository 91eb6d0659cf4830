package expr

import (
	"fmt"
	"strings"
)

// Error is an invalid expression or a failed evaluation rule.
type Error struct {
	Message string
	Pos     int // byte offset of a syntax error, -1 otherwise
}

func (e *Error) Error() string { return e.Message }

func errorf(format string, a ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, a...), Pos: -1}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tName  // #name
	tValue // :value
	tInt   // list index
	tOp    // = <> < <= > >= ( ) , . [ ] + -
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func lex(kind, s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, syntax(kind, s, i, string(c))
			}
			k := tName
			if c == ':' {
				k = tValue
			}
			out = append(out, token{k, s[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			// A name may start with a digit only inside a path token run
			// such as "a1"; a bare run of digits is a list index.
			if j < len(s) && isIdentChar(s[j]) {
				for j < len(s) && isIdentChar(s[j]) {
					j++
				}
				out = append(out, token{tIdent, s[i:j], i})
			} else {
				out = append(out, token{tInt, s[i:j], i})
			}
			i = j
		case isIdentChar(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		case c == '<' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '='):
			out = append(out, token{tOp, s[i : i+2], i})
			i += 2
		case c == '>' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{tOp, ">=", i})
			i += 2
		case strings.IndexByte("=<>(),.[]+-", c) >= 0:
			out = append(out, token{tOp, string(c), i})
			i++
		default:
			return nil, syntax(kind, s, i, string(c))
		}
	}
	out = append(out, token{tEOF, "", len(s)})
	return out, nil
}

func syntax(kind, s string, pos int, tok string) *Error {
	near := s[max(0, pos-10):min(len(s), pos+10)]
	if tok == "" {
		tok = "<EOF>"
	}
	return &Error{
		Message: fmt.Sprintf("Invalid %s: Syntax error; token: %q, near: %q (position %d)", kind, tok, near, pos),
		Pos:     pos,
	}
}
