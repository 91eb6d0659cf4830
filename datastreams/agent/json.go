package agent

import (
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// The converters write JSON as the Kinesis Agent's printer (Jackson) does:
// keys in the order given, only '"', '\\' and control characters escaped
// (\b \t \n \f \r by letter, the rest as \u00XX in upper-case hex), nothing
// else (no HTML escaping, non-ASCII as UTF-8). encoding/json escapes more,
// so the agent has its own small writer.

// jsonField is one key of an object, in order. val is nil (null), a
// string, or a value decoded from the configuration (map, list, scalar).
type jsonField struct {
	key string
	val any
}

// decodeUTF8 decodes as Java does: each invalid byte becomes U+FFFD.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]rune, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = append(out, r) // RuneError for an invalid byte
		b = b[n:]
	}
	return string(out)
}

const hexUpper = "0123456789ABCDEF"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// sortedFields turns a configuration map into fields; YAML decoding does
// not keep key order, so keys are sorted.
func sortedFields(m map[string]any) []jsonField {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fs := make([]jsonField, len(keys))
	for i, k := range keys {
		fs[i] = jsonField{k, m[k]}
	}
	return fs
}

func appendCompact(b []byte, obj []jsonField) []byte {
	b = append(b, '{')
	for i, f := range obj {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.key)
		b = append(b, ':')
		b = appendValue(b, f.val, -1)
	}
	return append(b, '}')
}

// appendPretty writes as Jackson's default pretty printer: objects one
// field a line indented by two spaces with " : ", arrays on one line.
func appendPretty(b []byte, obj []jsonField, depth int) []byte {
	if len(obj) == 0 {
		return append(b, '{', ' ', '}')
	}
	b = append(b, '{')
	for i, f := range obj {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = appendIndent(b, depth+1)
		b = appendJSONString(b, f.key)
		b = append(b, " : "...)
		b = appendValue(b, f.val, depth+1)
	}
	b = append(b, '\n')
	b = appendIndent(b, depth)
	return append(b, '}')
}

func appendIndent(b []byte, depth int) []byte {
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

// appendValue writes v; depth < 0 means compact.
func appendValue(b []byte, v any, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case map[string]any:
		if depth < 0 {
			return appendCompact(b, sortedFields(v))
		}
		return appendPretty(b, sortedFields(v), depth)
	case []any:
		if depth >= 0 && len(v) == 0 {
			return append(b, '[', ' ', ']')
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
				if depth >= 0 {
					b = append(b, ' ')
				}
			} else if depth >= 0 {
				b = append(b, ' ')
			}
			b = appendValue(b, e, depth)
		}
		if depth >= 0 {
			b = append(b, ' ')
		}
		return append(b, ']')
	default:
		return appendJSONString(b, fmt.Sprint(v))
	}
}
