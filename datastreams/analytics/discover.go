package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/analytics/reccodec"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// DiscoverInput is DiscoverInputSchema's input: a stream, or an object.
type DiscoverInput struct {
	ResourceARN string
	Start       string // InputStartingPosition; "" is NOW
	Bucket, Key string // S3Configuration, when set
}

// DiscoverOutput is what DiscoverInputSchema infers and what it read.
type DiscoverOutput struct {
	InputSchema           SourceSchema `json:"InputSchema"`
	ParsedInputRecords    [][]string   `json:"ParsedInputRecords"`
	ProcessedInputRecords []string     `json:"ProcessedInputRecords"`
	RawInputRecords       []string     `json:"RawInputRecords"`
}

// discoverSample bounds the records discovery reads.
const discoverSample = 100

// Discover infers a schema from a stream's records (from the starting
// position, TRIM_HORIZON by default as a fresh stream's samples are
// there) or from an object's lines.
func (m *Manager) Discover(ctx context.Context, in DiscoverInput) (DiscoverOutput, error) {
	var recs [][]byte
	if in.Bucket != "" {
		if m.cfg.Objects == nil {
			return DiscoverOutput{}, errorf(ErrUnsupported, "This server has no object store.")
		}
		body, err := m.cfg.Objects.Get(ctx, in.Bucket, in.Key)
		if err != nil {
			return DiscoverOutput{}, errorf(registry.ErrInvalidArgument, "Could not read s3://%s/%s: %v", in.Bucket, in.Key, err)
		}
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			if line = bytes.TrimRight(line, "\r"); len(bytes.TrimSpace(line)) > 0 && len(recs) < discoverSample {
				recs = append(recs, line)
			}
		}
	} else {
		var err error
		if recs, err = m.sample(ctx, in.ResourceARN, in.Start); err != nil {
			return DiscoverOutput{}, err
		}
	}
	raw := make([]string, len(recs))
	for i, r := range recs {
		raw[i] = string(r)
	}
	if len(recs) == 0 {
		return DiscoverOutput{}, &SchemaError{Message: "No records were found to infer a schema from.", Raw: raw, Processed: raw}
	}
	out, ok := inferJSON(recs)
	if !ok {
		out, ok = inferCSV(recs)
	}
	if !ok {
		return DiscoverOutput{}, &SchemaError{Message: "Unable to detect a schema: the records are neither JSON objects nor delimited text.", Raw: raw, Processed: raw}
	}
	out.RawInputRecords, out.ProcessedInputRecords = raw, raw
	return out, nil
}

// sample reads up to discoverSample records of a stream.
func (m *Manager) sample(ctx context.Context, arn, start string) ([][]byte, error) {
	if name, ok := firehoseName(arn); ok {
		return m.sampleDelivery(ctx, arn, name, start)
	}
	shards, err := m.streamShards(arn)
	if err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "Kinesis stream %s is not accessible: %v", arn, err)
	}
	ref := datastreams.StreamRef{ARN: arn}
	var recs [][]byte
	for _, sh := range shards {
		typ := datastreams.TrimHorizon
		var ts *time.Time
		if start == StartNow {
			// NOW would find nothing in a stream already written; look
			// back a little, as a console does with its sample.
			t := m.cfg.Now().Add(-time.Minute)
			typ, ts = datastreams.AtTimestamp, &t
		}
		it, err := m.cfg.Streams.GetShardIterator(ctx, ref, sh.ID, typ, "", ts)
		if err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "Kinesis stream %s is not accessible: %v", arn, err)
		}
		for it != "" && len(recs) < discoverSample {
			out, err := m.cfg.Streams.GetRecords(ctx, it, discoverSample-len(recs))
			if err != nil {
				return nil, err
			}
			for _, r := range out.Records {
				recs = append(recs, r.Data)
			}
			if len(out.Records) == 0 {
				break
			}
			it = out.NextShardIterator
		}
	}
	return recs, nil
}

// sampleDelivery reads up to discoverSample records of a delivery stream:
// from a minute ago for NOW, else from its oldest record kept.
func (m *Manager) sampleDelivery(ctx context.Context, arn, name, start string) ([][]byte, error) {
	if m.cfg.FirehoseInputs == nil {
		return nil, errorf(ErrUnsupported, "This server has no delivery streams to read.")
	}
	from := uint64(0)
	if start == StartNow {
		n, err := m.cfg.FirehoseInputs.SeekLog(ctx, name, m.cfg.Now().Add(-time.Minute))
		if err != nil {
			return nil, errorf(registry.ErrInvalidArgument, "Firehose delivery stream %s is not accessible: %v", arn, err)
		}
		from = n
	}
	const reader = "DiscoverInputSchema"
	defer m.cfg.FirehoseInputs.ReleaseLog(context.WithoutCancel(ctx), name, reader)
	got, err := m.cfg.FirehoseInputs.ReadLog(ctx, name, reader, from, discoverSample)
	if err != nil {
		return nil, errorf(registry.ErrInvalidArgument, "Firehose delivery stream %s is not accessible: %v", arn, err)
	}
	recs := make([][]byte, len(got))
	for i, r := range got {
		recs[i] = r.Data
	}
	return recs, nil
}

