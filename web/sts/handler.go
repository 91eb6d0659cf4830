package sts

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Role is a role callers may assume.
type Role struct {
	Name string
	// Trusted lists the long-term access key ids allowed to assume the
	// role; "*" trusts any configured key. A role session assuming another
	// role (role chaining) is trusted as the key that began the chain.
	Trusted []string
	// MaxSession bounds AssumeRole's DurationSeconds: 1h (the default, for
	// zero) to 12h.
	MaxSession time.Duration
}

// Caller is the verified identity behind a request, as the server's
// authentication says.
type Caller struct {
	KeyID string // the access key id that signed
	// ARN is "arn:aws:iam::ACCOUNT:user/KEYID" for a long-term key (and
	// for GetSessionToken's credentials), and
	// "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION" for a role session.
	ARN string
	// Temporary is non-nil when the request was signed with session
	// credentials.
	Temporary *Credential
	// Principal is what Authenticate wants Authorize to see again (the
	// server's own record of the caller and its request); sts does not
	// look at it.
	Principal any
}

// Config is what a Handler needs; Sealer, Account and Authenticate are
// required.
type Config struct {
	Sealer  *Sealer
	Account string          // 12 digits, in ARNs
	Roles   map[string]Role // by name; RoleArn is arn:aws:iam::ACCOUNT:role/NAME
	// Authenticate verifies the request's SigV4 signature (service "sts")
	// over body and says who signed it. Its errors are the JSON services'
	// (awsapi.APIError, "Type: message"): UnrecognizedClientException,
	// InvalidSignatureException, IncompleteSignatureException,
	// MissingAuthenticationTokenException and ExpiredTokenException become
	// InvalidClientTokenId, SignatureDoesNotMatch, IncompleteSignature,
	// MissingAuthenticationToken and ExpiredToken.
	Authenticate func(r *http.Request, body []byte) (Caller, error)
	// Authorize is the server's policy check: may c do action
	// ("sts:AssumeRole", "sts:GetSessionToken") on resource (the role ARN,
	// or "*")? A refusal becomes AccessDenied. nil allows.
	Authorize func(c Caller, action, resource string) error
	// ValidatePolicy checks a session policy (the Policy parameter); its
	// error becomes MalformedPolicyDocument. nil checks that it is JSON.
	ValidatePolicy func(doc []byte) error
	Now            func() time.Time // nil: time.Now
	Logger         *slog.Logger     // nil: slog.Default()
}

// Handler answers STS Query requests; see the package documentation.
type Handler struct {
	cfg   Config
	roles map[string]Role
}

// The bounds of a role's maximum session, and role chaining's limit.
const (
	minRoleSession   = time.Hour
	maxRoleSession   = 12 * time.Hour
	roleChainSession = time.Hour
)

// maxBody bounds a request body: the largest valid request (a 2048-character
// policy, percent-encoded, and a 2048-character ARN) is well under it.
const maxBody = 64 << 10

// New returns a Handler for POST / and GET / Query requests. A role's
// MaxSession outside 1h..12h is brought into it (and logged); the caller's
// configuration check should refuse such a role first.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	roles := make(map[string]Role, len(cfg.Roles))
	for name, r := range cfg.Roles {
		if r.Name == "" {
			r.Name = name
		}
		switch {
		case r.MaxSession == 0:
			r.MaxSession = minRoleSession
		case r.MaxSession < minRoleSession:
			cfg.Logger.Warn("sts: role max session below 1h, using 1h", "role", name, "max_session", r.MaxSession)
			r.MaxSession = minRoleSession
		case r.MaxSession > maxRoleSession:
			cfg.Logger.Warn("sts: role max session above 12h, using 12h", "role", name, "max_session", r.MaxSession)
			r.MaxSession = maxRoleSession
		}
		roles[name] = r
	}
	return &Handler{cfg: cfg, roles: roles}
}

// ServeHTTP answers one Query request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Amzn-Requestid")
	if reqID == "" {
		reqID = uuid.NewString()
		w.Header().Set("X-Amzn-Requestid", reqID)
	}
	out, e := h.serve(r, reqID)
	if e != nil {
		writeError(w, reqID, e)
		return
	}
	writeXML(w, http.StatusOK, out)
}

func (h *Handler) serve(r *http.Request, reqID string) (any, *apiError) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, &apiError{Code: "InvalidAction", Message: "STS answers GET and POST only", Status: http.StatusMethodNotAllowed}
	}
	rb := r.Body
	if rb == nil {
		rb = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, rb, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{Code: "RequestEntityTooLarge", Message: "Request body is too large", Status: http.StatusRequestEntityTooLarge}
		}
		return nil, &apiError{Code: "MalformedQueryString", Message: "The request body could not be read", Status: http.StatusBadRequest}
	}
	p, e := params(r, body)
	if e != nil {
		return nil, e
	}
	if h.cfg.Authenticate == nil {
		return nil, &apiError{Code: "MissingAuthenticationToken", Message: defaultAuthMessage("MissingAuthenticationToken"), Status: http.StatusForbidden}
	}
	caller, err := h.cfg.Authenticate(r, body)
	if err != nil {
		if e := authError(err); e != nil {
			return nil, e
		}
		h.cfg.Logger.Error("sts: authentication failed", "request_id", reqID, "err", err)
		return nil, errInternal()
	}
	action := p.Get("Action")
	if !p.Has("Action") || action == "" {
		return nil, &apiError{Code: "MissingAction", Message: "Missing Action", Status: http.StatusBadRequest}
	}
	if version := p.Get("Version"); version != apiVersion {
		return nil, invalidAction(action, version)
	}
	switch action {
	case "AssumeRole":
		return h.assumeRole(caller, p, reqID)
	case "GetSessionToken":
		return h.getSessionToken(caller, p, reqID)
	case "GetCallerIdentity":
		return h.getCallerIdentity(caller, reqID), nil
	}
	return nil, invalidAction(action, apiVersion)
}

func invalidAction(action, version string) *apiError {
	return &apiError{Code: "InvalidAction", Message: "Could not find operation " + action + " for version " + version, Status: http.StatusBadRequest}
}
