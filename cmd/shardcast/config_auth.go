package main

// Credentials and their policies: access keys (all rights, or bounded by
// an IAM-style policy), bearer tokens for WHIP/WHEP, the roles STS lets
// keys assume, and the audit log.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/web/awsapi"
	"github.com/shardcast/shardcast/web/iam"
)

// keyConfig is one entry of auth.keys: a bare secret (all rights), or
// {secret, policy}.
type keyConfig struct {
	Secret string
	Policy policyConfig
}

// UnmarshalYAML takes `KEYID: secret` and `KEYID: {secret: ..., policy: ...}`.
func (k *keyConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&k.Secret)
	}
	var full struct {
		Secret string       `yaml:"secret"`
		Policy policyConfig `yaml:"policy"`
	}
	if err := decodeStrict(n, &full); err != nil {
		return err
	}
	k.Secret, k.Policy = full.Secret, full.Policy
	return nil
}

// decodeStrict decodes n refusing unknown keys (yaml.v3's KnownFields
// does not reach into a custom unmarshaler).
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// policyConfig is a policy document: YAML in IAM's shape, or a string of
// its JSON. Its raw JSON is kept; parsing (and its errors) happen in
// validation.
type policyConfig struct {
	JSON   []byte
	parsed *iam.Policy
}

func (p *policyConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		p.JSON = []byte(n.Value)
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(yamlToJSON(v))
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	p.JSON = b
	return nil
}

// yamlToJSON turns yaml.v3's decoded values into ones encoding/json takes
// (maps with string keys).
func yamlToJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = yamlToJSON(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = yamlToJSON(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = yamlToJSON(e)
		}
	}
	return v
}

// tokenConfig is one entry of auth.tokens: a bearer token WHIP publishers
// and WHEP viewers send, and the policy that bounds it.
type tokenConfig struct {
	Token  string       `yaml:"token"`
	Policy policyConfig `yaml:"policy"`
}

// roleConfig is one entry of auth.roles: a role STS's AssumeRole hands out
// sessions of.
type roleConfig struct {
	Policy     policyConfig  `yaml:"policy"`
	Trusted    []string      `yaml:"trusted"` // key ids that may assume it; "*": any configured key
	MaxSession time.Duration `yaml:"max_session"`
}

// authConfig is the auth section of the configuration.
type authConfig struct {
	// One credential, convenient for flags and the environment.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// Keys maps more access key ids to a secret (all rights) or to
	// {secret, policy}. With no credential at all, any well-formed SigV4
	// signature is accepted unchecked.
	Keys   map[string]keyConfig   `yaml:"keys"`
	Tokens map[string]tokenConfig `yaml:"tokens"`
	Roles  map[string]roleConfig  `yaml:"roles"`
	// SessionKey seals STS session tokens (base64 or hex of 32 bytes);
	// empty: a key kept in the data directory (sts.key).
	SessionKey string `yaml:"session_key"`
}

// auditConfig is the audit section.
type auditConfig struct {
	// Path of the audit log; empty: <data-dir>/audit/audit.log; "off": none.
	Path     string `yaml:"path"`
	MaxBytes int64  `yaml:"max_bytes"`
	Keep     int    `yaml:"keep"`
	// Stream, when set, is a data stream every audit line is appended to.
	Stream string `yaml:"stream"`
}

// validateAuth parses every policy and checks names and references.
func (c *Config) validateAuth() []error {
	var errs []error
	a := &c.Auth
	if (a.AccessKeyID == "") != (a.SecretAccessKey == "") {
		errs = append(errs, errors.New("auth access_key_id and secret_access_key go together"))
	}
	parse := func(what string, p *policyConfig) {
		if len(p.JSON) == 0 {
			return
		}
		pol, err := iam.Parse(p.JSON)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: policy: %w", what, err))
			return
		}
		p.parsed = pol
	}
	for _, id := range sortedKeys(a.Keys) {
		k := a.Keys[id]
		if id == "" || k.Secret == "" {
			errs = append(errs, fmt.Errorf("auth key %q needs both an id and a secret", id))
		}
		if strings.ContainsAny(id, ":/ \t") {
			errs = append(errs, fmt.Errorf("auth key id %q must not contain ':', '/' or spaces", id))
		}
		parse(fmt.Sprintf("auth key %q", id), &k.Policy)
		a.Keys[id] = k
	}
	seen := map[string]string{}
	for _, name := range sortedKeys(a.Tokens) {
		t := a.Tokens[name]
		if len(t.Token) < 16 || strings.ContainsAny(t.Token, " \t\r\n") {
			errs = append(errs, fmt.Errorf("auth token %q: the token must be at least 16 characters, without spaces", name))
		}
		if other, dup := seen[t.Token]; dup {
			errs = append(errs, fmt.Errorf("auth tokens %q and %q have the same token", other, name))
		}
		seen[t.Token] = name
		parse(fmt.Sprintf("auth token %q", name), &t.Policy)
		a.Tokens[name] = t
	}
	for _, name := range sortedKeys(a.Roles) {
		r := a.Roles[name]
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-") != "" || len(name) > 64 {
			errs = append(errs, fmt.Errorf("auth role %q: a role name is 1 to 64 of letters, digits and +=,.@_-", name))
		}
		if r.MaxSession != 0 && (r.MaxSession < time.Hour || r.MaxSession > 12*time.Hour) {
			errs = append(errs, fmt.Errorf("auth role %q: max_session %v is outside 1h to 12h", name, r.MaxSession))
		}
		for _, k := range r.Trusted {
			if _, ok := a.Keys[k]; !ok && k != "*" && k != a.AccessKeyID {
				errs = append(errs, fmt.Errorf("auth role %q trusts key %q, which is not configured", name, k))
			}
		}
		parse(fmt.Sprintf("auth role %q", name), &r.Policy)
		a.Roles[name] = r
	}
	if _, err := sessionKey(a.SessionKey); a.SessionKey != "" && err != nil {
		errs = append(errs, fmt.Errorf("auth session_key: %w", err))
	}
	if c.Audit.MaxBytes < 0 || c.Audit.Keep < 0 {
		errs = append(errs, errors.New("audit max_bytes and keep must not be negative"))
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// authKeys returns every configured access key with its policy.
func (c *Config) authKeys() map[string]awsapi.Key {
	keys := map[string]awsapi.Key{}
	for id, k := range c.Auth.Keys {
		keys[id] = awsapi.Key{Secret: k.Secret, Policy: k.Policy.parsed}
	}
	if c.Auth.AccessKeyID != "" {
		keys[c.Auth.AccessKeyID] = awsapi.Key{Secret: c.Auth.SecretAccessKey}
	}
	return keys
}

// authTokens returns the bearer tokens with their policies.
func (c *Config) authTokens() []awsapi.Token {
	var out []awsapi.Token
	for _, name := range sortedKeys(c.Auth.Tokens) {
		t := c.Auth.Tokens[name]
		out = append(out, awsapi.Token{Name: name, Secret: t.Token, Policy: t.Policy.parsed})
	}
	return out
}

// authRoles returns the roles' policies by name.
func (c *Config) authRoles() map[string]*iam.Policy {
	out := map[string]*iam.Policy{}
	for name, r := range c.Auth.Roles {
		out[name] = r.Policy.parsed
	}
	return out
}

// sessionKey decodes a configured STS session key: 32 bytes, base64 or hex.
func sessionKey(s string) ([]byte, error) {
	return envelope.ParseMasterKey(s)
}
