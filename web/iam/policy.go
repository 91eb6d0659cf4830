package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The policy language versions Parse accepts.
const (
	Version2012 = "2012-10-17" // the current one: policy variables
	Version2008 = "2008-10-17" // the old one, also assumed when Version is missing: no variables
)

// Policy is a parsed identity-based policy document, compiled for Evaluate.
// It is immutable: one Policy serves concurrent Evaluate calls.
type Policy struct {
	doc     string // the document as given, compacted
	version string
	id      string
	// Deny statements are tried first: one that applies decides the request.
	deny  []statement
	allow []statement
}

// statement is one compiled Statement element.
type statement struct {
	sid         string
	notAction   bool
	actions     []pattern // lower-cased, no variables
	notResource bool
	resources   []pattern
	vars        bool // some resource pattern has a policy variable
	conditions  []condition
}

// topElements lists the elements a policy document may have.
func topElements() []string { return []string{"Version", "Id", "Statement"} }

// statementElements lists the elements a statement may have (Principal and
// NotPrincipal only to be refused with their own message).
func statementElements() []string {
	return []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal"}
}

// Parse reads a policy document (JSON): Version "2012-10-17" or "2008-10-17"
// (missing: 2008-10-17 semantics, i.e. no policy variables), Id, Statement
// (one object or an array), each with Sid, Effect (Allow|Deny), Action or
// NotAction, Resource or NotResource (a string or an array of strings),
// Condition. Principal/NotPrincipal are refused (identity policies have
// none), as are unknown elements, an empty Action, a bad Effect, actions not
// shaped "service:Action" (wildcards allowed, "*" alone allowed), unknown
// condition operators. Errors say where (statement index or Sid, element)
// and what, in a sentence a user can act on.
func Parse(doc []byte) (*Policy, error) {
	if err := checkJSON(doc); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		return nil, fmt.Errorf("policy: not valid JSON: %w", err)
	}
	top, names, err := members(compact.Bytes())
	if err != nil {
		return nil, fmt.Errorf("policy: the document %w", err)
	}
	for _, n := range names {
		if !contains(topElements(), n) {
			return nil, fmt.Errorf("policy: unknown element %q%s; a policy has Version, Id and Statement", n, suggest(n, topElements()))
		}
	}
	p := &Policy{doc: compact.String(), version: Version2008}
	if raw, ok := top["Version"]; ok {
		if err := json.Unmarshal(raw, &p.version); err != nil || (p.version != Version2012 && p.version != Version2008) {
			return nil, fmt.Errorf("policy: Version is %s; use \"2012-10-17\" (or the older \"2008-10-17\")", raw)
		}
	}
	if raw, ok := top["Id"]; ok {
		if err := json.Unmarshal(raw, &p.id); err != nil {
			return nil, fmt.Errorf("policy: Id must be a string, not %s", describe(raw))
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("policy: no Statement element; a policy needs at least one statement")
	}
	var list []json.RawMessage
	switch trimmed := bytes.TrimSpace(raw); {
	case len(trimmed) > 0 && trimmed[0] == '{':
		list = []json.RawMessage{trimmed}
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("policy: Statement: %w", err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("policy: Statement is an empty array; a policy needs at least one statement")
		}
	default:
		return nil, fmt.Errorf("policy: Statement must be an object or an array of objects, not %s", describe(raw))
	}
	sids := map[string]int{}
	for i, sraw := range list {
		st, deny, err := parseStatement(sraw, p.version == Version2012)
		if err != nil {
			where := fmt.Sprintf("Statement[%d]", i)
			if st.sid != "" {
				where += fmt.Sprintf(" (Sid %q)", st.sid)
			}
			return nil, fmt.Errorf("policy: %s: %w", where, err)
		}
		if st.sid != "" {
			if j, dup := sids[st.sid]; dup {
				return nil, fmt.Errorf("policy: Statement[%d] and Statement[%d] both have Sid %q; Sids must be unique in a policy", j, i, st.sid)
			}
			sids[st.sid] = i
		}
		if deny {
			p.deny = append(p.deny, st)
		} else {
			p.allow = append(p.allow, st)
		}
	}
	return p, nil
}

// String returns the document as it was given (compact JSON).
func (p *Policy) String() string {
	if p == nil {
		return ""
	}
	return p.doc
}

