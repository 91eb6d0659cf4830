package reccodec

import (
	"encoding/json"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Encode appends one row as a record of format typ (JSON or CSV) to b:
// a JSON object keyed by the column names in order, or a CSV line.
func Encode(b []byte, typ string, cols []sqltypes.Column, row []sqltypes.Value) []byte {
	if typ == CSV {
		for i, v := range row {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCSVField(b, sqlfunc.ToText(v))
		}
		return append(b, '\n')
	}
	b = append(b, '{')
	for i, c := range cols {
		if i >= len(row) {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(c.Name)
		b = append(b, k...)
		b = append(b, ':')
		v, err := json.Marshal(sqlfunc.ToJSON(row[i]))
		if err != nil {
			v = []byte("null")
		}
		b = append(b, v...)
	}
	return append(b, '}')
}

func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
