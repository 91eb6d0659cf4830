package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// CodeMetadataExtraction is the error code of records whose partition keys
// could not be extracted.
const CodeMetadataExtraction = "DynamicPartitioning.MetadataExtractionFailed"

// queryTimeout bounds one record's query (a query can loop forever).
const queryTimeout = 10 * time.Second

// query is a compiled MetadataExtraction query.
type query struct {
	code *gojq.Code
}

func newQuery(m map[string]string) (*query, error) {
	if err := checkKnown(TypeMetadataExtraction, m, "MetadataExtractionQuery", "JsonParsingEngine"); err != nil {
		return nil, err
	}
	if e, ok := m["JsonParsingEngine"]; ok && e != "JQ-1.6" {
		return nil, fmt.Errorf("processor MetadataExtraction: JsonParsingEngine %q is not JQ-1.6", e)
	}
	src := m["MetadataExtractionQuery"]
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("processor MetadataExtraction needs MetadataExtractionQuery (for example {customer_id:.customer_id})")
	}
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("processor MetadataExtraction: MetadataExtractionQuery %q does not parse: %w", src, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("processor MetadataExtraction: MetadataExtractionQuery %q does not compile: %w", src, err)
	}
	return &query{code: code}, nil
}

// extract runs the query on the record and merges the resulting object's
// members into the record's partition keys.
func (q *query) extract(it item) ([]item, *Failed) {
	keys, err := q.keys(it.rec.Data)
	if err != nil {
		f := it.fail(OutputProcessingFailed, CodeMetadataExtraction, err.Error())
		return nil, &f
	}
	merged := copyKeys(it.rec.PartitionKeys)
	if merged == nil {
		merged = make(map[string]string, len(keys))
	}
	for k, v := range keys {
		merged[k] = v
	}
	it.rec.PartitionKeys = merged
	return []item{it}, nil
}

func (q *query) keys(data []byte) (map[string]string, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("the record is not a JSON document: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	iter := q.code.RunWithContext(ctx, v)
	res, ok := iter.Next()
	if !ok {
		return nil, fmt.Errorf("the query returned nothing")
	}
	if err, isErr := res.(error); isErr {
		return nil, fmt.Errorf("the query failed: %w", err)
	}
	obj, isObj := res.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("the query returned %s, not an object", jqType(res))
	}
	if len(obj) == 0 {
		return nil, fmt.Errorf("the query returned an empty object")
	}
	out := make(map[string]string, len(obj))
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s, err := keyValue(obj[k])
		if err != nil {
			return nil, fmt.Errorf("partition key %q: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// keyValue turns a query result member into a partition key value.
func keyValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", fmt.Errorf("the value is null (is the field missing from the record?)")
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10), nil
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case *big.Int:
		return v.String(), nil
	}
	return "", fmt.Errorf("the value is %s; a partition key must be a string, number or boolean", jqType(v))
}

func jqType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// decodeJSON decodes one JSON document into gojq's value types, keeping
// integers exact: documents with long digit runs take the slower path that
// keeps numbers as text.
func decodeJSON(data []byte) (any, error) {
	var v any
	if !longDigits(data) {
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid character after top-level value")
	}
	return normalize(v), nil
}

// longDigits reports whether data holds a run of more than 15 digits (a
// number float64 may not hold exactly).
func longDigits(data []byte) bool {
	run := 0
	for _, c := range data {
		if c >= '0' && c <= '9' {
			run++
			if run > 15 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		if b, ok := new(big.Int).SetString(string(v), 10); ok {
			return b
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
		return v
	}
	return v
}
