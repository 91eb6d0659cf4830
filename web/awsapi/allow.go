package awsapi

import (
	"errors"
	"net/http"
)

// Allow is AllowReader for any action (ActionPublish for WHIP, ActionRead
// for WHEP): with credentials configured, r needs HTTP Basic (user the
// access key id, password the secret) or a presigned query over its own
// path. When refused it has written a 401 with WWW-Authenticate: Basic and
// returns "", false; otherwise it returns the verified key id ("" when
// nothing is configured).
func (a *Auth) Allow(w http.ResponseWriter, r *http.Request, action, resource string) (string, bool) {
	if a.Open() {
		return "", true
	}
	who, err := a.readerIdentity(r, "")
	if err == nil {
		err = a.Authorize(who, action, resource)
	}
	if err == nil {
		return who, true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
	msg := "Credentials are required: HTTP Basic (user: access key id, password: secret access key) or a presigned URL."
	var ae *APIError
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	WriteError(w, r, nil, nil, RESTJSON, &APIError{Type: "NotAuthorizedException", Status: http.StatusUnauthorized, Message: msg})
	return "", false
}
