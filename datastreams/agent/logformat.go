package agent

import (
	"errors"
	"fmt"
	"regexp"
)

// The LOGTOJSON formats: the regular expressions and field names the
// Kinesis Agent matches each format with (a whole line must match).
const (
	reInt      = `(?:[+-]?(?:[0-9]+))`
	rePosInt   = `(?:[1-9][0-9]*)`
	reNonNeg   = `(?:[0-9]+)`
	reWord     = `\w+`
	reNoQuote  = `[^"]+`
	reIP       = `(?:[\d\.]+)`
	reHostname = `(?:[\w\-]+)(?:\.(?:[\w\-]+))*(?:\.?|\b)`
	reIPOrHost = `(?:` + reHostname + `|` + reIP + `)`
	reURIHost  = `(?:` + reIPOrHost + `(?::` + rePosInt + `)?)`
	reUser     = `(?:[a-zA-Z0-9._-]+)`
	reMonthDay = `(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])`
	reDay      = `(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)`
	reMonth    = `\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b`
	reYear     = `(?:[1-9]\d*)`
	reTime     = `(?:(?:2[0123]|[01]?[0-9]):(?:[0-5][0-9]):(?:(?:[0-5]?[0-9]|60)(?:[:\.,][0-9]+)?))`
	reHTTPDate = `(?:` + reMonthDay + `/` + reMonth + `/` + reYear + `:` + reTime + `\s` + reInt + `)`
	reErrDate  = `(?:` + reDay + `\s+` + reMonth + `\s+` + reMonthDay + `\s+` + reTime + `\s+` + reYear + `)`
	reSyslogTS = `(?:` + reMonth + `\s+` + reMonthDay + `\s+` + reTime + `)`
	reRFC3339  = `(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:Z|(?:[-+]\d{2}:\d{2}))`
	reFacility = `<` + reNonNeg + `.` + reNonNeg + `>`
	reProg     = `([\w\._/%-]+)(?:\[(` + rePosInt + `)\])?`

	reCommonLog = `^(` + reIPOrHost + `) (` + reUser + `) (` + reUser + `) \[(` + reHTTPDate + `)\] "(` + reNoQuote + `)" (` + reInt + `|\-) (` + reInt + `|\-)`
	reCombined  = reCommonLog + ` "(` + reNoQuote + `)" "(` + reNoQuote + `)"`
	reErrorLog  = `^\[(` + reErrDate + `)\] \[(?:(` + reWord + `):)?(` + reWord + `)\] \[pid (` + reNonNeg + `)(?::tid (` + reNonNeg + `))?\] \[client (` + reURIHost + `)\] (.*)`
	reSyslog    = `^(` + reSyslogTS + `) (?:` + reFacility + ` )?(` + reUser + `) ` + reProg + `: (.*)`
	reRFCSyslog = `^(` + reRFC3339 + `) (?:` + reFacility + ` )?(` + reUser + `) ` + reProg + `: (.*)`
)

var (
	commonFields   = []string{"host", "ident", "authuser", "datetime", "request", "response", "bytes"}
	combinedFields = append(append([]string(nil), commonFields...), "referer", "agent")
	errorFields    = []string{"timestamp", "module", "severity", "processid", "threadid", "client", "message"}
	syslogFields   = []string{"timestamp", "hostname", "program", "processid", "message"}
)

// logParser matches whole lines and names the groups.
type logParser struct {
	re     *regexp.Regexp
	fields []string
	// dashIsNull: the Apache formats write "-" for a missing value; the
	// agent turns it into null.
	dashIsNull bool
}

func newLogParser(format, matchPattern string, custom []string) (*logParser, error) {
	var pattern string
	var fields []string
	p := &logParser{}
	switch format {
	case "COMMONAPACHELOG":
		pattern, fields, p.dashIsNull = reCommonLog+`.*`, commonFields, true
	case "COMBINEDAPACHELOG":
		pattern, fields, p.dashIsNull = reCombined+`.*`, combinedFields, true
	case "APACHEERRORLOG":
		pattern, fields, p.dashIsNull = reErrorLog, errorFields, true
	case "SYSLOG":
		pattern, fields = reSyslog, syslogFields
	case "RFC3339SYSLOG":
		pattern, fields = reRFCSyslog, syslogFields
	default:
		return nil, fmt.Errorf("logFormat %q (COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG, SYSLOG or RFC3339SYSLOG)", format)
	}
	switch {
	case matchPattern != "" && len(custom) == 0:
		return nil, errors.New("LOGTOJSON: matchPattern needs customFieldNames")
	case matchPattern != "":
		pattern, fields = matchPattern, custom
	case len(custom) > 0:
		if len(custom) != len(fields) {
			return nil, fmt.Errorf("LOGTOJSON: %s has %d fields, customFieldNames names %d (or give a matchPattern)", format, len(fields), len(custom))
		}
		fields = custom
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("LOGTOJSON: matchPattern: %w", err)
	}
	if re.NumSubexp() != len(fields) {
		return nil, fmt.Errorf("LOGTOJSON: the pattern has %d groups, %d field names", re.NumSubexp(), len(fields))
	}
	p.re, p.fields = re, fields
	return p, nil
}

func (p *logParser) parse(line string) ([]jsonField, bool) {
	m := p.re.FindStringSubmatchIndex(line)
	if m == nil {
		return nil, false
	}
	obj := make([]jsonField, len(p.fields))
	for i, name := range p.fields {
		obj[i].key = name
		lo, hi := m[2*i+2], m[2*i+3]
		if lo < 0 {
			continue
		}
		v := line[lo:hi]
		if p.dashIsNull && v == "-" {
			continue
		}
		obj[i].val = v
	}
	return obj, true
}
