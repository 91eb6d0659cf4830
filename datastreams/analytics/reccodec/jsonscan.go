package reccodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON reads one JSON value from b at i into the shapes
// encoding/json gives with UseNumber (nil, bool, json.Number, string,
// []any, map[string]any) and returns where it ended. It is a smaller,
// faster reader than encoding/json for records: no reflection, strings
// without escapes copied once.
func parseJSON(b []byte, i, depth int) (any, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return nil, i, errEnd
	}
	if depth > 1000 {
		return nil, i, errors.New("JSON nested too deeply")
	}
	switch c := b[i]; {
	case c == '{':
		m := map[string]any{}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return m, i + 1, nil
		}
		for {
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != '"' {
				return nil, i, syntaxErr(i, "a member name")
			}
			k, j, err := parseString(b, i)
			if err != nil {
				return nil, j, err
			}
			i = skipSpace(b, j)
			if i >= len(b) || b[i] != ':' {
				return nil, i, syntaxErr(i, "':'")
			}
			v, j2, err := parseJSON(b, i+1, depth+1)
			if err != nil {
				return nil, j2, err
			}
			m[k] = v
			i = skipSpace(b, j2)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == '}' {
				return m, i + 1, nil
			}
			return nil, i, syntaxErr(i, "',' or '}'")
		}
	case c == '[':
		a := []any{}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return a, i + 1, nil
		}
		for {
			v, j, err := parseJSON(b, i, depth+1)
			if err != nil {
				return nil, j, err
			}
			a = append(a, v)
			i = skipSpace(b, j)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == ']' {
				return a, i + 1, nil
			}
			return nil, i, syntaxErr(i, "',' or ']'")
		}
	case c == '"':
		return parseString(b, i)
	case c == 't' && hasWord(b, i, "true"):
		return true, i + 4, nil
	case c == 'f' && hasWord(b, i, "false"):
		return false, i + 5, nil
	case c == 'n' && hasWord(b, i, "null"):
		return nil, i + 4, nil
	case c == '-' || c >= '0' && c <= '9':
		j, err := scanNumber(b, i)
		if err != nil {
			return nil, j, err
		}
		return json.Number(b[i:j]), j, nil
	}
	return nil, i, syntaxErr(i, "a value")
}

// scanNumber returns the end of the JSON number at b[i].
func scanNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == start || b[start] == '0' && j-start > 1 {
		return j, syntaxErr(i, "a number")
	}
	if j < len(b) && b[j] == '.' {
		j++
		f := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == f {
			return j, syntaxErr(i, "a number")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		f := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == f {
			return j, syntaxErr(i, "a number")
		}
	}
	return j, nil
}

var errEnd = errors.New("unexpected end of JSON input")

func syntaxErr(i int, want string) error {
	return fmt.Errorf("invalid JSON at offset %d: want %s", i, want)
}

func hasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// parseString reads the string at b[i] == '"'.
func parseString(b []byte, i int) (string, int, error) {
	j := i + 1
	for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 && b[j] < utf8.RuneSelf {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return string(b[i+1 : j]), j + 1, nil
	}
	// Escapes, control characters or non-ASCII: the careful way.
	buf := make([]byte, 0, j-i+16)
	buf = append(buf, b[i+1:j]...)
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			return string(buf), j + 1, nil
		case c < 0x20:
			return "", j, syntaxErr(j, "no control character in a string")
		case c == '\\':
			if j+1 >= len(b) {
				return "", j, errEnd
			}
			switch e := b[j+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, n, ok := hex4(b, j+2)
				if !ok {
					return "", j, syntaxErr(j, "a \\u escape")
				}
				j += n
				if utf16.IsSurrogate(r) {
					if r2, n2, ok := hex4(b, j+2+2); ok && hasWord(b, j+2, `\u`) {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							j += 2 + n2
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
				j += 2
				continue
			default:
				return "", j, syntaxErr(j, "a valid escape")
			}
			j += 2
		default:
			r, n := utf8.DecodeRune(b[j:])
			buf = utf8.AppendRune(buf, r)
			j += n
		}
	}
	return "", j, errEnd
}

func hex4(b []byte, i int) (rune, int, bool) {
	if len(b)-i < 4 {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(n), 4, err == nil
}
