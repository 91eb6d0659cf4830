package format

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// reader holds a deserializer's options: how JSON keys match columns and
// how lenient values are.
type reader struct {
	// hive: the Hive JSON SerDe (quoted numbers and nested values in
	// string columns refused); otherwise the OpenX JSON SerDe.
	hive            bool
	caseInsensitive bool
	dots            bool
	mappings        map[string]string // column (lower case) -> JSON key
	hiveTS          *hiveTimestamps
}

func newReader(d *Deserializer) (*reader, error) {
	if h := d.HiveJSONSerDe; h != nil {
		ts, err := newHiveTimestamps(h.TimestampFormats)
		if err != nil {
			return nil, err
		}
		return &reader{hive: true, caseInsensitive: true, hiveTS: ts}, nil
	}
	o := d.OpenXJSONSerDe
	r := &reader{caseInsensitive: o.CaseInsensitive == nil || *o.CaseInsensitive,
		dots: o.ConvertDotsInJSONKeysToUnderscores != nil && *o.ConvertDotsInJSONKeysToUnderscores}
	if len(o.ColumnToJSONKeyMappings) > 0 {
		r.mappings = map[string]string{}
		for col, key := range o.ColumnToJSONKeyMappings {
			r.mappings[strings.ToLower(col)] = key
		}
	}
	return r, nil
}

func (r *reader) normalize(key string) string {
	if r.dots {
		key = strings.ReplaceAll(key, ".", "_")
	}
	if r.caseInsensitive {
		key = strings.ToLower(key)
	}
	return key
}

// index returns obj's values by normalized key.
func (r *reader) index(obj map[string]any) map[string]any {
	if !r.dots && !r.caseInsensitive {
		return obj
	}
	normal := true
	for k := range obj {
		if r.normalize(k) != k {
			normal = false
			break
		}
	}
	if normal {
		return obj
	}
	m := make(map[string]any, len(obj))
	for k, v := range obj {
		m[r.normalize(k)] = v
	}
	return m
}

// shredder turns one JSON object into one Parquet row.
type shredder struct {
	r   *reader
	row parquet.Row
}

// columns fills the row from the table's root.
func (s *shredder) columns(root *plan, obj map[string]any) error {
	m := s.r.index(obj)
	for _, c := range root.children {
		key := c.name
		if k, ok := s.r.mappings[c.name]; ok {
			key = s.r.normalize(k)
		}
		if err := s.optional(c, m[key], 0); err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
	}
	if root.nleaves != len(root.children) {
		// Nested repeated groups interleave columns; a row lists its
		// values column by column.
		slices.SortStableFunc(s.row, func(a, b parquet.Value) int { return a.Column() - b.Column() })
	}
	return nil
}

func (s *shredder) optional(p *plan, v any, rep int) error {
	if v == nil {
		s.nulls(p, rep, p.def-1)
		return nil
	}
	return s.value(p, v, rep)
}

func (s *shredder) nulls(p *plan, rep, def int) {
	for _, c := range p.leaves {
		s.row = append(s.row, parquet.NullValue().Level(rep, def, c))
	}
}

func (s *shredder) value(p *plan, v any, rep int) error {
	switch p.typ.kind {
	case kStruct:
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("a struct needs a JSON object, not %s", jsonKind(v))
		}
		m := s.r.index(obj)
		for _, c := range p.children {
			if err := s.optional(c, m[c.name], rep); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
		}
		return nil
	case kArray:
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("an array needs a JSON array, not %s", jsonKind(v))
		}
		if len(arr) == 0 {
			s.nulls(p, rep, p.def)
			return nil
		}
		for i, e := range arr {
			r := rep
			if i > 0 {
				r = p.rep
			}
			if err := s.optional(p.children[0], e, r); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	case kMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("a map needs a JSON object, not %s", jsonKind(v))
		}
		if len(obj) == 0 {
			s.nulls(p, rep, p.def)
			return nil
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			r := rep
			if i > 0 {
				r = p.rep
			}
			var key any = k
			if kp := p.children[0]; kp.typ.kind >= kTinyint && kp.typ.kind <= kDecimal {
				key = json.Number(k)
			}
			if err := s.value(p.children[0], key, r); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if err := s.optional(p.children[1], obj[k], r); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
		}
		return nil
	}
	val, err := s.r.leaf(p.typ, v)
	if err != nil {
		return err
	}
	s.row = append(s.row, val.Level(rep, p.def, p.col))
	return nil
}