// colInfo is what the sample says about one column.
type colInfo struct {
	name, mapping string
	kinds         map[string]bool // "int", "bigint", "real", "double", "bool", "ts", "string", "json"
	maxLen        int
}

func (c *colInfo) see(v any) {
	switch x := v.(type) {
	case nil:
	case bool:
		c.kinds["bool"] = true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			if n >= math.MinInt32 && n <= math.MaxInt32 {
				c.kinds["int"] = true
			} else {
				c.kinds["bigint"] = true
			}
		} else {
			c.kinds["real"] = true
		}
	case string:
		if _, err := time.Parse("2006-01-02 15:04:05", strings.TrimSuffix(x, ".0")); err == nil {
			c.kinds["ts"] = true
		} else if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			c.kinds["ts"] = true
		} else {
			c.kinds["string"] = true
		}
		c.maxLen = max(c.maxLen, len([]rune(x)))
	default:
		b, _ := json.Marshal(x)
		c.kinds["json"] = true
		c.maxLen = max(c.maxLen, len(b))
	}
}

// sqlType chooses the narrowest type that holds every sample value.
func (c *colInfo) sqlType() string {
	k := c.kinds
	switch {
	case len(k) == 0:
		return "VARCHAR(16)"
	case len(k) == 1 && k["bool"]:
		return "BOOLEAN"
	case len(k) == 1 && k["ts"]:
		return "TIMESTAMP"
	case !k["string"] && !k["json"] && !k["bool"] && !k["ts"]:
		switch {
		case k["real"]:
			return "REAL"
		case k["bigint"]:
			return "BIGINT"
		}
		return "INTEGER"
	}
	n := 1
	for n < c.maxLen {
		n *= 2
	}
	return fmt.Sprintf("VARCHAR(%d)", n)
}

// inferJSON infers the columns of JSON object records: one column per
// member, nested objects flattened to their leaves.
func inferJSON(recs [][]byte) (DiscoverOutput, bool) {
	byPath := map[string]*colInfo{}
	var order []string
	var docs []map[string]any
	for _, r := range recs {
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		var doc map[string]any
		if d.Decode(&doc) != nil {
			return DiscoverOutput{}, false
		}
		docs = append(docs, doc)
		var walk func(prefix, name string, v any)
		walk = func(prefix, name string, v any) {
			if obj, ok := v.(map[string]any); ok && prefix != "" {
				keys := sortedKeys(obj)
				for _, k := range keys {
					walk(prefix+jsonStep(k), k, obj[k])
				}
				return
			}
			c := byPath[prefix]
			if c == nil {
				c = &colInfo{name: name, mapping: prefix, kinds: map[string]bool{}}
				byPath[prefix] = c
				order = append(order, prefix)
			}
			c.see(v)
		}
		for _, k := range docKeys(r, doc) {
			walk("$"+jsonStep(k), k, doc[k])
		}
	}
	out := DiscoverOutput{InputSchema: SourceSchema{RecordEncoding: "UTF-8",
		RecordFormat: &RecordFormat{RecordFormatType: "JSON", MappingParameters: &MappingParameters{JSONMappingParameters: &JSONMappingParameters{RecordRowPath: "$"}}}}}
	names := map[string]bool{}
	for i, p := range order {
		c := byPath[p]
		name := columnName(c.name, i)
		for names[name] {
			name += "_" + strconv.Itoa(i)
		}
		names[name] = true
		out.InputSchema.RecordColumns = append(out.InputSchema.RecordColumns, RecordColumn{Name: name, Mapping: p, SqlType: c.sqlType()})
	}
	for _, doc := range docs {
		var row []string
		for _, p := range order {
			row = append(row, textAt(doc, p))
		}
		out.ParsedInputRecords = append(out.ParsedInputRecords, row)
	}
	return out, len(order) > 0
}

