package sts

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials     xmlCredentials `xml:"Credentials"`
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			Arn           string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
		PackedPolicySize *int `xml:"PackedPolicySize,omitempty"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type getSessionTokenResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetSessionTokenResponse"`
	Result  struct {
		Credentials xmlCredentials `xml:"Credentials"`
	} `xml:"GetSessionTokenResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// parentKey is the long-term key behind c: itself, or the one that began
// its session.
func parentKey(c Caller) string {
	if c.Temporary != nil {
		return c.Temporary.ParentKeyID
	}
	return c.KeyID
}

func (h *Handler) callerARN(c Caller) string {
	switch {
	case c.ARN != "":
		return c.ARN
	case c.Temporary != nil && c.Temporary.Role != "":
		return assumedRoleARN(h.cfg.Account, c.Temporary.Role, c.Temporary.SessionName)
	}
	return "arn:aws:iam::" + h.cfg.Account + ":user/" + parentKey(c)
}

// roleFromARN finds the configured role arn names. A string that is not an
// IAM role ARN is a ValidationError; a role ARN of another account, or of
// no configured role, is found = false (AccessDenied: AWS does not tell
// which roles exist).
func (h *Handler) roleFromARN(arn string) (role Role, found bool, e *apiError) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" ||
		!strings.HasPrefix(parts[5], "role/") || len(parts[5]) == len("role/") || strings.HasSuffix(parts[5], "/") {
		return Role{}, false, errValidation("Request ARN is invalid")
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	r, ok := h.roles[name]
	if !ok || arn != roleARN(h.cfg.Account, name) {
		return Role{}, false, nil
	}
	return r, true, nil
}

func trusts(r Role, keyID string) bool {
	return keyID != "" && (slices.Contains(r.Trusted, "*") || slices.Contains(r.Trusted, keyID))
}

// packedBudget is the space a session policy may take in its packed form:
// the compact JSON, deflated.
const packedBudget = 1024

func packedPercent(doc []byte) int {
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		compact.Reset()
		compact.Write(doc)
	}
	var packed bytes.Buffer
	fw, _ := flate.NewWriter(&packed, flate.BestCompression) // the level is valid
	fw.Write(compact.Bytes())
	fw.Close()
	return (packed.Len()*100 + packedBudget - 1) / packedBudget
}

func (h *Handler) checkPolicy(doc []byte) (int, *apiError) {
	validate := h.cfg.ValidatePolicy
	if validate == nil {
		validate = func(doc []byte) error {
			if !json.Valid(doc) {
				return fmt.Errorf("the policy is not valid JSON")
			}
			return nil
		}
	}
	if err := validate(doc); err != nil {
		return 0, &apiError{Code: "MalformedPolicyDocument", Message: err.Error(), Status: 400}
	}
	pct := packedPercent(doc)
	if pct > 100 {
		return 0, &apiError{Code: "PackedPolicyTooLarge", Status: 400,
			Message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)}
	}
	return pct, nil
}

func (h *Handler) assumeRole(c Caller, p url.Values, reqID string) (any, *apiError) {
	in, e := parseAssumeRole(p)
	if e != nil {
		return nil, e
	}
	role, found, e := h.roleFromARN(in.RoleArn)
	if e != nil {
		return nil, e
	}
	callerARN := h.callerARN(c)
	if !found || !trusts(role, parentKey(c)) {
		return nil, errNotAuthorized(callerARN, "sts:AssumeRole", in.RoleArn)
	}
	if h.cfg.Authorize != nil {
		if err := h.cfg.Authorize(c, "sts:AssumeRole", in.RoleArn); err != nil {
			return nil, errNotAuthorized(callerARN, "sts:AssumeRole", in.RoleArn)
		}
	}
	d := time.Duration(in.Duration) * time.Second
	chained := c.Temporary != nil && c.Temporary.Role != ""
	if chained && d > roleChainSession {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if d > role.MaxSession {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	var packed *int
	if in.Policy != nil {
		pct, e := h.checkPolicy(in.Policy)
		if e != nil {
			return nil, e
		}
		packed = &pct
	}
	cred, token, e := h.issue(c, role.Name, in.SessionName, in.Policy, d, reqID)
	if e != nil {
		return nil, e
	}
	out := &assumeRoleResponse{RequestID: reqID}
	out.Result.Credentials = xmlCreds(cred, token)
	out.Result.AssumedRoleUser.AssumedRoleID = roleID(h.cfg.Account, role.Name) + ":" + in.SessionName
	out.Result.AssumedRoleUser.Arn = assumedRoleARN(h.cfg.Account, role.Name, in.SessionName)
	out.Result.PackedPolicySize = packed
	return out, nil
}

func (h *Handler) getSessionToken(c Caller, p url.Values, reqID string) (any, *apiError) {
	if c.Temporary != nil {
		return nil, errAccessDenied("Cannot call GetSessionToken with session credentials")
	}
	secs, e := parseGetSessionToken(p)
	if e != nil {
		return nil, e
	}
	if h.cfg.Authorize != nil {
		if err := h.cfg.Authorize(c, "sts:GetSessionToken", "*"); err != nil {
			return nil, errNotAuthorized(h.callerARN(c), "sts:GetSessionToken", "*")
		}
	}
	cred, token, e := h.issue(c, "", "", nil, time.Duration(secs)*time.Second, reqID)
	if e != nil {
		return nil, e
	}
	out := &getSessionTokenResponse{RequestID: reqID}
	out.Result.Credentials = xmlCreds(cred, token)
	return out, nil
}

func (h *Handler) getCallerIdentity(c Caller, reqID string) any {
	out := &getCallerIdentityResponse{RequestID: reqID}
	out.Result.Account = h.cfg.Account
	out.Result.Arn = h.callerARN(c)
	if c.Temporary != nil && c.Temporary.Role != "" {
		out.Result.UserID = roleID(h.cfg.Account, c.Temporary.Role) + ":" + c.Temporary.SessionName
	} else {
		out.Result.UserID = userID(h.cfg.Account, parentKey(c))
	}
	return out
}

// issue makes and seals a fresh credential for c.
func (h *Handler) issue(c Caller, role, session string, policy []byte, d time.Duration, reqID string) (Credential, string, *apiError) {
	id, err := newAccessKeyID()
	if err != nil {
		h.cfg.Logger.Error("sts: issue credentials", "request_id", reqID, "err", err)
		return Credential{}, "", errInternal()
	}
	secret, err := newSecretAccessKey()
	if err != nil {
		h.cfg.Logger.Error("sts: issue credentials", "request_id", reqID, "err", err)
		return Credential{}, "", errInternal()
	}
	now := h.cfg.Now().UTC().Truncate(time.Second)
	cred := Credential{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		Issued:          now,
		Expiration:      now.Add(d),
		ParentKeyID:     parentKey(c),
		Role:            role,
		SessionName:     session,
		SessionPolicy:   policy,
	}
	if h.cfg.Sealer == nil {
		h.cfg.Logger.Error("sts: no session token sealer configured", "request_id", reqID)
		return Credential{}, "", errInternal()
	}
	token, err := h.cfg.Sealer.Seal(cred)
	if err != nil {
		h.cfg.Logger.Error("sts: seal session token", "request_id", reqID, "err", err)
		return Credential{}, "", errInternal()
	}
	h.cfg.Logger.Info("sts: issued session credentials", "request_id", reqID, "access_key_id", id,
		"parent_key_id", cred.ParentKeyID, "role", role, "session", session, "expiration", cred.Expiration)
	return cred, token, nil
}

func xmlCreds(c Credential, token string) xmlCredentials {
	return xmlCredentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    token,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	}
}
