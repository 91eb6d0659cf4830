package awsapi

import (
	"errors"
	"net/http"
)

// Allow lets a caller do action on resource through the URLs that are not
// signed API calls: the plain HLS URLs and player page (ActionRead, by way
// of AllowReader), WHIP publishing (ActionPublish) and WHEP viewing. With
// credentials configured it needs HTTP Basic (user the access key id,
// password the secret) or a SigV4 presigned query, verified over the
// request's path or else over signedPath (a stream's playlist, whose
// presigned parameters the player hands on); only the query's X-Amz-*
// parameters are covered. When refused it has written a 401 with
// WWW-Authenticate: Basic and returns "", false; otherwise it returns the
// verified key id ("" when nothing is configured).
func (a *Auth) Allow(w http.ResponseWriter, r *http.Request, action, resource, signedPath string) (string, bool) {
	if a.Open() {
		return "", true
	}
	who, err := a.readerIdentity(r, signedPath)
	if err == nil {
		err = a.Authorize(who, action, resource)
	}
	if err == nil {
		return who, true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	msg := "Credentials are required: HTTP Basic (user: access key id, password: secret access key) or a presigned URL."
	var ae *APIError
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	WriteError(w, r, nil, nil, RESTJSON, &APIError{Type: "NotAuthorizedException", Status: http.StatusUnauthorized, Message: msg})
	return "", false
}
