package awsapi

import (
	"context"
	"net/http"
	"time"

	"github.com/shardcast/shardcast/web/iam"
)

// Key is a long-term access key: its secret, and the policy that bounds
// what it may do (nil: everything).
type Key struct {
	Secret string
	Policy *iam.Policy
}

// Token is a bearer token (WHIP publishers and WHEP viewers send one) with
// the policy that bounds it (nil: everything those endpoints do).
type Token struct {
	Name   string
	Secret string
	Policy *iam.Policy
}

// Session is what a session token (from STS) opens to.
type Session struct {
	AccessKeyID   string
	Secret        string
	Expiration    time.Time
	ParentKeyID   string // the long-term key that asked for it
	Role          string // the assumed role; "" for GetSessionToken
	SessionName   string
	SessionPolicy []byte // raw JSON; nil when none
}

// SessionTokens opens session tokens: web/sts's sealer, adapted where the
// server is put together.
type SessionTokens interface {
	OpenSession(token string) (Session, error)
}

// Identity is a verified caller.
type Identity struct {
	// KeyID is the access key id that signed (a session's temporary one),
	// or "token/NAME" for a bearer token.
	KeyID string
	// ARN names the principal in errors and the audit log:
	// arn:aws:iam::ACCOUNT:user/KEYID for a key (and its GetSessionToken
	// sessions), arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for a
	// role session.
	ARN string
	// Session is set for temporary credentials.
	Session *Session
	// policies must all allow a call (none: everything is allowed).
	policies []*iam.Policy
	name     string // aws:username
	token    string // the session token, for URLs presigned on its behalf
}

// Call is what the one check learned about an HTTP request: who made it,
// what it asked and what was decided. The router puts an empty one in
// every request's context (WithCall) and reads it back, with the answer's
// status, for the audit log.
type Call struct {
	Identity *Identity // nil: anonymous, or not authenticated
	Action   string    // IAM action, "" when the request got no further than authentication
	Resource string    // ARN or "*"
	Denied   bool      // refused by authentication or policy
	Protocol string    // "api", "hls", "whip", "whep", "admin", "sts"
}

type callKey struct{}

// WithCall returns r carrying an empty Call, and the Call.
func WithCall(r *http.Request) (*http.Request, *Call) {
	c := &Call{}
	return r.WithContext(context.WithValue(r.Context(), callKey{}, c)), c
}

// CallOf returns the Call of r (a throwaway one when it carries none).
func CallOf(r *http.Request) *Call {
	if c, ok := r.Context().Value(callKey{}).(*Call); ok {
		return c
	}
	return &Call{}
}

// record notes a decision in r's Call.
func record(r *http.Request, id *Identity, protocol, action, resource string, denied bool) {
	c := CallOf(r)
	c.Identity, c.Action, c.Resource, c.Denied = id, action, resource, denied
	if c.Protocol == "" {
		c.Protocol = protocol
	}
}