// parseStatement compiles one statement. The returned statement carries
// its Sid even with an error, for the error's location.
func parseStatement(raw json.RawMessage, vars bool) (statement, bool, error) {
	var st statement
	m, names, err := members(raw)
	if err != nil {
		return st, false, fmt.Errorf("a statement %w", err)
	}
	if sraw, ok := m["Sid"]; ok {
		if err := json.Unmarshal(sraw, &st.sid); err != nil {
			return st, false, fmt.Errorf("%s must be a string, not %s", "Sid", describe(sraw))
		}
	}
	for _, n := range names {
		switch {
		case n == "Principal" || n == "NotPrincipal":
			return st, false, fmt.Errorf("%s is not allowed: an identity policy applies to the key it is attached to; remove %s", n, n)
		case !contains(statementElements(), n):
			return st, false, fmt.Errorf("unknown element %q%s; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, and Condition", n, suggest(n, statementElements()))
		}
	}
	var deny bool
	eraw, ok := m["Effect"]
	if !ok {
		return st, false, fmt.Errorf("no Effect; add \"Effect\": \"Allow\" or \"Deny\"")
	}
	var effect string
	if err := json.Unmarshal(eraw, &effect); err != nil {
		return st, false, fmt.Errorf("%s must be the string \"Allow\" or \"Deny\", not %s", "Effect", describe(eraw))
	}
	switch effect {
	case "Allow":
	case "Deny":
		deny = true
	default:
		return st, false, fmt.Errorf("%s %q is neither \"Allow\" nor \"Deny\"%s", "Effect", effect, suggest(effect, []string{"Allow", "Deny"}))
	}

	name, araw, err := oneOf(m, "Action", "NotAction")
	if err != nil {
		return st, deny, err
	}
	st.notAction = name == "NotAction"
	actions, err := stringList(araw)
	if err != nil {
		return st, deny, fmt.Errorf("%s %w", name, err)
	}
	for _, a := range actions {
		if err := checkAction(a); err != nil {
			return st, deny, fmt.Errorf("%s %q %w", name, a, err)
		}
		pt, _ := compilePattern(a, patternMode{wildcards: true, foldASCII: true})
		st.actions = append(st.actions, pt)
	}

	name, rraw, err := oneOf(m, "Resource", "NotResource")
	if err != nil {
		return st, deny, err
	}
	st.notResource = name == "NotResource"
	resources, err := stringList(rraw)
	if err != nil {
		return st, deny, fmt.Errorf("%s %w", name, err)
	}
	for _, r := range resources {
		if err := checkResource(r); err != nil {
			return st, deny, fmt.Errorf("%s %q %w", name, r, err)
		}
		pt, err := compilePattern(r, patternMode{wildcards: true, variables: vars})
		if err != nil {
			return st, deny, fmt.Errorf("%s %q: %w", name, r, err)
		}
		st.resources = append(st.resources, pt)
		st.vars = st.vars || pt.vars
	}

	if craw, ok := m["Condition"]; ok {
		st.conditions, err = parseConditions(craw, vars)
		if err != nil {
			return st, deny, fmt.Errorf("%s: %w", "Condition", err)
		}
	}
	return st, deny, nil
}

// oneOf returns whichever of the two elements m has, refusing both and
// neither.
func oneOf(m map[string]json.RawMessage, a, b string) (string, json.RawMessage, error) {
	ra, okA := m[a]
	rb, okB := m[b]
	switch {
	case okA && okB:
		return "", nil, fmt.Errorf("has both %s and %s; keep one", a, b)
	case okA:
		return a, ra, nil
	case okB:
		return b, rb, nil
	}
	return "", nil, fmt.Errorf("has neither %s nor %s; add one (\"*\" names everything)", a, b)
}

// checkAction refuses an action not shaped "service:Action": a service
// prefix of letters, digits and '-', a colon, an action name of letters and
// digits, either side possibly with wildcards. "*" alone is every action.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	svc, act, ok := strings.Cut(a, ":")
	if !ok || svc == "" || act == "" {
		return fmt.Errorf("is not shaped \"service:Action\" (for example \"kinesis:PutRecord\", \"kinesis:Get*\" or \"*\")")
	}
	for _, c := range svc {
		if !isAlnum(c) && c != '-' && c != '*' && c != '?' {
			return fmt.Errorf("has %q in its service prefix; a prefix has letters, digits, '-' and wildcards", c)
		}
	}
	for _, c := range act {
		if !isAlnum(c) && c != '*' && c != '?' {
			return fmt.Errorf("has %q in its action name; a name has letters, digits and wildcards", c)
		}
	}
	return nil
}

// checkResource refuses a resource that is neither "*" nor an ARN
// (arn:partition:service:region:account:resource, any part possibly with
// wildcards or variables).
func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	if !strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5 {
		return fmt.Errorf("is neither \"*\" nor an ARN (arn:partition:service:region:account:resource, for example \"arn:aws:kinesis:*:*:stream/orders\")")
	}
	return nil
}

func isAlnum(c rune) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// UsesContext reports whether deciding with p can read Request.Context
// (a statement has a condition or a policy variable): callers may leave
// the context out when it does not.
func (p *Policy) UsesContext() bool {
	if p == nil {
		return false
	}
	for _, list := range [][]statement{p.deny, p.allow} {
		for _, s := range list {
			if s.vars || len(s.conditions) > 0 {
				return true
			}
		}
	}
	return false
}
