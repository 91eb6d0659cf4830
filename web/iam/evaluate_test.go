package iam

import (
	"testing"
)

const (
	orders = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
	clicks = "arn:aws:kinesis:us-east-1:000000000000:stream/clicks"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

type check struct {
	action, resource string
	ctx              map[string][]string
	want             Decision
}

func runChecks(t *testing.T, p *Policy, checks []check) {
	t.Helper()
	for _, c := range checks {
		req := Request{Action: c.action, Resource: c.resource, Context: c.ctx}
		if got := p.Evaluate(req); got != c.want {
			t.Errorf("%s on %s with %v: got %v, want %v", c.action, c.resource, c.ctx, got, c.want)
		}
	}
}

func TestEvaluateStatements(t *testing.T) {
	for _, tc := range []struct {
		name   string
		doc    string
		checks []check
	}{
		{"allow one action on one stream", stmt(`{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"` + orders + `"}`), []check{
			{"kinesis:PutRecord", orders, nil, Allow},
			{"KINESIS:putrecord", orders, nil, Allow},
			{"kinesis:PutRecords", orders, nil, ImplicitDeny},
			{"kinesis:PutRecord", clicks, nil, ImplicitDeny},
			{"kinesis:PutRecord", "*", nil, ImplicitDeny},
			{"kinesisvideo:PutRecord", orders, nil, ImplicitDeny},
		}},
		{"wildcards", stmt(`{"Effect":"Allow","Action":["kinesis:Get*","kinesis:?escribeStream"],"Resource":"arn:aws:kinesis:*:000000000000:stream/ord*"}`), []check{
			{"kinesis:GetRecords", orders, nil, Allow},
			{"kinesis:getshardIterator", orders, nil, Allow},
			{"kinesis:DescribeStream", orders, nil, Allow},
			{"kinesis:DescribeStreamSummary", orders, nil, ImplicitDeny},
			{"kinesis:GetRecords", clicks, nil, ImplicitDeny},
			{"kinesis:GetRecords", "arn:aws:kinesis:eu-west-1:000000000000:stream/orders-2", nil, Allow},
			{"kinesis:GetRecords", "arn:aws:kinesis:us-east-1:000000000000:stream/Orders", nil, ImplicitDeny}, // resources keep case
			{"kinesis:GetRecords", orders + "/consumer/c:1", nil, Allow},                                      // '*' crosses '/' and ':'
		}},
		{"star resource matches a call naming none", stmt(`{"Effect":"Allow","Action":"kinesis:ListStreams","Resource":"*"}`), []check{
			{"kinesis:ListStreams", "*", nil, Allow},
			{"kinesis:ListStreams", orders, nil, Allow},
		}},
		{"a pattern other than star does not match a call naming none", stmt(`{"Effect":"Allow","Action":"*","Resource":["arn:*:*:*:*:*","arn:aws:kinesis:*:*:*"]}`), []check{
			{"kinesis:ListStreams", "*", nil, ImplicitDeny},
			{"kinesis:ListStreams", orders, nil, Allow},
		}},
		{"explicit deny wins", stmt(`[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"},{"Effect":"Deny","Action":"kinesis:DeleteStream","Resource":"` + orders + `"}]`), []check{
			{"kinesis:DeleteStream", orders, nil, ExplicitDeny},
			{"kinesis:DeleteStream", clicks, nil, Allow},
			{"kinesis:PutRecord", orders, nil, Allow},
		}},
		{"deny first in the document wins too", stmt(`[{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]`), []check{
			{"kinesis:PutRecord", orders, nil, ExplicitDeny},
			{"kinesis:ListStreams", "*", nil, ExplicitDeny},
		}},
		{"NotAction", stmt(`{"Effect":"Allow","NotAction":["kinesis:Delete*","kinesis:*StreamMode"],"Resource":"*"}`), []check{
			{"kinesis:PutRecord", orders, nil, Allow},
			{"firehose:PutRecord", orders, nil, Allow},
			{"kinesis:DeleteStream", orders, nil, ImplicitDeny},
			{"kinesis:UpdateStreamMode", orders, nil, ImplicitDeny},
		}},
		{"NotResource in a Deny", stmt(`[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kinesis:*","NotResource":"` + orders + `"}]`), []check{
			{"kinesis:PutRecord", orders, nil, Allow},
			{"kinesis:PutRecord", clicks, nil, ExplicitDeny},
			{"kinesis:ListStreams", "*", nil, ExplicitDeny},
			{"firehose:PutRecord", clicks, nil, Allow},
		}},
		{"service wildcard", stmt(`{"Effect":"Allow","Action":"kinesis*:Get*","Resource":"*"}`), []check{
			{"kinesisvideo:GetMedia", "*", nil, Allow},
			{"kinesis:GetRecords", "*", nil, Allow},
			{"firehose:GetRecords", "*", nil, ImplicitDeny},
		}},
		{"star action", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), []check{
			{"admin:Anything", "*", nil, Allow},
			{"", "*", nil, Allow},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runChecks(t, mustParse(t, tc.doc), tc.checks)
		})
	}
}

