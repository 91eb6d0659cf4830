package sts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

func (e *testEnv) client(keyID, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.srv.URL),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token}, nil
		}),
	})
}

func (e *testEnv) longTerm(keyID string) *sts.Client { return e.client(keyID, e.keys[keyID], "") }

func session(e *testEnv, c *types.Credentials) *sts.Client {
	return e.client(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// wantAPIError checks err is STS's code, status and message.
func wantAPIError(t *testing.T, err error, code string, status int, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Fatalf("error = %s: %q\nwant %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("status of %v: want %d", err, status)
	}
}

func roleArn(name string) *string { return aws.String("arn:aws:iam::" + testAccount + ":role/" + name) }

func TestGetCallerIdentityLongTermKey(t *testing.T) {
	e := newTestEnv(t)
	out, err := e.longTerm(keyAllowed).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != testAccount || *out.Arn != "arn:aws:iam::"+testAccount+":user/"+keyAllowed ||
		!strings.HasPrefix(*out.UserId, "AIDA") || len(*out.UserId) != 21 {
		t.Fatalf("GetCallerIdentity = %s %s %s", *out.Account, *out.Arn, *out.UserId)
	}
}

func TestAssumeRole(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	out, err := e.longTerm(keyAllowed).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: roleArn("reader"), RoleSessionName: aws.String("app@host-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.AccessKeyId) != 20 || len(*c.SecretAccessKey) != 40 {
		t.Fatalf("credentials %q %q", *c.AccessKeyId, *c.SecretAccessKey)
	}
	if want := e.clock().Add(time.Hour); !c.Expiration.Equal(want) {
		t.Fatalf("Expiration = %v, want %v (the default hour)", c.Expiration, want)
	}
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::"+testAccount+":assumed-role/reader/app@host-1" ||
		!strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") ||
		!strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":app@host-1") {
		t.Fatalf("AssumedRoleUser = %s %s", *out.AssumedRoleUser.Arn, *out.AssumedRoleUser.AssumedRoleId)
	}
	if out.PackedPolicySize != nil {
		t.Fatalf("PackedPolicySize = %d without a policy", *out.PackedPolicySize)
	}
	sealed, err := e.sealer.Open(*c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.AccessKeyID != *c.AccessKeyId || sealed.SecretAccessKey != *c.SecretAccessKey || sealed.ParentKeyID != keyAllowed ||
		sealed.Role != "reader" || sealed.SessionName != "app@host-1" || sealed.SessionPolicy != nil ||
		!sealed.Expiration.Equal(*c.Expiration) || !sealed.Issued.Equal(e.clock()) {
		t.Fatalf("sealed credential %+v", sealed)
	}

	// The session credentials sign requests: the caller is the role session.
	id, err := session(e, c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != *out.AssumedRoleUser.Arn || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Fatalf("session identity %s %s", *id.Arn, *id.UserId)
	}

	// Up to the role's own maximum.
	long, err := e.longTerm(keyAllowed).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: roleArn("reader"), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock().Add(2 * time.Hour); !long.Credentials.Expiration.Equal(want) {
		t.Fatalf("Expiration = %v, want %v", long.Credentials.Expiration, want)
	}

	// Until it expires.
	e.setClock(c.Expiration.Add(time.Second))
	_, err = session(e, c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", 400, "The security token included in the request is expired")
}

func TestAssumeRoleWithPolicy(t *testing.T) {
	e := newTestEnv(t)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:GetRecords","Resource":"*"}]}`
	out, err := e.longTerm(keyAllowed).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: roleArn("reader"), RoleSessionName: aws.String("narrow"), Policy: aws.String(policy),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize < 1 || *out.PackedPolicySize > 100 {
		t.Fatalf("PackedPolicySize = %v", out.PackedPolicySize)
	}
	sealed, err := e.sealer.Open(*out.Credentials.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if string(sealed.SessionPolicy) != policy {
		t.Fatalf("sealed policy %q", sealed.SessionPolicy)
	}
}

func TestRoleChaining(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	first, err := e.longTerm(keyOther).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: roleArn("chain"), RoleSessionName: aws.String("first"), DurationSeconds: aws.Int32(43200),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := session(e, first.Credentials)
	_, err = s.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: roleArn("chain"), RoleSessionName: aws.String("second"), DurationSeconds: aws.Int32(3601),
	})
	wantAPIError(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	// A role session is trusted as the key that began the chain: keyOther is
	// not trusted by reader.
	_, err = s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleArn("reader"), RoleSessionName: aws.String("second")})
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:sts::"+testAccount+":assumed-role/chain/first is not authorized to perform: sts:AssumeRole on resource: "+*roleArn("reader"))

	second, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleArn("chain"), RoleSessionName: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := e.sealer.Open(*second.Credentials.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.ParentKeyID != keyOther || sealed.SessionName != "second" {
		t.Fatalf("chained credential %+v", sealed)
	}
}

func TestGetSessionToken(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	out, err := e.longTerm(keyAllowed).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock().Add(12 * time.Hour); !out.Credentials.Expiration.Equal(want) {
		t.Fatalf("Expiration = %v, want %v (the default 12h)", out.Credentials.Expiration, want)
	}
	sealed, err := e.sealer.Open(*out.Credentials.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.Role != "" || sealed.SessionName != "" || sealed.ParentKeyID != keyAllowed {
		t.Fatalf("sealed %+v", sealed)
	}
	s := session(e, out.Credentials)
	id, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:iam::"+testAccount+":user/"+keyAllowed || !strings.HasPrefix(*id.UserId, "AIDA") {
		t.Fatalf("identity %s %s", *id.Arn, *id.UserId)
	}
	_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")

	// GetSessionToken's credentials may assume a role; that is not chaining.
	if _, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleArn("reader"), RoleSessionName: aws.String("from-gst"), DurationSeconds: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}

	long, err := e.longTerm(keyAllowed).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock().Add(36 * time.Hour); !long.Credentials.Expiration.Equal(want) {
		t.Fatalf("Expiration = %v, want %v", long.Credentials.Expiration, want)
	}
}

func randomText(t *testing.T, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func TestErrors(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	reader := *roleArn("reader")
	userARN := func(k string) string { return "arn:aws:iam::" + testAccount + ":user/" + k }
	assume := func(c *sts.Client, in sts.AssumeRoleInput) error {
		if in.RoleArn == nil {
			in.RoleArn = aws.String(reader)
		}
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("sess")
		}
		_, err := c.AssumeRole(ctx, &in)
		return err
	}
	// A policy of random text: valid JSON that deflate cannot shrink.
	bulky := `{"Version":"2012-10-17","Statement":[{"Sid":"` + randomText(t, 1900) + `","Effect":"Allow","Action":"*","Resource":"*"}]}`
	expired, _ := e.sealer.Seal(Credential{AccessKeyID: "ASIAEXPIREDEXPIRED00", SecretAccessKey: strings.Repeat("x", 40),
		Expiration: e.clock().Add(-time.Second), ParentKeyID: keyAllowed})
	forged, _ := mustSealer(t, testKey(9)).Seal(Credential{AccessKeyID: "ASIAFORGEDFORGED0000", SecretAccessKey: strings.Repeat("x", 40),
		Expiration: e.clock().Add(time.Hour), ParentKeyID: keyAllowed})

	for _, tc := range []struct {
		name    string
		err     error
		code    string
		status  int
		message string
	}{
		{"unknown key", assume(e.client("AKIDUNKNOWN000000000", "x", ""), sts.AssumeRoleInput{}),
			"InvalidClientTokenId", 403, "The security token included in the request is invalid."},
		{"wrong secret", assume(e.client(keyAllowed, "wrong", ""), sts.AssumeRoleInput{}),
			"SignatureDoesNotMatch", 403, ""},
		{"expired token", assume(e.client("ASIAEXPIREDEXPIRED00", strings.Repeat("x", 40), expired), sts.AssumeRoleInput{}),
			"ExpiredToken", 400, "The security token included in the request is expired"},
		{"token of another key", assume(e.client("ASIAFORGEDFORGED0000", strings.Repeat("x", 40), forged), sts.AssumeRoleInput{}),
			"InvalidClientTokenId", 403, ""},
		{"key the role does not trust", assume(e.longTerm(keyOther), sts.AssumeRoleInput{}),
			"AccessDenied", 403, "User: " + userARN(keyOther) + " is not authorized to perform: sts:AssumeRole on resource: " + reader},
		{"policy refuses", assume(e.longTerm(keyDenied), sts.AssumeRoleInput{}),
			"AccessDenied", 403, "User: " + userARN(keyDenied) + " is not authorized to perform: sts:AssumeRole on resource: " + reader},
		{"unknown role", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleArn: roleArn("nope")}),
			"AccessDenied", 403, "User: " + userARN(keyAllowed) + " is not authorized to perform: sts:AssumeRole on resource: " + *roleArn("nope")},
		{"role of another account", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/reader")}),
			"AccessDenied", 403, ""},
		{"not a role ARN", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:s3:::some-bucket-name")}),
			"ValidationError", 400, "Request ARN is invalid"},
		{"short RoleArn", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:role")}),
			"ValidationError", 400, "1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"short session name", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleSessionName: aws.String("a")}),
			"ValidationError", 400, "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name pattern and duration", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{RoleSessionName: aws.String("a b"), DurationSeconds: aws.Int32(100)}),
			"ValidationError", 400, `2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`},
		{"duration over 12h", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{DurationSeconds: aws.Int32(43201)}),
			"ValidationError", 400, "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"duration over the role's maximum", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{DurationSeconds: aws.Int32(7201)}),
			"ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"malformed policy", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{Policy: aws.String(`{"Version":`)}),
			"MalformedPolicyDocument", 400, ""},
		{"policy too long", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{Policy: aws.String(`{"Sid":"` + strings.Repeat("a", 2048) + `"}`)}),
			"ValidationError", 400, ""},
		{"policy packs too large", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{Policy: aws.String(bulky)}),
			"PackedPolicyTooLarge", 400, ""},
		{"managed session policies", assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{PolicyArns: []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}}),
			"ValidationError", 400, "PolicyArns (managed session policies) is not supported by shardcast; see the README's security section."},
		{"session duration over 36h", func() error {
			_, err := e.longTerm(keyAllowed).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
			return err
		}(), "ValidationError", 400, "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
		{"GetSessionToken refused by policy", func() error {
			_, err := e.longTerm(keyDenied).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}(), "AccessDenied", 403, "User: " + userARN(keyDenied) + " is not authorized to perform: sts:GetSessionToken on resource: *"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.err, tc.code, tc.status, tc.message) })
	}
	if !strings.Contains(assume(e.longTerm(keyAllowed), sts.AssumeRoleInput{Policy: aws.String(bulky)}).Error(), "Packed policy consumes ") {
		t.Fatal("PackedPolicyTooLarge message does not say how much")
	}
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func TestWireShapes(t *testing.T) {
	e := newTestEnv(t)
	status, body, hdr := e.rawCall(t, http.MethodPost, "Action=Frobnicate&Version=2011-06-15", keyAllowed)
	var er xmlErrorResponse
	if err := xml.Unmarshal([]byte(body), &er); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if status != 400 || er.Type != "Sender" || er.Code != "InvalidAction" || er.Message != "Could not find operation Frobnicate for version 2011-06-15" ||
		er.RequestID == "" || er.RequestID != hdr.Get("X-Amzn-Requestid") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/xml") {
		t.Fatalf("status %d, %+v, header %v", status, er, hdr)
	}

	status, body, _ = e.rawCall(t, http.MethodPost, "Action=GetCallerIdentity&Version=2010-01-01", keyAllowed)
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Fatalf("other version: %d %s", status, body)
	}
	status, body, _ = e.rawCall(t, http.MethodPost, "Version=2011-06-15", keyAllowed)
	if status != 400 || !strings.Contains(body, "<Code>MissingAction</Code>") {
		t.Fatalf("no action: %d %s", status, body)
	}

	// The GET form, parameters in the query.
	status, body, _ = e.rawCall(t, http.MethodGet, "Action=GetCallerIdentity&Version=2011-06-15", keyAllowed)
	var id struct {
		XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Arn       string   `xml:"GetCallerIdentityResult>Arn"`
		Account   string   `xml:"GetCallerIdentityResult>Account"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &id); err != nil || status != 200 || id.Account != testAccount || id.RequestID == "" {
		t.Fatalf("GET: %d %v %s", status, err, body)
	}

	// No signature at all.
	resp, err := http.Post(e.srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		method, target, ctype string
		want                  bool
	}{
		{"POST", "/", "application/x-www-form-urlencoded; charset=utf-8", true},
		{"POST", "/", "application/x-www-form-urlencoded", true},
		{"POST", "/", "application/x-amz-json-1.1", false},
		{"POST", "/", "", false},
		{"POST", "/createStream", "application/x-www-form-urlencoded", false},
		{"GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", true},
		{"GET", "/", "", false},
		{"GET", "/hls/cam/index.m3u8?Action=x", "", false},
		{"PUT", "/?Action=GetCallerIdentity", "", false},
	} {
		body := "Action=GetCallerIdentity"
		r, _ := http.NewRequest(tc.method, "http://example"+tc.target, strings.NewReader(body))
		if tc.ctype != "" {
			r.Header.Set("Content-Type", tc.ctype)
		}
		if got := Query(r); got != tc.want {
			t.Errorf("Query(%s %s %q) = %v, want %v", tc.method, tc.target, tc.ctype, got, tc.want)
		}
		rest := make([]byte, 64)
		n, _ := r.Body.Read(rest)
		if string(rest[:n]) != body {
			t.Errorf("Query consumed the body: %q left", rest[:n])
		}
	}
}

func ExampleQuery() {
	r, _ := http.NewRequest("POST", "http://localhost:4566/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	fmt.Println(Query(r))
	// Output: true
}
