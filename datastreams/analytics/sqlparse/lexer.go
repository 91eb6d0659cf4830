package sqlparse

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxCodeLength is the longest application code accepted, in characters
// (the ApplicationCode limit of the API).
const MaxCodeLength = 102400

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tWord            // an unquoted identifier or keyword, folded to upper case
	tQuoted          // a double-quoted identifier, case kept
	tString          // '...'
	tBinary          // X'...'
	tUnicode         // U&'...', escapes not yet decoded
	tNumber          // 12, 1.5, 1e3, .5
	tOp              // punctuation and operators
)

type token struct {
	kind tokKind
	text string // folded word, identifier, string content, hex digits, number or operator
	pos  Pos
}

// describe names a token for a message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tWord:
		return t.text
	case tQuoted:
		return `"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`
	case tString:
		s := t.text
		if utf8.RuneCountInString(s) > 20 {
			s = string([]rune(s)[:20]) + "..."
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case tBinary:
		return "X'" + t.text + "'"
	case tUnicode:
		return "U&'" + strings.ReplaceAll(t.text, "'", "''") + "'"
	}
	return t.text
}

// lexer turns code into tokens, tracking line and column (in runes).
type lexer struct {
	src       string
	off       int
	line, col int
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Column: l.col} }

// at returns the rune n bytes ahead (n is 0, or counts one-byte runes
// already seen), or 0 at the end.
func (l *lexer) at(n int) rune {
	if l.off+n >= len(l.src) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off+n:])
	return r
}

func (l *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

// lex reads the whole code; limit enforces MaxCodeLength.
func lex(src string, limit bool) ([]token, error) {
	if n := utf8.RuneCountInString(src); limit && n > MaxCodeLength {
		return nil, &Error{Line: 1, Column: 1,
			Message: "application code is " + strconv.Itoa(n) + " characters; the limit is " + strconv.Itoa(MaxCodeLength)}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Line: 1, Column: 1, Message: "application code is not valid UTF-8"}
	}
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		p := l.pos()
		if l.off >= len(l.src) {
			return append(toks, token{kind: tEOF, pos: p}), nil
		}
		t, err := l.next(p)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
	}
}

func (l *lexer) skipSpace() error {
	for l.off < len(l.src) {
		r := l.at(0)
		switch {
		case unicode.IsSpace(r):
			l.advance()
		case r == '-' && l.at(1) == '-':
			for l.off < len(l.src) && l.at(0) != '\n' {
				l.advance()
			}
		case r == '/' && l.at(1) == '*':
			p := l.pos()
			l.advance()
			l.advance()
			for {
				if l.off >= len(l.src) {
					return Errorf(p, "comment /* is not closed")
				}
				if l.at(0) == '*' && l.at(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func (l *lexer) next(p Pos) (token, error) {
	r := l.at(0)
	switch {
	case (r == 'X' || r == 'x') && l.at(1) == '\'':
		l.advance()
		s, err := l.quoted('\'', p, "binary string")
		if err != nil {
			return token{}, err
		}
		for _, c := range s {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return token{}, Errorf(p, "binary string X'%s' has a character that is not a hex digit", s)
			}
		}
		if len(s)%2 != 0 {
			return token{}, Errorf(p, "binary string X'%s' has an odd number of hex digits", s)
		}
		return token{kind: tBinary, text: strings.ToUpper(s), pos: p}, nil
	case (r == 'U' || r == 'u') && l.at(1) == '&' && l.at(2) == '\'':
		l.advance()
		l.advance()
		s, err := l.quoted('\'', p, "unicode string")
		if err != nil {
			return token{}, err
		}
		return token{kind: tUnicode, text: s, pos: p}, nil
	case isIdentStart(r):
		start := l.off
		for l.off < len(l.src) && isIdentPart(l.at(0)) {
			l.advance()
		}
		return token{kind: tWord, text: strings.ToUpper(l.src[start:l.off]), pos: p}, nil
	case r == '"':
		s, err := l.quoted('"', p, "quoted identifier")
		if err != nil {
			return token{}, err
		}
		if s == "" {
			return token{}, Errorf(p, `empty quoted identifier ""`)
		}
		return token{kind: tQuoted, text: s, pos: p}, nil
	case r == '\'':
		s, err := l.quoted('\'', p, "string")
		if err != nil {
			return token{}, err
		}
		return token{kind: tString, text: s, pos: p}, nil
	case isDigit(r) || (r == '.' && isDigit(l.at(1))):
		return l.number(p)
	}
	for _, op := range [...]string{"<>", "<=", ">=", "!=", "||"} {
		if strings.HasPrefix(l.src[l.off:], op) {
			l.advance()
			l.advance()
			return token{kind: tOp, text: op, pos: p}, nil
		}
	}
	if strings.ContainsRune("(),;.*+-/%=<>", r) {
		l.advance()
		return token{kind: tOp, text: string(r), pos: p}, nil
	}
	return token{}, Errorf(p, "unexpected character %q", r)
}

// quoted reads a string between q characters where qq stands for one q.
func (l *lexer) quoted(q rune, p Pos, what string) (string, error) {
	l.advance() // opening quote
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return "", Errorf(p, "%s is not closed", what)
		}
		r := l.advance()
		if r == q {
			if l.at(0) == q {
				l.advance()
				b.WriteRune(q)
				continue
			}
			return b.String(), nil
		}
		b.WriteRune(r)
	}
}

func (l *lexer) number(p Pos) (token, error) {
	start := l.off
	for isDigit(l.at(0)) {
		l.advance()
	}
	if l.at(0) == '.' {
		l.advance()
		for isDigit(l.at(0)) {
			l.advance()
		}
	}
	if e := l.at(0); e == 'e' || e == 'E' {
		n := 1
		if s := l.at(1); s == '+' || s == '-' {
			n = 2
		}
		if isDigit(l.at(n)) {
			for ; n > 0; n-- {
				l.advance()
			}
			for isDigit(l.at(0)) {
				l.advance()
			}
		}
	}
	if r := l.at(0); isIdentStart(r) || isDigit(r) {
		return token{}, Errorf(l.pos(), "unexpected %q after the number %s", r, l.src[start:l.off])
	}
	return token{kind: tNumber, text: strings.ToUpper(l.src[start:l.off]), pos: p}, nil
}