func TestEvaluateVariables(t *testing.T) {
	p := mustParse(t, stmt(`{"Effect":"Allow","Action":"kinesis:*","Resource":[
		"arn:aws:kinesis:*:*:stream/home-${aws:username}",
		"arn:aws:kinesis:*:*:stream/team-${aws:PrincipalTag/team, 'none'}",
		"arn:aws:kinesis:*:*:stream/lit-${*}${?}${$}"]}`))
	bob := map[string][]string{"aws:username": {"bob"}}
	runChecks(t, p, []check{
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-bob", bob, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-bob", map[string][]string{"AWS:UserName": {"bob"}}, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-alice", bob, ImplicitDeny},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-", nil, ImplicitDeny},                                                  // missing key: no match
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-bob", map[string][]string{"aws:username": {"bob", "x"}}, ImplicitDeny}, // two values: no match
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/team-none", nil, Allow},                                                     // default
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/team-red", map[string][]string{"aws:principaltag/team": {"red"}}, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/team-none", map[string][]string{"aws:principaltag/team": {"red"}}, ImplicitDeny},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/lit-*?$", nil, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/lit-ab$", nil, ImplicitDeny}, // escapes are literal, not wildcards
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-*", map[string][]string{"aws:username": {"*"}}, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/home-bob", map[string][]string{"aws:username": {"*"}}, ImplicitDeny}, // a value is literal
	})

	// Under 2008-10-17 the same text is literal.
	old := mustParse(t, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}"}}`)
	runChecks(t, old, []check{
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/bob", bob, ImplicitDeny},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/${aws:username}", bob, Allow},
	})

	// A variable whose key is missing makes NotResource's pattern match
	// nothing, so the statement applies.
	notRes := mustParse(t, stmt(`[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:kinesis:*:*:stream/${aws:username}"}]`))
	runChecks(t, notRes, []check{
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/bob", bob, Allow},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/alice", bob, ExplicitDeny},
		{"kinesis:PutRecord", "arn:aws:kinesis:us-east-1:0:stream/bob", nil, ExplicitDeny},
	})
}

func TestDecide(t *testing.T) {
	allowAll := mustParse(t, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`))
	denyAll := mustParse(t, stmt(`{"Effect":"Deny","Action":"*","Resource":"*"}`))
	putOnly := mustParse(t, stmt(`{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"*"}`))
	put := Request{Action: "kinesis:PutRecord", Resource: orders}
	get := Request{Action: "kinesis:GetRecords", Resource: orders}
	for _, tc := range []struct {
		name     string
		req      Request
		policies []*Policy
		want     Decision
	}{
		{"no policies", put, nil, Allow},
		{"nil alone", put, []*Policy{nil}, Allow},
		{"allow", put, []*Policy{allowAll}, Allow},
		{"both allow", put, []*Policy{allowAll, putOnly}, Allow},
		{"session policy narrows", get, []*Policy{allowAll, putOnly}, ImplicitDeny},
		{"nil and narrow", get, []*Policy{nil, putOnly}, ImplicitDeny},
		{"deny wins over nil", put, []*Policy{nil, denyAll}, ExplicitDeny},
		{"deny wins over implicit", get, []*Policy{putOnly, denyAll}, ExplicitDeny},
		{"deny first", put, []*Policy{denyAll, putOnly}, ExplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.req, tc.policies...); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := (*Policy)(nil).Evaluate(put); got != Allow {
		t.Errorf("nil policy: got %v, want Allow", got)
	}
	for d, want := range map[Decision]string{ImplicitDeny: "implicitDeny", Allow: "allowed", ExplicitDeny: "explicitDeny", 7: "Decision(7)"} {
		if d.String() != want {
			t.Errorf("%d: got %q, want %q", int(d), d.String(), want)
		}
	}
}

// Evaluate without conditions allocates nothing: it runs on every request.
func TestEvaluateAllocatesNothing(t *testing.T) {
	p := mustParse(t, stmt(`[{"Effect":"Allow","Action":["kinesis:Get*","kinesis:PutRecord*"],"Resource":"arn:aws:kinesis:*:*:stream/home-${aws:username}"},
		{"Effect":"Deny","Action":"kinesis:Delete*","Resource":"*"}]`))
	req := Request{Action: "kinesis:PutRecords", Resource: "arn:aws:kinesis:us-east-1:0:stream/home-bob", Context: map[string][]string{"aws:username": {"bob"}}}
	if d := p.Evaluate(req); d != Allow {
		t.Fatalf("got %v", d)
	}
	if n := testing.AllocsPerRun(100, func() { p.Evaluate(req) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call", n)
	}
}

func TestUsesContext(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}`:                                             false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}"}]}`:    true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`: true,
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}"}]}`:    false,
	} {
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if p.UsesContext() != want {
			t.Errorf("%s: UsesContext %v", doc, !want)
		}
	}
	if (*Policy)(nil).UsesContext() {
		t.Error("a nil policy uses the context")
	}
}
