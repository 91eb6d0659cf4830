package iam

import (
	"testing"
)

// ctx builds a request context from key, value, key, value...; a key given
// twice gets both values.
func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// TestConditions holds one condition block against contexts: Allow when it
// holds, ImplicitDeny when it does not.
func TestConditions(t *testing.T) {
	none := map[string][]string{}
	for _, tc := range []struct {
		name string
		cond string
		ctxs []map[string][]string
		want []bool
	}{
		// Strings.
		{"StringEquals", `{"StringEquals":{"aws:username":["bob","alice"]}}`,
			[]map[string][]string{ctx("aws:username", "bob"), ctx("AWS:USERNAME", "alice"), ctx("aws:username", "Bob"), none},
			[]bool{true, true, false, false}},
		{"StringNotEquals: NOR of values, true when missing", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`,
			[]map[string][]string{ctx("aws:username", "bob"), ctx("aws:username", "carol"), none},
			[]bool{false, true, true}},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"BoB"}}`,
			[]map[string][]string{ctx("aws:username", "bob"), ctx("aws:username", "BOB"), ctx("aws:username", "bobby"), none},
			[]bool{true, true, false, false}},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"BoB"}}`,
			[]map[string][]string{ctx("aws:username", "bob"), ctx("aws:username", "carol"), none},
			[]bool{false, true, true}},
		{"StringLike", `{"StringLike":{"aws:userid":["AIDA*","*:session-?"]}}`,
			[]map[string][]string{ctx("aws:userid", "AIDAXYZ"), ctx("aws:userid", "AROA1:session-7"), ctx("aws:userid", "AROA1:session-77"), ctx("aws:userid", "aida1"), none},
			[]bool{true, true, false, false, false}},
		{"StringNotLike", `{"StringNotLike":{"aws:userid":"AIDA*"}}`,
			[]map[string][]string{ctx("aws:userid", "AIDAXYZ"), ctx("aws:userid", "AROA"), none},
			[]bool{false, true, true}},
		{"StringEquals takes '*' literally", `{"StringEquals":{"aws:username":"b*"}}`,
			[]map[string][]string{ctx("aws:username", "bob"), ctx("aws:username", "b*")},
			[]bool{false, true}},
		{"StringEquals with a variable", `{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}`,
			[]map[string][]string{ctx("aws:PrincipalTag/owner", "bob", "aws:username", "bob"), ctx("aws:PrincipalTag/owner", "bob", "aws:username", "eve"), ctx("aws:PrincipalTag/owner", "bob")},
			[]bool{true, false, false}},
		{"StringNotEquals with a missing variable", `{"StringNotEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}`,
			[]map[string][]string{ctx("aws:PrincipalTag/owner", "bob", "aws:username", "bob"), ctx("aws:PrincipalTag/owner", "bob")},
			[]bool{false, true}},
		{"StringEqualsIgnoreCase with a variable and default", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/owner":"${aws:username, 'NoBody'}"}}`,
			[]map[string][]string{ctx("aws:PrincipalTag/owner", "BOB", "aws:username", "bob"), ctx("aws:PrincipalTag/owner", "nobody")},
			[]bool{true, true}},
		{"StringLike with a variable", `{"StringLike":{"aws:PrincipalArn":"*/${aws:username}"}}`,
			[]map[string][]string{ctx("aws:PrincipalArn", "arn:aws:iam::0:user/bob", "aws:username", "bob"), ctx("aws:PrincipalArn", "arn:aws:iam::0:user/bob", "aws:username", "bo")},
			[]bool{true, false}},
		{"a number as a string value", `{"StringEquals":{"kinesis:ShardCount":4}}`,
			[]map[string][]string{ctx("kinesis:ShardCount", "4"), ctx("kinesis:ShardCount", "4.0")},
			[]bool{true, false}},

		// Numbers.
		{"NumericEquals", `{"NumericEquals":{"n":["10","2.5"]}}`,
			[]map[string][]string{ctx("n", "10"), ctx("n", "10.0"), ctx("n", "2.5"), ctx("n", "3"), ctx("n", "ten"), none},
			[]bool{true, true, true, false, false, false}},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":10}}`,
			[]map[string][]string{ctx("n", "10"), ctx("n", "11"), none},
			[]bool{false, true, true}},
		{"NumericLessThan", `{"NumericLessThan":{"n":10}}`,
			[]map[string][]string{ctx("n", "9.99"), ctx("n", "10"), ctx("n", "-1e3")},
			[]bool{true, false, true}},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":10}}`,
			[]map[string][]string{ctx("n", "10"), ctx("n", "10.01")},
			[]bool{true, false}},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n":10}}`,
			[]map[string][]string{ctx("n", "10"), ctx("n", "11")},
			[]bool{false, true}},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":10}}`,
			[]map[string][]string{ctx("n", "10"), ctx("n", "9")},
			[]bool{true, false}},

		// Dates.
		{"DateLessThan with ISO and epoch requests", `{"DateLessThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}`,
			[]map[string][]string{ctx("aws:CurrentTime", "2026-05-31T23:59:59Z"), ctx("aws:CurrentTime", "2026-06-01T00:00:00Z"), ctx("aws:CurrentTime", "2026-06-01T01:00:00+02:00"), ctx("aws:CurrentTime", "1780271999"), ctx("aws:CurrentTime", "soon"), none},
			[]bool{true, false, true, true, false, false}},
		{"DateGreaterThanEquals with an epoch value", `{"DateGreaterThanEquals":{"aws:EpochTime":1780272000}}`,
			[]map[string][]string{ctx("aws:EpochTime", "1780272000"), ctx("aws:EpochTime", "1780271999"), ctx("aws:EpochTime", "2026-06-01")},
			[]bool{true, false, true}},
		{"DateEquals with a date only", `{"DateEquals":{"d":"2026-06-01"}}`,
			[]map[string][]string{ctx("d", "2026-06-01T00:00:00Z"), ctx("d", "2026-06-01T00:00:01Z")},
			[]bool{true, false}},
		{"DateNotEquals", `{"DateNotEquals":{"d":"2026-06-01T00:00:00Z"}}`,
			[]map[string][]string{ctx("d", "2026-06-01T00:00:00.000Z"), ctx("d", "2026-06-02"), none},
			[]bool{false, true, true}},
		{"DateLessThanEquals and DateGreaterThan", `{"DateLessThanEquals":{"d":"2026-06-01T12:00Z"},"DateGreaterThan":{"d":"2026-06-01"}}`,
			[]map[string][]string{ctx("d", "2026-06-01T12:00:00Z"), ctx("d", "2026-06-01T00:00:00Z"), ctx("d", "2026-06-01T12:00:01Z")},
			[]bool{true, false, false}},

		// Booleans.
		{"Bool", `{"Bool":{"aws:SecureTransport":"true"}}`,
			[]map[string][]string{ctx("aws:SecureTransport", "true"), ctx("aws:SecureTransport", "TRUE"), ctx("aws:SecureTransport", "false"), ctx("aws:SecureTransport", "1"), none},
			[]bool{true, true, false, false, false}},
		{"Bool false as JSON", `{"Bool":{"aws:SecureTransport":false}}`,
			[]map[string][]string{ctx("aws:SecureTransport", "false"), ctx("aws:SecureTransport", "true"), none},
			[]bool{true, false, false}},
		{"BoolIfExists", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`,
			[]map[string][]string{ctx("aws:MultiFactorAuthPresent", "true"), ctx("aws:MultiFactorAuthPresent", "false"), none},
			[]bool{true, false, true}},

		// Addresses.
		{"IpAddress", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32","192.0.2.7"]}}`,
			[]map[string][]string{ctx("aws:SourceIp", "203.0.113.9"), ctx("aws:SourceIp", "203.0.114.1"), ctx("aws:SourceIp", "2001:db8::1"), ctx("aws:SourceIp", "2001:db9::1"),
				ctx("aws:SourceIp", "::ffff:203.0.113.5"), ctx("aws:SourceIp", "192.0.2.7"), ctx("aws:SourceIp", "192.0.2.8"), ctx("aws:SourceIp", "nonsense"), none},
			[]bool{true, false, true, false, true, true, false, false, false}},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","::1/128"]}}`,
			[]map[string][]string{ctx("aws:SourceIp", "10.1.2.3"), ctx("aws:SourceIp", "::1"), ctx("aws:SourceIp", "192.0.2.1"), none},
			[]bool{false, false, true, true}},
		{"a v4-mapped range", `{"IpAddress":{"aws:SourceIp":"::ffff:10.0.0.0/104"}}`,
			[]map[string][]string{ctx("aws:SourceIp", "10.9.9.9"), ctx("aws:SourceIp", "11.0.0.1")},
			[]bool{true, false}},

		// ARNs: parts match separately, so '*' stays inside its part.
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`,
			[]map[string][]string{ctx("aws:PrincipalArn", "arn:aws:iam::000000000000:user/bob"), ctx("aws:PrincipalArn", "arn:aws:sts::0:assumed-role/r/s"), ctx("aws:PrincipalArn", "user/bob"), none},
			[]bool{true, false, false, false}},
		{"ArnEquals keeps wildcards inside a part", `{"ArnEquals":{"aws:SourceArn":"arn:aws:kinesis:*:0:stream/orders"}}`,
			[]map[string][]string{ctx("aws:SourceArn", "arn:aws:kinesis:us-east-1:0:stream/orders"), ctx("aws:SourceArn", "arn:aws:kinesis:us-east-1:1:0:stream/orders")},
			[]bool{true, false}},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/admin-*"}}`,
			[]map[string][]string{ctx("aws:PrincipalArn", "arn:aws:iam::0:user/admin-x"), ctx("aws:PrincipalArn", "arn:aws:iam::0:user/bob"), none},
			[]bool{false, true, true}},
		{"ArnNotEquals", `{"ArnNotEquals":{"a":"arn:aws:iam::0:user/bob"}}`,
			[]map[string][]string{ctx("a", "arn:aws:iam::0:user/bob"), ctx("a", "arn:aws:iam::0:user/eve")},
			[]bool{false, true}},
		{"ArnLike with a variable holding a colon", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::0:user/${aws:userid}"}}`,
			[]map[string][]string{ctx("aws:PrincipalArn", "arn:aws:iam::0:user/AID:1", "aws:userid", "AID:1"), ctx("aws:PrincipalArn", "arn:aws:iam::0:user/AID:2", "aws:userid", "AID:1")},
			[]bool{true, false}},

		// Null.
		{"Null true: absent", `{"Null":{"aws:TokenIssueTime":"true"}}`,
			[]map[string][]string{none, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), {"aws:TokenIssueTime": {}}},
			[]bool{true, false, true}},
		{"Null false: present", `{"Null":{"aws:TokenIssueTime":false}}`,
			[]map[string][]string{none, ctx("aws:tokenissuetime", "x")},
			[]bool{false, true}},

		// IfExists.
		{"StringEqualsIfExists", `{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}`,
			[]map[string][]string{ctx("aws:RequestedRegion", "us-east-1"), ctx("aws:RequestedRegion", "eu-west-1"), none},
			[]bool{true, false, true}},
		{"StringNotEqualsIfExists", `{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}`,
			[]map[string][]string{ctx("aws:RequestedRegion", "us-east-1"), ctx("aws:RequestedRegion", "eu-west-1"), none},
			[]bool{false, true, true}},
		{"NumericLessThanIfExists", `{"NumericLessThanIfExists":{"n":5}}`,
			[]map[string][]string{ctx("n", "4"), ctx("n", "6"), none},
			[]bool{true, false, true}},
		{"IpAddressIfExists", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]map[string][]string{ctx("aws:SourceIp", "10.0.0.1"), ctx("aws:SourceIp", "11.0.0.1"), none},
			[]bool{true, false, true}},

		// Set qualifiers over multi-valued keys.
		{"ForAnyValue:StringEquals", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`,
			[]map[string][]string{ctx("aws:TagKeys", "x", "aws:TagKeys", "env"), ctx("aws:TagKeys", "x", "aws:TagKeys", "y"), none},
			[]bool{true, false, false}},
		{"ForAllValues:StringEquals", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`,
			[]map[string][]string{ctx("aws:TagKeys", "team", "aws:TagKeys", "env"), ctx("aws:TagKeys", "team", "aws:TagKeys", "cost"), none},
			[]bool{true, false, true}},
		{"ForAnyValue:StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}`,
			[]map[string][]string{ctx("aws:TagKeys", "team", "aws:TagKeys", "cost"), ctx("aws:TagKeys", "team", "aws:TagKeys", "env"), none},
			[]bool{true, false, false}},
		{"ForAllValues:StringNotLike", `{"ForAllValues:StringNotLike":{"aws:TagKeys":"aws:*"}}`,
			[]map[string][]string{ctx("aws:TagKeys", "team", "aws:TagKeys", "env"), ctx("aws:TagKeys", "team", "aws:TagKeys", "aws:x"), none},
			[]bool{true, false, true}},
		{"ForAnyValue:StringLikeIfExists when missing", `{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"t*"}}`,
			[]map[string][]string{none, ctx("aws:TagKeys", "x")},
			[]bool{true, false}},
		{"a single-valued operator over several values", `{"StringEquals":{"aws:TagKeys":"team"}}`,
			[]map[string][]string{ctx("aws:TagKeys", "x", "aws:TagKeys", "team"), ctx("aws:TagKeys", "x", "aws:TagKeys", "y")},
			[]bool{true, false}},
		{"a negated operator over several values", `{"StringNotEquals":{"aws:TagKeys":"team"}}`,
			[]map[string][]string{ctx("aws:TagKeys", "x", "aws:TagKeys", "team"), ctx("aws:TagKeys", "x", "aws:TagKeys", "y")},
			[]bool{false, true}},
		{"ForAllValues:NumericLessThan", `{"ForAllValues:NumericLessThan":{"n":10}}`,
			[]map[string][]string{ctx("n", "1", "n", "9"), ctx("n", "1", "n", "11")},
			[]bool{true, false}},

		// Several keys and operators: AND.
		{"two keys AND", `{"StringEquals":{"aws:username":"bob","aws:RequestedRegion":"us-east-1"}}`,
			[]map[string][]string{ctx("aws:username", "bob", "aws:RequestedRegion", "us-east-1"), ctx("aws:username", "bob", "aws:RequestedRegion", "eu-west-1"), ctx("aws:username", "bob")},
			[]bool{true, false, false}},
		{"two operators AND", `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]map[string][]string{ctx("aws:SecureTransport", "true", "aws:SourceIp", "10.0.0.1"), ctx("aws:SecureTransport", "false", "aws:SourceIp", "10.0.0.1"), ctx("aws:SecureTransport", "true", "aws:SourceIp", "11.0.0.1")},
			[]bool{true, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+tc.cond+`}`))
			for i, c := range tc.ctxs {
				want := ImplicitDeny
				if tc.want[i] {
					want = Allow
				}
				if got := p.Evaluate(Request{Action: "kinesis:PutRecord", Resource: orders, Context: c}); got != want {
					t.Errorf("context %v: got %v, want %v", c, got, want)
				}
			}
		})
	}
}

// A condition on a Deny statement: the classic "deny unless over TLS".
func TestConditionOnDeny(t *testing.T) {
	p := mustParse(t, stmt(`[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","::1"]}}}]`))
	runChecks(t, p, []check{
		{"kinesis:PutRecord", orders, ctx("aws:SecureTransport", "true", "aws:SourceIp", "127.0.0.1"), Allow},
		{"kinesis:PutRecord", orders, ctx("aws:SecureTransport", "false", "aws:SourceIp", "127.0.0.1"), ExplicitDeny},
		{"kinesis:PutRecord", orders, ctx("aws:SecureTransport", "true", "aws:SourceIp", "192.0.2.1"), ExplicitDeny},
		{"kinesis:PutRecord", orders, ctx("aws:SecureTransport", "true"), ExplicitDeny}, // NotIpAddress with no address: true
	})
}

func TestOperatorNamesAgree(t *testing.T) {
	for _, n := range operatorNames() {
		if _, ok := operatorNamed(n); !ok {
			t.Errorf("%s is listed but unknown", n)
		}
	}
	if _, ok := operatorNamed("BinaryEquals"); ok {
		t.Error("BinaryEquals is known")
	}
}
