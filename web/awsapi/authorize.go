package awsapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardcast/shardcast/web/iam"
)

// Actions that Authorize decides on outside the signed APIs, named as IAM
// names them.
const (
	// ActionPublish is sending media into a stream (RTSP ANNOUNCE/RECORD,
	// WHIP).
	ActionPublish = "kinesisvideo:PutMedia"
	// ActionRead is reading a stream's media outside the signed APIs: the
	// plain HLS URLs, the /play page, RTSP DESCRIBE, WHEP.
	ActionRead = "kinesisvideo:GetMedia"
)

// errUnauthenticated is a request that needs credentials and brought
// none, or ones that did not verify.
var errUnauthenticated = errors.New("credentials required")

// Open reports whether no credentials are configured: then nothing is
// verified and every request is allowed.
func (a *Auth) Open() bool { return a == nil || len(a.Keys) == 0 && len(a.Tokens) == 0 }

// Secret returns the secret key of a long-term access key id.
func (a *Auth) Secret(keyID string) (string, bool) {
	if a == nil || keyID == "" {
		return "", false
	}
	k, ok := a.Keys[keyID]
	return k.Secret, ok
}

func (a *Auth) init() {
	a.once.Do(func() {
		a.signer = v4.NewSigner()
		a.ids = make(map[string]*Identity, len(a.Keys))
		for id, k := range a.Keys {
			a.ids[id] = &Identity{KeyID: id, ARN: a.userARN(id), name: id, policies: []*iam.Policy{k.Policy}}
		}
		a.cache = map[string]*Identity{}
	})
}

func (a *Auth) userARN(keyID string) string {
	account := a.Account
	if account == "" {
		account = "000000000000"
	}
	return "arn:aws:iam::" + account + ":user/" + keyID
}

// keyIdentity is the identity of a long-term key, nil when it is unknown.
func (a *Auth) keyIdentity(keyID string) *Identity {
	if a == nil || keyID == "" {
		return nil
	}
	a.init()
	return a.ids[keyID]
}

// sessionCacheSize bounds the session identities kept between requests.
const sessionCacheSize = 4096

// credential returns the secret that signs for keyID, and who that is:
// a long-term key, or with token the STS session it opens to (checked:
// the same key id, not expired, its role or parent key still configured).
func (a *Auth) credential(keyID, token string) (string, *Identity, error) {
	a.init()
	if token == "" {
		id := a.ids[keyID]
		if id == nil {
			return "", nil, errBadClient
		}
		return a.Keys[keyID].Secret, id, nil
	}
	a.cacheMu.Lock()
	id := a.cache[token]
	a.cacheMu.Unlock()
	if id == nil {
		var err error
		if id, err = a.openSession(token); err != nil {
			return "", nil, err
		}
		a.cacheMu.Lock()
		if len(a.cache) >= sessionCacheSize {
			clear(a.cache)
		}
		a.cache[token] = id
		a.cacheMu.Unlock()
	}
	if id.Session.AccessKeyID != keyID {
		return "", nil, errBadClient
	}
	if !a.now().Before(id.Session.Expiration) {
		return "", nil, errExpired
	}
	return id.Session.Secret, id, nil
}

// openSession makes the identity of a session token.
func (a *Auth) openSession(token string) (*Identity, error) {
	if a.Sessions == nil {
		return nil, errBadClient
	}
	s, err := a.Sessions.OpenSession(token)
	if err != nil {
		return nil, errBadClient
	}
	id := &Identity{KeyID: s.AccessKeyID, Session: &s, name: s.ParentKeyID, token: token}
	if s.Role != "" {
		p, ok := a.Roles[s.Role]
		if !ok {
			return nil, errBadClient
		}
		account := a.Account
		if account == "" {
			account = "000000000000"
		}
		id.ARN = "arn:aws:sts::" + account + ":assumed-role/" + s.Role + "/" + s.SessionName
		id.name = s.SessionName
		id.policies = []*iam.Policy{p}
	} else {
		parent, ok := a.Keys[s.ParentKeyID]
		if !ok {
			return nil, errBadClient
		}
		id.ARN = a.userARN(s.ParentKeyID)
		id.policies = []*iam.Policy{parent.Policy}
	}
	if len(s.SessionPolicy) > 0 {
		p, err := iam.Parse(s.SessionPolicy)
		if err != nil {
			return nil, errBadClient
		}
		id.policies = append(id.policies, p)
	}
	return id, nil
}

