// Package iam parses IAM identity-based policies and decides requests
// against them, as AWS IAM does, so that a shardcast key can carry the same
// policy document an AWS user would.
//
// # Basics
//
// Parse reads a policy document: Version ("2012-10-17"; "2008-10-17",
// also assumed when Version is missing, has no policy variables), an
// optional Id, and Statement, one object or an array. Each statement has an
// optional Sid (unique in the policy), Effect ("Allow" or "Deny"), Action
// or NotAction ("service:Action" patterns, or "*"), Resource or NotResource
// ("*" or ARN patterns) and an optional Condition. Anything else is refused
// with an error naming the statement (index and Sid), the element and what
// to change: unknown or miscased element names, Principal and NotPrincipal
// (the key a policy is attached to is its principal), members named twice,
// empty lists, malformed variables, unknown operators and values an
// operator cannot compare. Everything is compiled at Parse: action patterns
// lower-cased, resource patterns split into literals, wildcards and
// variables, condition values parsed into numbers, times, address ranges
// and ARN parts. A Policy is immutable and safe for concurrent use; String
// returns the document as given, compacted.
//
// Evaluate decides one request (an action, a resource ARN or "*" when the
// call names none, and a context of condition keys): ExplicitDeny when a
// Deny statement applies, else Allow when an Allow statement applies, else
// ImplicitDeny. A statement applies when its action, its resource and all
// its conditions match; NotAction and NotResource apply to everything
// their patterns do not match. Decide combines policies that must all
// agree, such as a key's policy and a session policy: any ExplicitDeny
// wins, Allow needs every policy to allow, and a nil *Policy stands for
// all rights. Without conditions Evaluate allocates nothing.
//
// Patterns: '*' matches any run of characters, ':' and '/' included, and
// '?' exactly one. Actions match without regard to case, resources with
// it. The request resource "*" is matched only by the pattern "*".
//
// Policy variables (2012-10-17 only), in Resource and in the values of the
// String and Arn operators: ${key} is the request's value of that context
// key (keys ignore case), ${key, 'default'} falls back to the default
// (” inside it is one quote), and ${*}, ${?} and ${$} are those
// characters taken literally. A substituted value is literal text, never a
// wildcard. A key that is missing, or has several values, makes that
// pattern match nothing unless a default is given.
//
// Conditions, as IAM's condition operator reference documents them:
// several operators in a block, and several keys under one operator, must
// all hold (AND); several values for one key are alternatives (OR), and
// for a negated operator none may match (NOR). A key missing from the
// context makes a condition false, except that the negated operators
// (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike,
// NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike)
// are then true, any operator with the IfExists suffix is then true, and
// Null asks exactly that: "true" holds when the key is missing, "false"
// when it is present. With ForAnyValue: a missing key is false and
// otherwise some request value must match (for a negated operator: match
// none of the policy's values); with ForAllValues: a missing key is true
// and every request value must match (negated: match none). Without a
// prefix, a key with several values holds when any of them matches (for a
// negated operator: when none does). A key present with no values counts
// as missing. Operators: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike; NumericEquals, NumericNotEquals, NumericLessThan,
// NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals
// (integers and decimals); DateEquals, DateNotEquals, DateLessThan,
// DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals (ISO 8601,
// UTC unless a zone is given, or epoch seconds, on both sides); Bool;
// IpAddress and NotIpAddress (CIDR ranges or single addresses, IPv4 and
// IPv6; an IPv4-mapped IPv6 request address counts as IPv4); ArnEquals,
// ArnLike, ArnNotEquals, ArnNotLike (the six colon-separated parts match
// separately, each with wildcards, so Equals and Like are the same, as in
// IAM); Null. A request value an operator cannot read (a number that is
// not one, say) matches no policy value.
//
// # Caveats
//
// Only identity-based policies: resource-based policies, principals
// (Principal, NotPrincipal), permission boundaries, service control and
// resource control policies, and cross-account logic are not built; Decide
// is the only way to combine policies. BinaryEquals is refused (no
// shardcast request carries binary keys), and Bool, Numeric, Date and IP
// values take no policy variables. IgnoreCase operators compare Unicode
// lower-case forms. Sids may be any string (IAM wants letters and digits).
// Parse does not enforce IAM's size limits on documents; a caller taking a
// policy from a request (an STS session policy) should cap its size, as
// AWS does. A variable that does not resolve makes a NotResource pattern
// match nothing, so that statement applies; write Resource patterns, or
// add a default, where that matters. Context keys differing only in case
// should not both be present: which one a lookup finds is unspecified.
package iam
