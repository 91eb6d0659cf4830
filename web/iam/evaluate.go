package iam

import "strconv"

// Request is what a policy decides on.
type Request struct {
	Action   string              // "kinesis:PutRecord": service prefix and action, matched case-insensitively
	Resource string              // an ARN ("arn:aws:kinesis:us-east-1:000000000000:stream/orders"), or "*" when the call names none
	Context  map[string][]string // condition keys, e.g. "aws:SourceIp", "aws:SecureTransport", "aws:CurrentTime", "aws:EpochTime", "aws:username", "aws:userid", "aws:PrincipalArn", "aws:RequestedRegion"; keys matched case-insensitively
}

// Decision is a policy's answer to a Request.
type Decision int

const (
	ImplicitDeny Decision = iota // nothing allowed it
	Allow
	ExplicitDeny // a Deny statement matched: wins over any Allow
)

// String names the decision as IAM's policy simulator does.
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicitDeny"
	case Allow:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Evaluate decides one policy: ExplicitDeny when a Deny statement applies,
// else Allow when an Allow statement does, else ImplicitDeny. A nil Policy
// stands for all rights and allows everything.
func (p *Policy) Evaluate(req Request) Decision {
	if p == nil {
		return Allow
	}
	for i := range p.deny {
		if p.deny[i].applies(&req) {
			return ExplicitDeny
		}
	}
	for i := range p.allow {
		if p.allow[i].applies(&req) {
			return Allow
		}
	}
	return ImplicitDeny
}

// Decide combines policies that must all agree (an identity policy and a
// session policy, say): ExplicitDeny if any of them denies; Allow if every
// non-nil one allows (a nil *Policy stands for all rights, as a key
// configured without a policy has); ImplicitDeny otherwise. With no
// policies at all it is Allow.
func Decide(req Request, policies ...*Policy) Decision {
	d := Allow
	for _, p := range policies {
		switch p.Evaluate(req) {
		case ExplicitDeny:
			return ExplicitDeny
		case ImplicitDeny:
			d = ImplicitDeny
		}
	}
	return d
}

// applies reports whether the statement covers the request: its action,
// its resource and all its conditions.
func (s *statement) applies(req *Request) bool {
	if matchAny(s.actions, req.Action, true, nil) == s.notAction {
		return false
	}
	var r *resolver
	if s.vars {
		r = &resolver{ctx: req.Context}
	}
	if matchResource(s.resources, req.Resource, r) == s.notResource {
		return false
	}
	for i := range s.conditions {
		if !s.conditions[i].holds(req.Context) {
			return false
		}
	}
	return true
}

// matchAny reports whether s matches one of the patterns.
func matchAny(pats []pattern, s string, fold bool, r *resolver) bool {
	for i := range pats {
		if pats[i].match(s, fold, r) {
			return true
		}
	}
	return false
}

// matchResource is matchAny for resources: the request resource "*" (a call
// that names none) is matched only by a pattern of nothing but '*'.
func matchResource(pats []pattern, res string, r *resolver) bool {
	if res == "*" {
		for i := range pats {
			if pats[i].all {
				return true
			}
		}
		return false
	}
	return matchAny(pats, res, false, r)
}