// leaf converts a JSON value to the Parquet value of a scalar column.
func (r *reader) leaf(t *hiveType, v any) (parquet.Value, error) {
	switch t.kind {
	case kString, kVarchar, kChar:
		s, err := r.text(v)
		if err != nil {
			return parquet.Value{}, err
		}
		if t.kind != kString && utf8.RuneCountInString(s) > t.length {
			s = string([]rune(s)[:t.length])
		}
		if t.kind == kChar {
			if n := utf8.RuneCountInString(s); n < t.length {
				s += strings.Repeat(" ", t.length-n)
			}
		}
		return parquet.ByteArrayValue([]byte(s)), nil
	case kBinary:
		s, ok := v.(string)
		if !ok {
			return parquet.Value{}, fmt.Errorf("binary needs a JSON string, not %s", jsonKind(v))
		}
		return parquet.ByteArrayValue([]byte(s)), nil
	case kBoolean:
		switch x := v.(type) {
		case bool:
			return parquet.BooleanValue(x), nil
		case string:
			if !r.hive {
				switch strings.ToLower(strings.TrimSpace(x)) {
				case "true":
					return parquet.BooleanValue(true), nil
				case "false":
					return parquet.BooleanValue(false), nil
				}
			}
		}
		return parquet.Value{}, fmt.Errorf("%s is not a boolean", jsonText(v))
	case kTinyint, kSmallint, kInt, kBigint:
		bits := map[kind]int{kTinyint: 8, kSmallint: 16, kInt: 32, kBigint: 64}[t.kind]
		n, err := r.integer(v, bits)
		if err != nil {
			return parquet.Value{}, err
		}
		if bits == 64 {
			return parquet.Int64Value(n), nil
		}
		return parquet.Int32Value(int32(n)), nil
	case kFloat, kDouble:
		num, err := r.number(v)
		if err != nil {
			return parquet.Value{}, err
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s is not a number", jsonText(v))
		}
		if t.kind == kFloat {
			return parquet.FloatValue(float32(f)), nil
		}
		return parquet.DoubleValue(f), nil
	case kDecimal:
		num, err := r.number(v)
		if err != nil {
			return parquet.Value{}, err
		}
		return decimalValue(t, num)
	case kDate:
		s, ok := v.(string)
		if !ok {
			return parquet.Value{}, fmt.Errorf("a date needs a JSON string, not %s", jsonKind(v))
		}
		d, err := time.Parse("2006-1-2", strings.TrimSpace(s))
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%q is not a date (yyyy-MM-dd)", s)
		}
		return parquet.Int32Value(int32(d.Unix() / 86400)), nil
	case kTimestamp:
		var ts time.Time
		var err error
		if r.hive {
			ts, err = r.hiveTS.parse(v)
		} else {
			ts, err = openXTimestamp(v)
		}
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.Int96Value(int96(ts)), nil
	}
	return parquet.Value{}, fmt.Errorf("unexpected type kind %d", t.kind)
}

// text is a string column's value: JSON strings as they are, numbers and
// booleans as their JSON text; the OpenX SerDe also keeps nested objects
// and arrays as JSON text.
func (r *reader) text(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	if r.hive {
		return "", fmt.Errorf("the Hive JSON SerDe does not turn a JSON %s into a string", jsonKind(v))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// number returns a numeric value's text; the OpenX SerDe also reads
// numbers in strings.
func (r *reader) number(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		return string(x), nil
	case string:
		if !r.hive {
			s := strings.TrimSpace(x)
			if _, err := strconv.ParseFloat(s, 64); err == nil {
				return s, nil
			}
		} else {
			return "", fmt.Errorf("the Hive JSON SerDe does not read quoted numbers (%q)", x)
		}
	}
	return "", fmt.Errorf("%s is not a number", jsonText(v))
}

func (r *reader) integer(v any, bits int) (int64, error) {
	num, err := r.number(v)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(num, 10, bits)
	if err == nil {
		return n, nil
	}
	f, ferr := strconv.ParseFloat(num, 64)
	if ferr != nil || f != math.Trunc(f) || f < -math.Ldexp(1, bits-1) || f >= math.Ldexp(1, bits-1) {
		return 0, fmt.Errorf("%s does not fit a %d-bit integer", num, bits)
	}
	return int64(f), nil
}

// decimalValue rounds num half up to t's scale, checks its precision, and
// returns the unscaled integer in the column's physical type.
func decimalValue(t *hiveType, num string) (parquet.Value, error) {
	rat, ok := new(big.Rat).SetString(num)
	if !ok {
		return parquet.Value{}, fmt.Errorf("%s is not a decimal", num)
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.scale)), nil)
	rat.Mul(rat, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(rat.Num(), rat.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(rat.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(rat.Sign())))
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.precision)), nil)
	if new(big.Int).Abs(q).Cmp(limit) >= 0 {
		return parquet.Value{}, fmt.Errorf("%s does not fit decimal(%d,%d)", num, t.precision, t.scale)
	}
	switch {
	case t.precision <= 9:
		return parquet.Int32Value(int32(q.Int64())), nil
	case t.precision <= 18:
		return parquet.Int64Value(q.Int64()), nil
	}
	return parquet.FixedLenByteArrayValue(twosComplement(q, decimalBytes(t.precision))), nil
}

// decimalBytes is the fewest bytes whose two's complement holds every
// integer of precision digits.
func decimalBytes(precision int) int {
	return int(math.Ceil((float64(precision)*math.Log2(10) + 1) / 8))
}

func twosComplement(n *big.Int, size int) []byte {
	out := make([]byte, size)
	if n.Sign() >= 0 {
		n.FillBytes(out)
		return out
	}
	// -n = 2^(8*size) + n
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*size))
	new(big.Int).Add(mod, n).FillBytes(out)
	return out
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96 is a timestamp as Hive's Parquet writer stores it: nanoseconds of
// the day, then the Julian day number.
func int96(t time.Time) deprecated.Int96 {
	t = t.UTC()
	days := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		days--
	}
	nanos := uint64((t.Unix()-days*86400)*1e9 + int64(t.Nanosecond()))
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(days + julianUnixEpoch)}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonKind(v)
	}
	if len(b) > 64 {
		return string(b[:61]) + "..."
	}
	return string(b)
}
