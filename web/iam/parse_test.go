package iam

import (
	"strings"
	"testing"
)

// stmt wraps statement JSON in a 2012-10-17 policy.
func stmt(s string) string {
	return `{"Version":"2012-10-17","Statement":` + s + `}`
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"one statement object", stmt(`{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"*"}`)},
		{"array, Sid, Id", `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"A","Effect":"Allow","Action":["kinesis:Get*","kinesis:List*"],"Resource":["arn:aws:kinesis:*:*:stream/orders"]}]}`},
		{"no Version", `{"Statement":{"Effect":"Deny","NotAction":"kinesis:Describe*","NotResource":"arn:aws:kinesis:us-east-1:000000000000:stream/x"}}`},
		{"old Version", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"wildcard service", stmt(`{"Effect":"Allow","Action":"kinesis*:?et*","Resource":"*"}`)},
		{"hyphenated service", stmt(`{"Effect":"Allow","Action":"kinesis-video:GetMedia","Resource":"*"}`)},
		{"variables", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username}-${aws:userid, 'x''y'}${*}"}`)},
		{"conditions", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEqualsIgnoreCase":{"aws:username":["a","B"]},
			"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"team-*"},
			"NumericLessThanEquals":{"kinesis:Limit":100},
			"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z","aws:EpochTime":1700000000},
			"Bool":{"aws:SecureTransport":true},
			"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]},
			"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"},
			"Null":{"aws:TokenIssueTime":"true"}}}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if strings.ContainsAny(p.String(), "\n\t") {
				t.Errorf("String() is not compact: %q", p.String())
			}
			q, err := Parse([]byte(p.String()))
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if q.String() != p.String() {
				t.Errorf("String() changed on a second parse: %q vs %q", q.String(), p.String())
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"too deep", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}}`), "nests deeper than 16 levels"},
		{"not JSON", `{"Statement":`, "not valid JSON"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, "something after"},
		{"not an object", `[]`, "the document must be a JSON object"},
		{"duplicate member", `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, `policy: Statement names "Effect" twice`},
		{"duplicate top member", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{}}`, `policy: the document names "Version" twice`},
		{"duplicate nested member", stmt(`[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"a":true,"a":false}}}]`), `policy: Statement[0].Condition.Bool names "a" twice`},
		{"unknown top element", `{"Version":"2012-10-17","Statment":[]}`, `unknown element "Statment"`},
		{"top element case", `{"version":"2012-10-17","Statement":[]}`, `did you mean "Version"`},
		{"bad Version", `{"Version":"2012-10-18","Statement":{}}`, `Version is "2012-10-18"; use "2012-10-17"`},
		{"Version not a string", `{"Version":2012,"Statement":{}}`, "Version is 2012"},
		{"Id not a string", `{"Id":1,"Statement":{}}`, "Id must be a string"},
		{"no Statement", `{"Version":"2012-10-17"}`, "no Statement element"},
		{"empty Statement", stmt(`[]`), "Statement is an empty array"},
		{"Statement a string", stmt(`"x"`), "Statement must be an object or an array"},
		{"statement not an object", stmt(`[1]`), "Statement[0]: a statement must be a JSON object"},
		{"Principal", stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Statement[0]: Principal is not allowed"},
		{"NotPrincipal", stmt(`[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"X","Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*"}]`), `Statement[1] (Sid "X"): NotPrincipal is not allowed`},
		{"unknown statement element", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Conditions":{}}`), `unknown element "Conditions"`},
		{"element case", stmt(`{"effect":"Allow","Action":"*","Resource":"*"}`), `did you mean "Effect"`},
		{"no Effect", stmt(`{"Action":"*","Resource":"*"}`), "no Effect"},
		{"bad Effect", stmt(`{"Effect":"Permit","Action":"*","Resource":"*"}`), `Effect "Permit" is neither "Allow" nor "Deny"`},
		{"Effect case", stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), `did you mean "Allow"`},
		{"Effect not a string", stmt(`{"Effect":true,"Action":"*","Resource":"*"}`), "Effect must be the string"},
		{"no Action", stmt(`{"Effect":"Allow","Resource":"*"}`), "has neither Action nor NotAction"},
		{"both Action and NotAction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}`), "has both Action and NotAction"},
		{"empty Action", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Action is an empty array"},
		{"empty Action string", stmt(`{"Effect":"Allow","Action":"","Resource":"*"}`), "Action is an empty string"},
		{"Action not a string", stmt(`{"Effect":"Allow","Action":["kinesis:*",3],"Resource":"*"}`), "Action item 1 is a number, not a string"},
		{"Action without colon", stmt(`{"Effect":"Allow","Action":"PutRecord","Resource":"*"}`), `Action "PutRecord" is not shaped "service:Action"`},
		{"Action empty name", stmt(`{"Effect":"Allow","Action":"kinesis:","Resource":"*"}`), `is not shaped "service:Action"`},
		{"Action bad char", stmt(`{"Effect":"Allow","NotAction":"kinesis:Put/Record","Resource":"*"}`), `NotAction "kinesis:Put/Record" has '/' in its action name`},
		{"Action bad prefix", stmt(`{"Effect":"Allow","Action":"kine sis:Put","Resource":"*"}`), `has ' ' in its service prefix`},
		{"no Resource", stmt(`{"Effect":"Allow","Action":"*"}`), "has neither Resource nor NotResource"},
		{"both Resource and NotResource", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "has both Resource and NotResource"},
		{"Resource not an ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":"stream/orders"}`), `Resource "stream/orders" is neither "*" nor an ARN`},
		{"Resource short ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis"}`), "is neither"},
		{"Resource object", stmt(`{"Effect":"Allow","Action":"*","Resource":{}}`), "Resource must be a string or an array of strings"},
		{"unterminated variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username"}`), "has no closing '}'"},
		{"empty variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${}"}`), "names no key"},
		{"unquoted default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username, x}"}`), "must be in single quotes"},
		{"unclosed default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username, 'x}"}`), "quote is never closed"},
		{"escape with default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${*, 'x'}"}`), "is an escape and takes no default"},
		{"duplicate Sid", stmt(`[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]`), `Statement[0] and Statement[1] both have Sid "A"`},
		{"Sid not a string", stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), "Sid must be a string"},
		{"Condition not an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}`), "Condition: must be a JSON object"},
		{"unknown operator", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"a":"b"}}}`), `unknown condition operator "StringEqual"`},
		{"operator case", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"a":"b"}}}`), `did you mean "StringEquals"`},
		{"bad set prefix", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a":"b"}}}`), `unknown condition operator "ForSomeValues:StringEquals"`},
		{"BinaryEquals", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"a":"QUJD"}}}`), "is not supported by shardcast"},
		{"NullIfExists", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}`), "Null takes no IfExists suffix"},
		{"ForAnyValue:Null", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:Null":{"a":"true"}}}`), "Null takes no IfExists suffix"},
		{"operator not an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"a"}}`), "StringEquals must be an object mapping condition keys to values, not a string"},
		{"operator with no key", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}`), "StringEquals names no condition key"},
		{"key twice by case", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:UserName":"a","aws:username":"b"}}}`), `names key "aws:username" twice`},
		{"empty values", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":[]}}}`), `StringEquals "a": is an empty array`},
		{"null value", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":null}}}`), "value is null; condition values are strings, numbers or booleans"},
		{"object value", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":["x",{}]}}}`), "value 1 is an object"},
		{"bad number", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a":"ten"}}}`), `value "ten" is not a number`},
		{"NaN", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a":"NaN"}}}`), `value "NaN" is not a number`},
		{"bad date", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), `value "tomorrow" is not a date`},
		{"bad bool", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), `value "yes" is neither true nor false`},
		{"bad CIDR", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), `value "10.0.0.0/33" is not an IP address range`},
		{"bad ARN value", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"user/bob"}}}`), `value "user/bob" is not an ARN`},
		{"bad Null", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"a":"maybe"}}}`), `Null's value "maybe" is neither true`},
		{"Null with two values", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"a":["true","false"]}}}`), "Null takes one value"},
		{"bad variable in condition", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"a":"${x"}}}`), `StringLike "a": policy variable`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted %s as %v", tc.doc, p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "policy: ") {
				t.Errorf("error %q does not start with \"policy: \"", err)
			}
		})
	}
}

// Under 2008-10-17 a ${...} is literal text, so what would be a bad
// variable is no error.
func TestParseOldVersionHasNoVariables(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:kinesis:*:*:stream/${aws:username"}}`
	if _, err := Parse([]byte(doc)); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}
