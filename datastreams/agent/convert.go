package agent

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// converter turns one record into another; keep false drops the record
// (LOGTOJSON drops a line its pattern does not match, as the Kinesis Agent
// does).
type converter func(data []byte) (out []byte, keep bool)

// newConverter builds one dataProcessingOptions entry.
func newConverter(o ProcessingOption) (converter, error) {
	pretty := false
	switch o.JSONFormat {
	case "", "COMPACT":
	case "PRETTYPRINT":
		pretty = true
	default:
		return nil, fmt.Errorf("jsonFormat %q (COMPACT or PRETTYPRINT)", o.JSONFormat)
	}
	switch o.OptionName {
	case "SINGLELINE":
		return singleLine(slices.Contains(o.ParseOptions, "NO_TRIM"), slices.Contains(o.ParseOptions, "ESCAPE_NEW_LINE")), nil
	case "CSVTOJSON":
		if len(o.CustomFieldNames) == 0 {
			return nil, errors.New("CSVTOJSON needs customFieldNames")
		}
		delim := ","
		if o.Delimiter != nil {
			delim = *o.Delimiter
		}
		re, err := regexp.Compile(delim)
		if err != nil || delim == "" {
			return nil, fmt.Errorf("CSVTOJSON delimiter %q: not a usable pattern", delim)
		}
		return csvToJSON(o.CustomFieldNames, re, pretty), nil
	case "LOGTOJSON":
		p, err := newLogParser(o.LogFormat, o.MatchPattern, o.CustomFieldNames)
		if err != nil {
			return nil, err
		}
		return logToJSON(p, pretty), nil
	case "ADDMETADATA":
		stamp := o.Timestamp == true || o.Timestamp == "true"
		return addMetadata(o.Metadata, stamp, pretty, time.Now), nil
	case "ADDBRACKETS":
		return func(data []byte) ([]byte, bool) {
			out := make([]byte, 0, len(data)+2)
			out = append(append(append(out, '{'), data...), '}')
			return out, true
		}, nil
	case "ADDEC2METADATA", "USINGPLUGGIN":
		return nil, fmt.Errorf("optionName %s is not supported by shardcast agent", o.OptionName)
	default:
		return nil, fmt.Errorf("optionName %q (SINGLELINE, CSVTOJSON, LOGTOJSON, ADDMETADATA or ADDBRACKETS)", o.OptionName)
	}
}

// trimOneNewline drops one trailing "\n"; the converters that build JSON
// put it back after the object.
func trimOneNewline(b []byte) []byte {
	return bytes.TrimSuffix(b, []byte("\n"))
}

// javaSplit splits s around matches of re as Java's String.split does:
// trailing empty strings are dropped, and no match gives s itself.
func javaSplit(s string, re *regexp.Regexp) []string {
	if !re.MatchString(s) {
		return []string{s}
	}
	parts := re.Split(s, -1)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaTrim removes every character up to and including the space from
// both ends (String.trim).
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

var newlineRE = regexp.MustCompile("\n")

// singleLine joins a multi-line record into one line: each line trimmed
// (unless NO_TRIM), joined with nothing (or with the three characters
// `\\n` under ESCAPE_NEW_LINE, as the Kinesis Agent writes them), then "\n".
func singleLine(noTrim, escape bool) converter {
	sep := ""
	if escape {
		sep = `\\n`
	}
	return func(data []byte) ([]byte, bool) {
		lines := javaSplit(decodeUTF8(data), newlineRE)
		if !noTrim {
			for i := range lines {
				lines[i] = javaTrim(lines[i])
			}
		}
		return []byte(strings.Join(lines, sep) + "\n"), true
	}
}

// csvToJSON maps the columns of a delimited line to the field names in
// order; a missing column is null, extra columns are dropped.
func csvToJSON(fields []string, delim *regexp.Regexp, pretty bool) converter {
	return func(data []byte) ([]byte, bool) {
		cols := javaSplit(decodeUTF8(trimOneNewline(data)), delim)
		obj := make([]jsonField, len(fields))
		for i, name := range fields {
			obj[i].key = name
			if i < len(cols) {
				obj[i].val = cols[i]
			}
		}
		return appendJSONLine(obj, pretty), true
	}
}

// logToJSON parses a log line into named fields; a line that does not
// match is dropped.
func logToJSON(p *logParser, pretty bool) converter {
	return func(data []byte) ([]byte, bool) {
		obj, ok := p.parse(decodeUTF8(trimOneNewline(data)))
		if !ok {
			return nil, false
		}
		return appendJSONLine(obj, pretty), true
	}
}

// addMetadata wraps the record: {"ts":..., "metadata":..., "data":"line"}.
func addMetadata(metadata any, stamp, pretty bool, now func() time.Time) converter {
	return func(data []byte) ([]byte, bool) {
		var obj []jsonField
		if stamp {
			obj = append(obj, jsonField{"ts", now().UTC().Format("2006-01-02T15:04:05.000Z")})
		}
		obj = append(obj, jsonField{"metadata", metadata}, jsonField{"data", decodeUTF8(trimOneNewline(data))})
		return appendJSONLine(obj, pretty), true
	}
}

func appendJSONLine(obj []jsonField, pretty bool) []byte {
	var b []byte
	if pretty {
		b = appendPretty(nil, obj, 0)
	} else {
		b = appendCompact(nil, obj)
	}
	return append(b, '\n')
}
