package iam

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

var fuzzPolicies = []string{
	stmt(`{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"` + orders + `"}`),
	stmt(`[{"Sid":"A","Effect":"Allow","Action":["kinesis:Get*","firehose:*"],"Resource":"*"},{"Sid":"D","Effect":"Deny","NotAction":"kinesis:Describe?tream","NotResource":"arn:aws:kinesis:*:*:stream/home-${aws:username, 'x'}"}]`),
	`{"Version":"2008-10-17","Id":"old","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}"}}`,
	stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:userid":"AIDA*"},"NumericLessThan":{"n":5},"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"Bool":{"aws:SecureTransport":true}}}`),
	stmt(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"ForAllValues:ArnLike":{"a":"arn:aws:iam::*:user/${aws:username}"},"Null":{"x":"false"}}}`),
	stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotEqualsIgnoreCaseIfExists":{"aws:TagKeys":["A","${aws:username}"]},"DateGreaterThanEquals":{"aws:EpochTime":1700000000}}}`),
	stmt(`{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/${*}${?}${$}"}`),
}

// FuzzParse: Parse never panics, and a parsed policy's String() parses
// again to the same policy.
func FuzzParse(f *testing.F) {
	for _, doc := range fuzzPolicies {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Effect":"Deny"}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${a, 'it''s'}"}]}`))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"::ffff:10.0.0.0/104"}}}}`))
	f.Add([]byte(`nonsense`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		q, err := Parse([]byte(p.String()))
		if err != nil {
			t.Fatalf("String() %q does not parse again: %v", p.String(), err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("String() %q parses to a different policy", p.String())
		}
		for _, a := range []string{"kinesis:PutRecord", "*", ""} {
			p.Evaluate(Request{Action: a, Resource: orders, Context: map[string][]string{"aws:username": {"bob"}}})
		}
	})
}

// refMatch is a slow, obviously correct wildcard matcher: '*' takes any
// number of characters (runes, as utf8.DecodeRuneInString splits them),
// '?' one, and other pattern bytes match themselves (ASCII letters in
// either case with fold). It tries every choice, remembering which
// (pattern rest, string rest) pairs failed so stars cost no more than
// their product.
func refMatch(p, s string, fold bool) bool {
	failed := map[[2]int]bool{}
	var rec func(p, s string) bool
	rec = func(p, s string) bool {
		k := [2]int{len(p), len(s)}
		if failed[k] {
			return false
		}
		ok := refStep(p, s, fold, rec)
		if !ok {
			failed[k] = true
		}
		return ok
	}
	return rec(p, s)
}

// refStep is one step of refMatch: it looks at p's first byte and hands
// the rest to rec.
func refStep(p, s string, fold bool, rec func(p, s string) bool) bool {
	switch {
	case p == "":
		return s == ""
	case p[0] == '*':
		for k := 0; ; {
			if rec(p[1:], s[k:]) {
				return true
			}
			if k == len(s) {
				return false
			}
			_, w := utf8.DecodeRuneInString(s[k:])
			k += w
		}
	case p[0] == '?':
		if s == "" {
			return false
		}
		_, w := utf8.DecodeRuneInString(s)
		return rec(p[1:], s[w:])
	}
	if s == "" {
		return false
	}
	a, b := p[0], s[0]
	if fold {
		a, b = lowerByte(a), lowerByte(b)
	}
	return a == b && rec(p[1:], s[1:])
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// FuzzMatch: the compiled matcher agrees with refMatch.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"kinesis:Get*", "kinesis:GetRecords"},
		{"KINESIS:get*", "kinesis:GetRecords"},
		{"arn:aws:kinesis:*:*:stream/ord*", orders},
		{"*a*b*c", "xxaxxbxxcxxc"},
		{"a?c", "aéc"},
		{"*?", "é"},
		{"\xc3*", "é"},
		{"**?*", ""},
		{"*", ""},
		{"", ""},
		{"a*b?d", "abbbcd"},
	} {
		f.Add(s[0], s[1], true)
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		if len(pat) > 256 || len(s) > 1024 {
			return // refMatch costs len(pat) * len(s) * len(s)
		}
		p, err := compilePattern(pat, patternMode{wildcards: true, foldASCII: fold})
		if err != nil {
			t.Fatalf("compilePattern(%q): %v", pat, err)
		}
		got, want := p.match(s, fold, nil), refMatch(pat, s, fold)
		if got != want {
			t.Fatalf("match(%q, %q, fold %v) = %v, reference says %v", pat, s, fold, got, want)
		}
		all := pat != ""
		for i := 0; i < len(pat); i++ {
			all = all && pat[i] == '*'
		}
		if p.all != all {
			t.Fatalf("%q: all = %v", pat, p.all)
		}
	})
}

// FuzzEvaluate: Evaluate never panics; Decide with a nil policy alone is
// Allow; adding a Deny-all policy always gives ExplicitDeny.
func FuzzEvaluate(f *testing.F) {
	for _, doc := range fuzzPolicies {
		f.Add([]byte(doc), "kinesis:PutRecord", orders, "aws:username", "bob")
		f.Add([]byte(doc), "kinesis:GetRecords", "*", "aws:SourceIp", "10.1.2.3")
		f.Add([]byte(doc), "KINESIS:DescribeStream", "arn:aws:kinesis:us-east-1:0:stream/home-x", "aws:CurrentTime", "2026-01-01T00:00:00Z")
		f.Add([]byte(doc), "firehose:PutRecord", clicks, "aws:TagKeys", "a")
	}
	denyAll := mustParse(f, stmt(`{"Effect":"Deny","Action":"*","Resource":"*"}`))
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, key, value string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		req := Request{Action: action, Resource: resource, Context: map[string][]string{key: {value}, "aws:username": {value}}}
		d := p.Evaluate(req)
		if d != ImplicitDeny && d != Allow && d != ExplicitDeny {
			t.Fatalf("Evaluate returned %d", d)
		}
		if got := Decide(req, p); got != d {
			t.Fatalf("Decide(p) = %v, Evaluate = %v", got, d)
		}
		if got := Decide(req, nil); got != Allow {
			t.Fatalf("Decide(nil) = %v", got)
		}
		if got := Decide(req, p, denyAll); got != ExplicitDeny {
			t.Fatalf("Decide(p, denyAll) = %v", got)
		}
		if got := Decide(req, denyAll, nil, p); got != ExplicitDeny {
			t.Fatalf("Decide(denyAll, nil, p) = %v", got)
		}
	})
}
