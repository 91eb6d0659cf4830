package awsapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/web/iam"
)

// Allow lets a caller do action on resource (a stream name or ARN)
// through the URLs that are not signed API calls: the plain HLS URLs and
// player page (ActionRead, by way of AllowReader), WHIP publishing
// (ActionPublish) and WHEP viewing. With credentials configured it needs
// HTTP Basic (user the access key id, password the secret), a SigV4
// presigned query (verified over the request's path or else over
// signedPath, a stream's playlist whose presigned parameters the player
// hands on; only the query's X-Amz-* parameters are covered) or, where
// bearer tokens are accepted (AllowBearer), a token. The caller's policy
// decides. When refused it has written the answer (401 with
// WWW-Authenticate: Basic for missing or wrong credentials, 403 for a
// policy's refusal) and returns nil, false; otherwise it returns who
// (nil when nothing is configured).
func (a *Auth) Allow(w http.ResponseWriter, r *http.Request, action, resource, signedPath string) (*Identity, bool) {
	return a.allow(w, r, action, resource, signedPath, false)
}

// AllowBearer is Allow for the endpoints that take bearer tokens too
// (WHIP and WHEP): "Authorization: Bearer <token>" with one of Tokens.
func (a *Auth) AllowBearer(w http.ResponseWriter, r *http.Request, action, resource, signedPath string) (*Identity, bool) {
	return a.allow(w, r, action, resource, signedPath, true)
}

func (a *Auth) allow(w http.ResponseWriter, r *http.Request, action, resource, signedPath string, bearerOK bool) (*Identity, bool) {
	protocol := readerProtocol(r)
	if a.Open() {
		record(r, nil, protocol, action, a.resolve(action, resource), false)
		return nil, true
	}
	arn := a.resolve(action, resource)
	var id *Identity
	var err error
	if tok, ok := bearerToken(r); ok && bearerOK {
		if id = a.bearerIdentity(tok); id == nil {
			err = &APIError{Message: "The bearer token is not valid."}
		}
	} else {
		id, err = a.readerIdentity(r, signedPath)
	}
	d := iam.ImplicitDeny
	if err == nil && id != nil {
		d = a.decide(r, id, action, arn)
	}
	record(r, id, protocol, action, arn, d != iam.Allow)
	if d == iam.Allow {
		return id, true
	}
	if id != nil {
		// Known, and refused by its policy: asking again will not help.
		e := accessDenied(id, action, arn, d)
		e.Status = http.StatusForbidden
		WriteError(w, r, nil, nil, RESTJSON, e)
		return nil, false
	}
	if !ConsoleRequest(r) {
		// A console page's request is not challenged: the browser would
		// ask for Basic credentials over the page, which logs in itself.
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
		if bearerOK && len(a.Tokens) > 0 {
			w.Header().Add("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		}
	}
	msg := "Credentials are required: HTTP Basic (user: access key id, password: secret access key) or a presigned URL."
	var ae *APIError
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	WriteError(w, r, nil, nil, RESTJSON, &APIError{Type: "NotAuthorizedException", Status: http.StatusUnauthorized, Message: msg})
	return nil, false
}

// readerProtocol names the kind of URL r is, for the audit log.
func readerProtocol(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/")
	if kind, _, ok := strings.Cut(p, "/"); ok {
		switch kind {
		case "whip", "whep", "hls", "dash":
			return kind
		}
	}
	return "http"
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
