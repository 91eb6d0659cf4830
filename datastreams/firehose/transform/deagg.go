package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Error codes of RecordDeAggregation failures (ours; AWS documents none).
const (
	CodeDeAggInvalidJSON = "RecordDeAggregation.InvalidJson"
	CodeDeAggTooMany     = "RecordDeAggregation.TooManySubRecords"
)

func (c deAggConfig) split(it item) ([]item, *Failed) {
	var parts [][]byte
	var err error
	if c.delimited {
		parts, err = splitDelimited(it.rec.Data, c.delimiter)
	} else {
		parts, err = splitJSON(it.rec.Data)
	}
	if err != nil {
		code := CodeDeAggInvalidJSON
		if errors.Is(err, errTooMany) {
			code = CodeDeAggTooMany
		}
		f := it.fail(OutputProcessingFailed, code, err.Error())
		return nil, &f
	}
	out := make([]item, len(parts))
	for i, p := range parts {
		out[i] = it.child(i, p)
	}
	return out, nil
}

var errTooMany = fmt.Errorf("the record holds more than %d sub-records", MaxSubRecords)

// splitJSON splits consecutive JSON objects ({"a":1}{"a":2}, or one object
// a line). Anything but objects (an array, a number, broken JSON) makes the
// whole record invalid. Each part keeps its bytes as they were.
func splitJSON(data []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var parts [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sub-record %d is not valid JSON: %w", len(parts)+1, err)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("sub-record %d is not a JSON object (it starts with %q)", len(parts)+1, raw[0])
		}
		if len(parts) == MaxSubRecords {
			return nil, errTooMany
		}
		parts = append(parts, []byte(raw))
	}
	if len(parts) == 0 {
		return nil, errors.New("the record holds no JSON object")
	}
	return parts, nil
}

// splitDelimited splits data at each delimiter; a delimiter at the very end
// closes the last sub-record rather than opening an empty one.
func splitDelimited(data, delim []byte) ([][]byte, error) {
	parts := bytes.Split(data, delim)
	if len(parts) > 1 && len(parts[len(parts)-1]) == 0 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > MaxSubRecords {
		return nil, errTooMany
	}
	return parts, nil
}
