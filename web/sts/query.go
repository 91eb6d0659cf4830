package sts

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// apiVersion is the only STS API version.
const apiVersion = "2011-06-15"

// Query reports whether r looks like an STS Query request to "/": a POST
// whose Content-Type is application/x-www-form-urlencoded, or a GET with
// Action in its query. It does not read the body.
func Query(r *http.Request) bool {
	if r.URL.Path != "/" && r.URL.Path != "" {
		return false
	}
	switch r.Method {
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return err == nil && mt == "application/x-www-form-urlencoded"
	case http.MethodGet:
		return r.URL.Query().Has("Action")
	}
	return false
}

// params reads a Query request's parameters: from the body of a POST, the
// URL's query of a GET. The first of repeated parameters counts.
func params(r *http.Request, body []byte) (url.Values, *apiError) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		raw = string(body)
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &apiError{Code: "MalformedQueryString", Message: "The query string is malformed: " + err.Error(), Status: http.StatusBadRequest}
	}
	return v, nil
}

// validation collects model-constraint failures the way AWS words them.
type validation struct{ msgs []string }

func (v *validation) fail(value *string, member, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	v.msgs = append(v.msgs, "Value "+shown+" at '"+member+"' failed to satisfy constraint: Member "+constraint)
}

func (v *validation) err() *apiError {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: " + v.msgs[0])
	}
	return errValidation(fmt.Sprintf("%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; ")))
}

// stringField checks an optional or required string parameter against the
// model's pattern and length bounds (in characters); it returns the value
// and whether it was present.
func (v *validation) stringField(p url.Values, name, member string, required bool, pattern *regexp.Regexp, patternText string, minLen, maxLen int) (string, bool) {
	if !p.Has(name) {
		if required {
			v.fail(nil, member, "must not be null")
		}
		return "", false
	}
	s := p.Get(name)
	if pattern != nil && !pattern.MatchString(s) {
		v.fail(&s, member, "must satisfy regular expression pattern: "+patternText)
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		v.fail(&s, member, fmt.Sprintf("must have length greater than or equal to %d", minLen))
	}
	if maxLen > 0 && n > maxLen {
		v.fail(&s, member, fmt.Sprintf("must have length less than or equal to %d", maxLen))
	}
	return s, true
}

// intField checks an optional integer parameter against its bounds; absent,
// it is def.
func (v *validation) intField(p url.Values, name, member string, lo, hi, def int) int {
	if !p.Has(name) {
		return def
	}
	s := p.Get(name)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		v.fail(&s, member, "must be a number")
		return def
	}
	if n < lo {
		v.fail(&s, member, fmt.Sprintf("must have value greater than or equal to %d", lo))
	}
	if n > hi {
		v.fail(&s, member, fmt.Sprintf("must have value less than or equal to %d", hi))
	}
	return n
}

// The model's patterns (Go's regexp has no \u escapes; the ranges are the
// same). Each is anchored: a value must match whole.
var (
	arnPatternText = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
	arnPattern     = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{0085}\x{00A0}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+$`)

	sessionNamePatternText = `[\w+=,.@-]*`
	sessionNamePattern     = regexp.MustCompile(`^[\w+=,.@-]*$`)

	policyPatternText = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	policyPattern     = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)

	externalIDPatternText = `[\w+=,.@:\/-]*`
	externalIDPattern     = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// unsupported names the parameters of features shardcast leaves out; a
// request that carries one is refused rather than half-honoured (ignoring
// PolicyArns, for one, would grant more than asked).
var unsupported = []struct{ prefix, what string }{
	{"PolicyArns.", "PolicyArns (managed session policies)"},
	{"Tags.", "Tags (session tags)"},
	{"TransitiveTagKeys.", "TransitiveTagKeys (session tags)"},
	{"SerialNumber", "SerialNumber (MFA)"},
	{"TokenCode", "TokenCode (MFA)"},
	{"SourceIdentity", "SourceIdentity"},
	{"ProvidedContexts.", "ProvidedContexts"},
}

func checkUnsupported(p url.Values) *apiError {
	for _, u := range unsupported {
		for name := range p {
			if name == u.prefix || strings.HasPrefix(name, u.prefix) && strings.HasSuffix(u.prefix, ".") {
				return errValidation(u.what + " is not supported by shardcast; see the README's security section.")
			}
		}
	}
	return nil
}

// assumeRoleInput is a validated AssumeRole request.
type assumeRoleInput struct {
	RoleArn     string
	SessionName string
	Policy      []byte // nil when absent
	Duration    int    // seconds
}

// parseAssumeRole validates AssumeRole's parameters against the model.
func parseAssumeRole(p url.Values) (assumeRoleInput, *apiError) {
	if e := checkUnsupported(p); e != nil {
		return assumeRoleInput{}, e
	}
	var v validation
	var in assumeRoleInput
	in.RoleArn, _ = v.stringField(p, "RoleArn", "roleArn", true, arnPattern, arnPatternText, 20, 2048)
	in.SessionName, _ = v.stringField(p, "RoleSessionName", "roleSessionName", true, sessionNamePattern, sessionNamePatternText, 2, 64)
	if pol, ok := v.stringField(p, "Policy", "policy", false, policyPattern, policyPatternText, 1, 2048); ok {
		in.Policy = []byte(pol)
	}
	in.Duration = v.intField(p, "DurationSeconds", "durationSeconds", 900, 43200, 3600)
	v.stringField(p, "ExternalId", "externalId", false, externalIDPattern, externalIDPatternText, 2, 1224)
	return in, v.err()
}

// parseGetSessionToken validates GetSessionToken's parameters; it returns
// the duration in seconds.
func parseGetSessionToken(p url.Values) (int, *apiError) {
	if e := checkUnsupported(p); e != nil {
		return 0, e
	}
	var v validation
	d := v.intField(p, "DurationSeconds", "durationSeconds", 900, 129600, 43200)
	return d, v.err()
}
