// Package sts serves the part of AWS STS that lets applications trade a
// long-term access key for short-lived ones: AssumeRole, GetSessionToken
// and GetCallerIdentity, over STS's Query protocol, and seals the
// temporary credentials into their session tokens.
//
// # Basics
//
// Query tells the router which requests are STS's: a POST to "/" with a
// form body (application/x-www-form-urlencoded), or a GET of "/" with
// Action in the query. Handler reads the parameters (the form body, or the
// query of a GET), asks Config.Authenticate who signed the request, checks
// Action and Version=2011-06-15, validates each parameter against the STS
// model (answering ValidationError in AWS's "N validation errors
// detected: ..." wording) and answers in STS's XML namespace; errors are
// <ErrorResponse> documents with AWS's codes and statuses.
//
// A temporary credential is stateless: its access key id ("ASIA..."),
// secret, expiry, the long-term key that asked for it, the role, session
// name and session policy are sealed with AES-256-GCM into the session
// token itself (Sealer). The server verifies a request signed with it by
// opening the token from X-Amz-Security-Token, comparing the access key
// ids, checking the expiry and signing with the sealed secret; nothing is
// stored, so tokens survive restarts and work on every node that shares
// the key, and none can be revoked before it expires except by changing
// the key, which ends them all.
//
// AssumeRole grants a configured Role to the long-term keys it trusts
// (Role.Trusted) when Config.Authorize also allows sts:AssumeRole on the
// role's ARN; an unknown role and an untrusted or refused caller get the
// same AccessDenied, as in AWS. DurationSeconds runs from 900 seconds to
// the role's MaxSession (default one hour). A role session assuming a
// role (role chaining) is trusted as the key that began the chain and is
// held to one hour. A Policy narrows the session; Config.ValidatePolicy
// checks it (MalformedPolicyDocument) and the server intersects it with
// the role's rights when it authorizes the session's requests.
// GetSessionToken gives a long-term key's own rights for 900 seconds to 36
// hours (default 12); session credentials may not call it.
// GetCallerIdentity answers any authenticated caller with its account,
// ARN and IAM-style unique id.
//
// # Caveats
//
// Left out: AssumeRoleWithSAML, AssumeRoleWithWebIdentity,
// GetFederationToken, DecodeAuthorizationMessage, GetAccessKeyInfo; MFA
// (SerialNumber, TokenCode); session tags (Tags, TransitiveTagKeys);
// managed session policies (PolicyArns); SourceIdentity and
// ProvidedContexts. A request carrying any of these parameters is refused
// with ValidationError rather than half-honoured. ExternalId is accepted
// and checked for shape only: roles have no trust-policy conditions.
// Roles are configured, not created through an IAM API, and have no
// paths: RoleArn must be exactly arn:aws:iam::ACCOUNT:role/NAME.
//
// PackedPolicySize is shardcast's own measure (the policy's compact JSON,
// deflated, against 1 KiB); AWS's packing is not public, so a policy near
// the limit may pass here and fail there or the other way round.
//
// Authentication errors arrive from Config.Authenticate as the JSON
// services' types and are read from their "Type: message" text, so this
// package does not import the server's awsapi package (which imports this
// one). Only the form-encoded Query protocol is spoken, which is what the
// SDKs and the CLI send to STS; not the JSON protocol AWS moved some other
// Query services to.
package sts