// resolve makes resource an ARN: "*" and ARNs stay, a name becomes the
// ARN of the resource of that name in action's service.
func (a *Auth) resolve(action, resource string) string {
	if resource == "*" || resource == "" || strings.HasPrefix(resource, "arn:") {
		return cmpOr(resource, "*")
	}
	return a.NameARN(action, resource)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// decide evaluates id's policies for action on resource (an ARN); r, when
// given, adds the request's condition keys.
func (a *Auth) decide(r *http.Request, id *Identity, action, resource string) iam.Decision {
	if id == nil {
		return iam.ImplicitDeny
	}
	all, context := true, false
	for _, p := range id.policies {
		all = all && p == nil
		context = context || p.UsesContext()
	}
	if all {
		return iam.Allow
	}
	req := iam.Request{Action: action, Resource: resource}
	if context {
		req.Context = a.conditionKeys(r, id)
	}
	return iam.Decide(req, id.policies...)
}

// conditionKeys are the global condition keys of a request by id.
func (a *Auth) conditionKeys(r *http.Request, id *Identity) map[string][]string {
	now := a.now().UTC()
	ctx := map[string][]string{
		"aws:CurrentTime":  {now.Format(time.RFC3339)},
		"aws:EpochTime":    {strconv.FormatInt(now.Unix(), 10)},
		"aws:PrincipalArn": {id.ARN},
		"aws:userid":       {id.KeyID},
		"aws:username":     {id.name},
	}
	if region := a.Region; region != "" {
		ctx["aws:RequestedRegion"] = []string{region}
	}
	if r != nil {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ctx["aws:SourceIp"] = []string{host}
		}
		ctx["aws:SecureTransport"] = []string{strconv.FormatBool(SecureTransport(r))}
	}
	return ctx
}

// authorizeCall decides an API call by id and notes it in r's Call: a
// refusal is an AccessDeniedException with IAM's sentence and the status
// of the action's service.
func (a *Auth) authorizeCall(r *http.Request, id *Identity, protocol, action, resource string) error {
	d := a.decide(r, id, action, resource)
	record(r, id, protocol, action, resource, d != iam.Allow)
	if d == iam.Allow {
		return nil
	}
	return accessDenied(id, action, resource, d)
}

// accessDenied is the error of a refused call.
func accessDenied(id *Identity, action, resource string, d iam.Decision) *APIError {
	who := "anonymous"
	if id != nil {
		who = id.ARN
	}
	why := "because no identity-based policy allows the " + action + " action"
	if d == iam.ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	status := http.StatusBadRequest
	switch svc, _, _ := strings.Cut(action, ":"); svc {
	case "kinesisvideo":
		status = http.StatusUnauthorized
	case "shardcast", "sts":
		status = http.StatusForbidden
	}
	return &APIError{Type: "AccessDeniedException", Status: status,
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", who, action, resource, why)}
}

// Authorize is the decision for callers outside HTTP (RTSP): may who (a
// long-term access key id its caller has verified, "" for anonymous) do
// action on resource (a stream name, an ARN, or "*")? With no
// credentials configured everything is allowed; anonymous callers and
// unknown keys are refused with errUnauthenticated; a key's policy
// decides the rest.
func (a *Auth) Authorize(who, action, resource string) error {
	if a.Open() {
		return nil
	}
	id := a.keyIdentity(who)
	if id == nil {
		return fmt.Errorf("%s on %s: %w", action, resource, errUnauthenticated)
	}
	arn := a.resolve(action, resource)
	if d := a.decide(nil, id, action, arn); d != iam.Allow {
		return accessDenied(id, action, arn, d)
	}
	return nil
}

// AuthorizeIdentity is the decision for a caller another package
// verified (STS): may id do action on resource?
func (a *Auth) AuthorizeIdentity(r *http.Request, id *Identity, action, resource string) error {
	if a.Open() {
		return nil
	}
	return a.authorizeCall(r, id, CallOf(r).Protocol, action, a.resolve(action, resource))
}

// Authenticate verifies r's SigV4 signature over body (any service's) and
// returns who signed; nil, nil when no credentials are configured. It does
// not authorize: the caller asks AuthorizeIdentity for its actions.
func (a *Auth) Authenticate(r *http.Request, body []byte) (*Identity, error) {
	s, err := a.checkHeaders(r)
	if err != nil || s == nil {
		return nil, err
	}
	if s.console {
		return s.id, nil
	}
	sum := sha256Hex(body)
	if s.presigned {
		return a.verifyPresigned(r, r.URL.Path, "UNSIGNED-PAYLOAD", sum, emptyHash)
	}
	if err := a.verifyHeader(r, s, sum, true); err != nil {
		return nil, err
	}
	return s.id, nil
}

// bearerIdentity is the identity of a bearer token, nil when no
// configured token has that secret.
func (a *Auth) bearerIdentity(secret string) *Identity {
	if a == nil {
		return nil
	}
	var found *Token
	for i := range a.Tokens {
		// Every token compared, in constant time for its length.
		if subtle.ConstantTimeCompare([]byte(a.Tokens[i].Secret), []byte(secret)) == 1 {
			found = &a.Tokens[i]
		}
	}
	if found == nil {
		return nil
	}
	return &Identity{KeyID: "token/" + found.Name, ARN: "token/" + found.Name, name: found.Name, policies: []*iam.Policy{found.Policy}}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type secureKey struct{}

// WithSecureTransport marks a connection's context as TLS (the server's
// TLS listener hands net/http connections that look plain, so r.TLS is
// not set): aws:SecureTransport is true for its requests.
func WithSecureTransport(ctx context.Context) context.Context {
	return context.WithValue(ctx, secureKey{}, true)
}

// SecureTransport reports whether r came over TLS.
func SecureTransport(r *http.Request) bool {
	secure, _ := r.Context().Value(secureKey{}).(bool)
	return secure || r.TLS != nil
}

// KnownToken reports whether secret is one of the configured bearer
// tokens.
func (a *Auth) KnownToken(secret string) bool { return a.bearerIdentity(secret) != nil }
