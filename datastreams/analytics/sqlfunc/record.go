package sqlfunc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// FromJSON converts a decoded JSON value (nil, bool, float64 or
// json.Number, string, []any, map[string]any) to a column of type t,
// following KDA's JSON-to-SQL coercion rules:
//
//   - null is NULL (an error for a NOT NULL column);
//   - true/false is 1/0 for numbers, 'true'/'false' for strings, itself
//     for BOOLEAN, an error for datetimes and binaries;
//   - a number must fit a numeric column exactly (123.4 into INTEGER is an
//     error; DECIMAL rounds to its scale), becomes its text for strings,
//     FALSE when 0 and TRUE otherwise for BOOLEAN, an error for datetimes
//     and binaries;
//   - a string is parsed for numbers, datetimes (1992-02-14,
//     1992-02-14 18:35:44.0, ISO 8601), BOOLEAN (true/false in any case)
//     and binaries (X'hex', or base64), and silently truncated to a CHAR
//     or VARCHAR column's length;
//   - an array or an object is its JSON text for strings, else an error.
func FromJSON(v any, t sqltypes.Type) (sqltypes.Value, error) {
	k := t.Kind
	switch x := v.(type) {
	case nil:
		return Cast(sqltypes.NullOf(k), t)
	case bool:
		switch {
		case k.IsNumeric(), k == sqltypes.Boolean:
			return Cast(sqltypes.Bool(x), t)
		case k.IsString():
			return Cast(sqltypes.Str(strconv.FormatBool(x)), t)
		}
		return sqltypes.Value{}, fmt.Errorf("JSON boolean into %s", t)
	case float64:
		if a := math.Abs(x); a != 0 && (a >= 1e21 || a < 1e-6) {
			return numberInto(strconv.FormatFloat(x, 'g', -1, 64), t)
		}
		return numberInto(strconv.FormatFloat(x, 'f', -1, 64), t)
	case json.Number:
		return numberInto(string(x), t)
	case string:
		return textInto(x, t, false)
	case []any, map[string]any:
		if !k.IsString() {
			return sqltypes.Value{}, fmt.Errorf("JSON %s into %s", jsonKind(x), t)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("JSON %s: %w", jsonKind(x), err)
		}
		return Cast(sqltypes.Str(string(b)), t)
	}
	return sqltypes.Value{}, fmt.Errorf("unexpected JSON value %T", v)
}

// FromJSONString is FromJSON of a JSON string, without boxing it.
func FromJSONString(s string, t sqltypes.Type) (sqltypes.Value, error) { return textInto(s, t, false) }

// FromJSONNumber is FromJSON of a JSON number's text (json.Number),
// without boxing it.
func FromJSONNumber(s string, t sqltypes.Type) (sqltypes.Value, error) { return numberInto(s, t) }

func jsonKind(v any) string {
	if _, ok := v.([]any); ok {
		return "array"
	}
	return "object"
}

// numberInto converts a JSON number's text to a column.
func numberInto(s string, t sqltypes.Type) (sqltypes.Value, error) {
	k := t.Kind
	switch {
	case k.IsInteger():
		i, err := exactInt(s)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("JSON number %s into %s: %w", s, t, err)
		}
		return Cast(sqltypes.BigIntV(i), t)
	case k.IsNumeric():
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(f, 0) {
			return sqltypes.Value{}, fmt.Errorf("JSON number %s: %w", s, err)
		}
		return Cast(sqltypes.Float(f), t)
	case k.IsString():
		return Cast(sqltypes.Str(s), t)
	case k == sqltypes.Boolean:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(f, 0) {
			return sqltypes.Value{}, fmt.Errorf("JSON number %s: %w", s, err)
		}
		return sqltypes.Bool(f != 0), nil
	}
	return sqltypes.Value{}, fmt.Errorf("JSON number %s into %s", s, t)
}

// exactInt reads an integer from a number's text: 12, -3, 12.0, 1e3;
// fractions (12.5) and values beyond BIGINT are errors.
func exactInt(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return i, nil
	}
	f, err := parseFloat(t)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("%s is not a whole number", s)
	}
	if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	return int64(f), nil
}

// textInto converts a string from a record (a JSON string or a CSV field)
// to a column. In CSV an empty field is NULL for every type but the
// character strings.
func textInto(s string, t sqltypes.Type, csv bool) (sqltypes.Value, error) {
	k := t.Kind
	if csv && !k.IsString() && strings.TrimSpace(s) == "" {
		return Cast(sqltypes.NullOf(k), t)
	}
	switch {
	case k.IsInteger():
		i, err := exactInt(s)
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("%q into %s: %w", s, t, err)
		}
		return Cast(sqltypes.BigIntV(i), t)
	case k.IsBinary():
		if b, err := parseBinary(s); err == nil && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "X'") {
			return Cast(sqltypes.Bytes(b), t)
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return sqltypes.Value{}, fmt.Errorf("%q into %s: neither X'hex' nor base64", s, t)
		}
		return Cast(sqltypes.Bytes(b), t)
	case k == sqltypes.RowKind:
		return sqltypes.Value{}, fmt.Errorf("text into %s", t)
	}
	return Cast(sqltypes.Str(s), t)
}

// FromText converts a CSV field to a column of type t: as a JSON string
// converts, and an empty field is NULL for every type but CHAR and
// VARCHAR.
func FromText(s string, t sqltypes.Type) (sqltypes.Value, error) {
	return textInto(s, t, true)
}

// ToJSON is the JSON form of a value in an output record (nil for NULL):
// BOOLEAN a JSON boolean; numbers JSON numbers (a json.Number with the
// text Java writes: 84.51, 100.0, 1.0E10; NaN and the infinities, which
// JSON cannot hold, are null); character strings strings; binaries base64;
// DATE yyyy-MM-dd, TIME HH:mm:ss, TIMESTAMP yyyy-MM-dd HH:mm:ss.SSS, an
// INTERVAL d hh:mm:ss.SSS; a row value an array of its fields.
func ToJSON(v sqltypes.Value) any {
	if v.Null {
		return nil
	}
	switch v.K {
	case sqltypes.Boolean:
		return v.I != 0
	case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Integer, sqltypes.BigInt:
		return json.Number(strconv.FormatInt(v.I, 10))
	case sqltypes.Decimal, sqltypes.Real, sqltypes.Double:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			return nil
		}
		return json.Number(formatValue(v))
	case sqltypes.Binary, sqltypes.Varbinary:
		return base64.StdEncoding.EncodeToString([]byte(v.S))
	case sqltypes.RowKind:
		out := make([]any, len(v.Fields()))
		for i, f := range v.Fields() {
			out[i] = ToJSON(f)
		}
		return out
	}
	return formatValue(v)
}

// ToText is the CSV form of a value in an output record ("" for NULL):
// the text of ToJSON's values (BOOLEAN true/false, binaries base64), a
// row value its fields joined by commas in parentheses. Quoting is the
// record writer's.
func ToText(v sqltypes.Value) string {
	if v.Null {
		return ""
	}
	switch v.K {
	case sqltypes.Boolean:
		return strconv.FormatBool(v.I != 0)
	case sqltypes.Binary, sqltypes.Varbinary:
		return base64.StdEncoding.EncodeToString([]byte(v.S))
	}
	return formatValue(v)
}
