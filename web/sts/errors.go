package sts

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
)

// apiError is an STS error answer: a Query-protocol code, message and status.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errValidation(msg string) *apiError {
	return &apiError{Code: "ValidationError", Message: msg, Status: http.StatusBadRequest}
}

func errAccessDenied(msg string) *apiError {
	return &apiError{Code: "AccessDenied", Message: msg, Status: http.StatusForbidden}
}

func errNotAuthorized(callerARN, action, resource string) *apiError {
	return errAccessDenied("User: " + callerARN + " is not authorized to perform: " + action + " on resource: " + resource)
}

func errInternal() *apiError {
	return &apiError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
}

// authCodes maps the JSON services' authentication error types, as the
// server's SigV4 check names them, to STS's codes and statuses.
var authCodes = map[string]struct {
	code   string
	status int
}{
	"UnrecognizedClientException":         {"InvalidClientTokenId", http.StatusForbidden},
	"InvalidSignatureException":           {"SignatureDoesNotMatch", http.StatusForbidden},
	"IncompleteSignatureException":        {"IncompleteSignature", http.StatusBadRequest},
	"MissingAuthenticationTokenException": {"MissingAuthenticationToken", http.StatusForbidden},
	"ExpiredTokenException":               {"ExpiredToken", http.StatusBadRequest},
	"AccessDeniedException":               {"AccessDenied", http.StatusForbidden},
}

// authError turns an error of Config.Authenticate into STS's answer. The
// server's errors render as "Type: message" (awsapi.APIError); this package
// reads that prefix rather than importing awsapi, which imports this one.
// Anything unrecognised is an internal failure.
func authError(err error) *apiError {
	for e := err; e != nil; e = errors.Unwrap(e) {
		typ, msg, ok := strings.Cut(e.Error(), ": ")
		if !ok {
			typ = e.Error()
		}
		if m, ok := authCodes[typ]; ok {
			if msg == "" {
				msg = defaultAuthMessage(m.code)
			}
			return &apiError{Code: m.code, Message: msg, Status: m.status}
		}
	}
	return nil
}

func defaultAuthMessage(code string) string {
	switch code {
	case "InvalidClientTokenId":
		return "The security token included in the request is invalid."
	case "SignatureDoesNotMatch":
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	case "ExpiredToken":
		return "The security token included in the request is expired"
	case "MissingAuthenticationToken":
		return "Request is missing Authentication Token"
	}
	return code
}

type xmlError struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, e.Status, xmlError{Type: typ, Code: e.Code, Message: e.Message, RequestID: requestID})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil { // only our own fixed shapes are marshalled
		http.Error(w, "internal failure", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}
