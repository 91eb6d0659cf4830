package main

// STS: the sealer of session tokens, whose key lives in the data
// directory unless configured, and the handler's ties to the one check.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/web/awsapi"
	"github.com/shardcast/shardcast/web/iam"
	"github.com/shardcast/shardcast/web/sts"
)

// stsSealer returns the sealer of session tokens: the configured key, or
// the one kept in <data-dir>/sts.key (made on first start). Servers that
// share a JetStream store must be configured with the same key.
func stsSealer(cfg Config) (*sts.Sealer, error) {
	if cfg.Auth.SessionKey != "" {
		key, err := sessionKey(cfg.Auth.SessionKey)
		if err != nil {
			return nil, fmt.Errorf("auth session_key: %w", err)
		}
		return sts.NewSealer(key)
	}
	if cfg.Storage == "memory" {
		// Nothing outlives the process: neither do its sessions.
		key := make([]byte, 32)
		rand.Read(key)
		return sts.NewSealer(key)
	}
	path := filepath.Join(cfg.DataDir, "sts.key")
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("sts key: %w", err)
		}
		if err := fsutil.WriteFileAtomic(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("sts key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("sts key: %w", err)
	}
	s, err := sts.NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("sts key %s: %w", path, err)
	}
	return s, nil
}

// sessionTokens opens session tokens for awsapi.Auth.
type sessionTokens struct{ sealer *sts.Sealer }

func (t sessionTokens) OpenSession(token string) (awsapi.Session, error) {
	c, err := t.sealer.Open(token)
	if err != nil {
		return awsapi.Session{}, err
	}
	return awsapi.Session{AccessKeyID: c.AccessKeyID, Secret: c.SecretAccessKey, Expiration: c.Expiration, ParentKeyID: c.ParentKeyID,
		Role: c.Role, SessionName: c.SessionName, SessionPolicy: c.SessionPolicy}, nil
}

// stsCall is what stsHandler's Authenticate hands its Authorize: the
// request, and who the one check says made it.
type stsCall struct {
	r  *http.Request
	id *awsapi.Identity
}

// stsHandler is the STS handler over auth: it authenticates with the one
// check and asks it for sts:AssumeRole and sts:GetSessionToken.
func stsHandler(cfg Config, auth *awsapi.Auth, sealer *sts.Sealer, log *slog.Logger) http.Handler {
	roles := map[string]sts.Role{}
	for name, r := range cfg.Auth.Roles {
		trusted := r.Trusted
		roles[name] = sts.Role{Name: name, Trusted: trusted, MaxSession: r.MaxSession}
	}
	return sts.New(sts.Config{Sealer: sealer, Account: cfg.AccountID, Roles: roles,
		Authenticate: func(r *http.Request, body []byte) (sts.Caller, error) {
			call := awsapi.CallOf(r)
			call.Protocol = "sts"
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
				call.Action = "sts:" + form.Get("Action")
			} else if a := r.URL.Query().Get("Action"); a != "" {
				call.Action = "sts:" + a
			}
			id, err := auth.Authenticate(r, body)
			if err != nil {
				call.Denied = true
				return sts.Caller{}, err
			}
			call.Identity = id
			c := sts.Caller{Principal: stsCall{r: r, id: id}}
			if id == nil {
				// Nothing configured: any signature is taken at its word.
				c.KeyID = "anonymous"
				c.ARN = "arn:aws:iam::" + cfg.AccountID + ":user/anonymous"
				return c, nil
			}
			c.KeyID, c.ARN = id.KeyID, id.ARN
			if s := id.Session; s != nil {
				c.Temporary = &sts.Credential{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.Secret, Expiration: s.Expiration,
					ParentKeyID: s.ParentKeyID, Role: s.Role, SessionName: s.SessionName, SessionPolicy: s.SessionPolicy}
			}
			return c, nil
		},
		Authorize: func(c sts.Caller, action, resource string) error {
			sc, ok := c.Principal.(stsCall)
			if !ok {
				return errors.New("sts: a caller the one check did not authenticate")
			}
			if action == "sts:GetSessionToken" {
				return nil // as on AWS, no policy controls it
			}
			return auth.AuthorizeIdentity(sc.r, sc.id, action, resource)
		},
		ValidatePolicy: func(doc []byte) error {
			_, err := iam.Parse(doc)
			return err
		},
		Now:    cfg.now,
		Logger: log,
	})
}