// docKeys lists an object's members in the order the record has them.
func docKeys(raw []byte, doc map[string]any) []string {
	d := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	seen := map[string]bool{}
	depth := 0
	expectKey := false
	for {
		t, err := d.Token()
		if err != nil {
			break
		}
		switch v := t.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				depth++
				expectKey = v == '{' && depth == 1
				continue
			case '}', ']':
				depth--
			}
			expectKey = depth == 1
			continue
		case string:
			if depth == 1 && expectKey {
				if !seen[v] {
					keys = append(keys, v)
					seen[v] = true
				}
				expectKey = false
				continue
			}
		}
		expectKey = depth == 1
	}
	if len(keys) != len(doc) {
		return sortedKeys(doc)
	}
	return keys
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonStep is the JSONPath step to a member: .name, or ['name'] when
// the name has other characters than letters, digits and underscores.
func jsonStep(k string) string {
	for _, r := range k {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') || strings.ContainsAny(k, "'") {
			return "['" + k + "']"
		}
	}
	return "." + k
}

func textAt(doc map[string]any, path string) string {
	p, err := reccodec.ParsePath(path)
	if err != nil {
		return ""
	}
	v, _ := p.Lookup(doc)
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// inferCSV infers the columns of comma-separated lines: COL_1, COL_2, ...
func inferCSV(recs [][]byte) (DiscoverOutput, bool) {
	var cols []*colInfo
	out := DiscoverOutput{}
	for _, r := range recs {
		fields := strings.Split(string(r), ",")
		for len(cols) < len(fields) {
			cols = append(cols, &colInfo{name: fmt.Sprintf("COL_%d", len(cols)+1), kinds: map[string]bool{}})
		}
		for i, f := range fields {
			var v any = f
			if _, err := strconv.ParseFloat(f, 64); err == nil {
				v = json.Number(f)
			}
			cols[i].see(v)
		}
		out.ParsedInputRecords = append(out.ParsedInputRecords, fields)
	}
	if len(cols) == 0 {
		return out, false
	}
	out.InputSchema = SourceSchema{RecordEncoding: "UTF-8", RecordFormat: &RecordFormat{RecordFormatType: "CSV",
		MappingParameters: &MappingParameters{CSVMappingParameters: &CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}}}
	for _, c := range cols {
		out.InputSchema.RecordColumns = append(out.InputSchema.RecordColumns, RecordColumn{Name: c.name, SqlType: c.sqlType()})
	}
	return out, true
}

// reserved are SQL words a discovered column may not be named.
var reserved = map[string]bool{
	"ALL": true, "AND": true, "AS": true, "BETWEEN": true, "BY": true, "CASE": true, "CAST": true, "CHAR": true,
	"COUNT": true, "CREATE": true, "CURRENT": true, "DATE": true, "DAY": true, "DEFAULT": true, "DELETE": true,
	"DISTINCT": true, "ELSE": true, "END": true, "EXISTS": true, "FALSE": true, "FLOAT": true, "FOR": true,
	"FROM": true, "FULL": true, "GROUP": true, "HAVING": true, "HOUR": true, "IN": true, "INNER": true,
	"INSERT": true, "INT": true, "INTEGER": true, "INTERVAL": true, "INTO": true, "IS": true, "JOIN": true,
	"LEFT": true, "LIKE": true, "MAX": true, "MIN": true, "MINUTE": true, "MONTH": true, "NOT": true,
	"NULL": true, "OF": true, "ON": true, "OR": true, "ORDER": true, "OUTER": true, "OVER": true,
	"PARTITION": true, "POSITION": true, "RANGE": true, "RIGHT": true, "ROW": true, "ROWS": true,
	"ROWTIME": true, "SECOND": true, "SELECT": true, "SET": true, "STREAM": true, "SUM": true, "TABLE": true,
	"THEN": true, "TIME": true, "TIMESTAMP": true, "TO": true, "TRUE": true, "UNION": true, "UPDATE": true,
	"USER": true, "VALUE": true, "VALUES": true, "WHEN": true, "WHERE": true, "WINDOW": true, "WITH": true,
	"YEAR": true,
}

// columnName makes a member's name a column name as discovery does:
// characters other than letters, digits and underscores dropped, and
// COL_ put before a reserved word, a name that starts with a digit, one
// over 100 characters or one with characters dropped (COL_<i> when
// nothing is left).
func columnName(name string, i int) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			b.WriteRune(r)
		}
	}
	clean := b.String()
	switch {
	case clean == "":
		return "COL_" + strconv.Itoa(i)
	case clean != name, reserved[strings.ToUpper(clean)], clean[0] >= '0' && clean[0] <= '9':
		clean = "COL_" + clean
	}
	if len(clean) > 100 {
		clean = "COL_" + clean[:96]
	}
	return clean
}
