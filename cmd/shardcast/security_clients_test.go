package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/shardcast/shardcast/fragments"
)

// readerRole is a role the writer key may assume: it reads the orders
// streams.
const readerRole = `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["kinesis:Get*", "kinesis:List*", "kinesis:Describe*"], "Resource": "*"}]}`

func stsClient(url string, creds aws.Credentials) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  sdkHTTPClient(awshttp.NewBuildableClient()), Retryer: aws.NopRetryer{}})
}

// stsConfig is securedConfig with the reader role, which the writer key
// may assume, and a clock the test moves.
func stsConfig(t *testing.T, offset *atomic.Int64) Config {
	cfg := securedConfig(t)
	cfg.Auth.Roles = map[string]roleConfig{"reader": {Policy: policyConfigOf(readerRole), Trusted: []string{writerCreds.AccessKeyID}}}
	cfg.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	return cfg
}

// TestSTSSessionsWithSDK checks temporary credentials through the AWS SDK
// for Go: an assumed role's session may do what the role may (and a
// session policy narrows it), GetSessionToken's what its key may, and
// both stop when they expire.
func TestSTSSessionsWithSDK(t *testing.T) {
	var offset atomic.Int64
	srv := startServer(t, stsConfig(t, &offset))
	url := srv.URL()
	admin := client(url, adminCreds)
	createStream(t, admin, "orders", 1)
	createStream(t, admin, "other", 1)

	out, err := stsClient(url, writerCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/reader"),
		RoleSessionName: aws.String("nightly-report"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	if !strings.HasPrefix(session.AccessKeyID, "ASIA") || *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/reader/nightly-report" {
		t.Fatalf("AssumeRole: %s %s", session.AccessKeyID, *out.AssumedRoleUser.Arn)
	}
	role := client(url, session)
	if _, err := role.ListStreams(ctx, &kinesis.ListStreamsInput{}); err != nil {
		t.Fatalf("the role session lists streams: %v", err)
	}
	_, err = role.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "AccessDeniedException", "User: arn:aws:sts::000000000000:assumed-role/reader/nightly-report is not authorized to perform: kinesis:PutRecord on resource: arn:aws:kinesis:us-east-1:000000000000:stream/orders because no identity-based policy allows the kinesis:PutRecord action")
	who, err := stsClient(url, session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *who.Arn != "arn:aws:sts::000000000000:assumed-role/reader/nightly-report" || *who.Account != "000000000000" {
		t.Fatalf("GetCallerIdentity of the session: %v %v", who, err)
	}

	// A session policy narrows the role to the orders stream.
	narrow, err := stsClient(url, writerCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/reader"),
		RoleSessionName: aws.String("orders-only"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/orders"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	nc := narrow.Credentials
	nclient := client(url, aws.Credentials{AccessKeyID: *nc.AccessKeyId, SecretAccessKey: *nc.SecretAccessKey, SessionToken: *nc.SessionToken})
	if _, err := nclient.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")}); err != nil {
		t.Fatalf("the narrowed session describes orders: %v", err)
	}
	_, err = nclient.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("other")})
	wantErr(t, err, "AccessDeniedException", "")

	// Keys the role does not trust cannot assume it.
	_, err = stsClient(url, readerCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/reader"), RoleSessionName: aws.String("x1")})
	wantErr(t, err, "AccessDenied", "")

	// GetSessionToken: the writer's rights, for a while.
	st, err := stsClient(url, writerCreds).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatal(err)
	}
	sc := st.Credentials
	wsession := client(url, aws.Credentials{AccessKeyID: *sc.AccessKeyId, SecretAccessKey: *sc.SecretAccessKey, SessionToken: *sc.SessionToken})
	if _, err := wsession.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Fatalf("the writer's session puts into orders: %v", err)
	}
	_, err = wsession.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("other"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "AccessDeniedException", denied("AKIDWRITER", "kinesis:PutRecord", "arn:aws:kinesis:us-east-1:000000000000:stream/other", false))

	// A token that was tampered with, or given with another session's key.
	bad := session
	bad.SessionToken = session.SessionToken[:len(session.SessionToken)-2] + "AA"
	_, err = client(url, bad).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	bad = session
	bad.AccessKeyID = *sc.AccessKeyId
	_, err = client(url, bad).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "UnrecognizedClientException", "")

	// Sixteen minutes on, the 15-minute role session has expired; the
	// hour-long one has not. The clock moves for the server only, so the
	// client signs raw requests at the server's time.
	offset.Store(int64(16 * time.Minute))
	later := time.Now().Add(16 * time.Minute)
	list := func(creds aws.Credentials) (string, string) {
		body := []byte(`{}`)
		req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
		signAt(t, req, creds, "kinesis", body, later)
		return doAPI(t, req)
	}
	if code, msg := list(session); code != "ExpiredTokenException" || msg != "The security token included in the request is expired" {
		t.Errorf("the expired role session: %s %q", code, msg)
	}
	if code, _ := list(aws.Credentials{AccessKeyID: *sc.AccessKeyId, SecretAccessKey: *sc.SecretAccessKey, SessionToken: *sc.SessionToken}); code != "AccessDeniedException" {
		t.Errorf("the writer's hour-long session (ListStreams is not the writer's): %s", code)
	}
}

// TestSecurityWithCLIAndBoto3 checks the same with the AWS CLI and boto3:
// signed requests succeed, a wrong secret, an unknown key and a denied
// action fail with each service's error, and an assumed role's session
// works.
func TestSecurityWithCLIAndBoto3(t *testing.T) {
	var offset atomic.Int64
	srv := startServer(t, stsConfig(t, &offset))
	url := srv.URL()
	createStream(t, client(url, adminCreds), "orders", 1)
	cli := newCLI(t, url)
	as := func(creds aws.Credentials) *awsCLI {
		c := *cli
		c.env = append([]string{}, cli.env...)
		for i, e := range c.env {
			switch {
			case strings.HasPrefix(e, "AWS_ACCESS_KEY_ID="):
				c.env[i] = "AWS_ACCESS_KEY_ID=" + creds.AccessKeyID
			case strings.HasPrefix(e, "AWS_SECRET_ACCESS_KEY="):
				c.env[i] = "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey
			}
		}
		if creds.SessionToken != "" {
			c.env = append(c.env, "AWS_SESSION_TOKEN="+creds.SessionToken)
		}
		return &c
	}
	fails := func(c *awsCLI, code string, args ...string) {
		t.Helper()
		_, stderr, rc := c.run(args...)
		if rc == 0 || !strings.Contains(stderr, "("+code+")") {
			t.Errorf("aws %s: exit %d, stderr %q, want %s", strings.Join(args, " "), rc, stderr, code)
		}
	}
	put := []string{"kinesis", "put-record", "--stream-name", "orders", "--partition-key", "k", "--data", "eA=="}
	as(writerCreds).ok(nil, put...)
	fails(as(readerCreds), "AccessDeniedException", put...)
	fails(as(aws.Credentials{AccessKeyID: writerCreds.AccessKeyID, SecretAccessKey: "wrong"}), "InvalidSignatureException", put...)
	fails(as(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}), "UnrecognizedClientException", put...)
	fails(as(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}), "InvalidClientTokenId", "sts", "get-caller-identity")
	var assumed struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	as(writerCreds).ok(&assumed, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/reader", "--role-session-name", "cli")
	role := as(aws.Credentials{AccessKeyID: assumed.Credentials.AccessKeyId, SecretAccessKey: assumed.Credentials.SecretAccessKey, SessionToken: assumed.Credentials.SessionToken})
	var streams struct{ StreamNames []string }
	role.ok(&streams, "kinesis", "list-streams")
	if len(streams.StreamNames) != 1 || streams.StreamNames[0] != "orders" {
		t.Errorf("the CLI's role session lists %v", streams.StreamNames)
	}
	fails(role, "AccessDeniedException", put...)

	// boto3: the same, in one script.
	const python = "/usr/bin/python3"
	script := `
import boto3, json, os, sys
from botocore.exceptions import ClientError
url = os.environ["SHARDCAST_URL"]
def kinesis(key, secret, token=None):
    return boto3.client("kinesis", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)
def code(f):
    try:
        f()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]
out = []
put = lambda c: c.put_record(StreamName="orders", PartitionKey="k", Data=b"x")
out.append(code(lambda: put(kinesis("AKIDWRITER", "writer-secret"))))
out.append(code(lambda: put(kinesis("AKIDREADER", "reader-secret"))))
out.append(code(lambda: put(kinesis("AKIDWRITER", "wrong"))))
out.append(code(lambda: put(kinesis("AKIDNOBODY", "x"))))
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDWRITER", aws_secret_access_key="writer-secret")
c = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/reader", RoleSessionName="boto3")["Credentials"]
role = kinesis(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
out.append(",".join(role.list_streams()["StreamNames"]))
out.append(code(lambda: put(role)))
print(json.dumps(out))
`
	cmd := exec.Command(python, "-c", script)
	cmd.Env = clientEnv(url, "orders")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var got []string
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("boto3 printed %s", b)
	}
	want := []string{"ok", "AccessDeniedException", "InvalidSignatureException", "UnrecognizedClientException", "orders", "AccessDeniedException"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("boto3: %v, want %v", got, want)
	}
}

// TestWHIPTokenPolicies checks bearer tokens mapped to policies: a
// publisher's token publishes to the streams its policy names, and is
// refused elsewhere; no token is refused with a challenge.
func TestWHIPTokenPolicies(t *testing.T) {
	need(t, "ffmpeg")
	cfg := securedConfig(t)
	cfg.Auth.Tokens = map[string]tokenConfig{"door-publisher": {Token: "door-publisher-token-0123", Policy: policyConfigOf(`{"Version": "2012-10-17",
		"Statement": [{"Effect": "Allow", "Action": "kinesisvideo:PutMedia", "Resource": "arn:aws:kinesisvideo:*:*:stream/door-*/*"}]}`)}}
	srv := startServer(t, cfg)
	base := srv.URL()
	for _, name := range []string{"door-1", "yard"} {
		if _, err := srv.video.CreateStream(fragments.CreateInput{Name: name, RetentionHours: 24}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		token, stream string
		code          int
	}{{"", "door-1", 401}, {"not-a-token", "door-1", 401}, {"door-publisher-token-0123", "yard", 403}} {
		pub := newWHIPClient(t, base, whipOpts{token: c.token})
		offer, _ := pub.offer()
		r, body := pub.request("POST", base+"/whip/"+c.stream, "application/sdp", offer)
		if r.StatusCode != c.code {
			t.Errorf("token %q on %s: %d %s, want %d", c.token, c.stream, r.StatusCode, body, c.code)
		}
		if c.code == 401 && !strings.Contains(strings.Join(r.Header.Values("WWW-Authenticate"), ","), "Bearer") {
			t.Errorf("token %q: challenge %q", c.token, r.Header.Values("WWW-Authenticate"))
		}
		pub.close()
	}
	pub := newWHIPClient(t, base, whipOpts{token: "door-publisher-token-0123"})
	pub.publish("door-1")
	pub.send(3 * time.Second)
	pub.end()
	waitIdle(t, srv)
	if len(storedFragments(t, srv, "door-1")) == 0 {
		t.Error("the token's publish stored nothing")
	}
}

// TestRTSPPerStreamCredentials checks a key bounded to some streams on
// RTSP: ffmpeg publishes with it (Digest or Basic in the URL) to a stream
// its policy names; another stream refuses it, and the refusal is in the
// audit log.
func TestRTSPPerStreamCredentials(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) {
		withCreds(c)
		c.Video.FragmentMaxDuration = time.Second
		c.Auth.Keys = map[string]keyConfig{camCreds.AccessKeyID: {Secret: camCreds.SecretAccessKey, Policy: policyConfigOf(`{"Version": "2012-10-17",
			"Statement": [{"Effect": "Allow", "Action": ["kinesisvideo:PutMedia", "kinesisvideo:GetMedia"], "Resource": "arn:aws:kinesisvideo:*:*:stream/door-*/*"}]}`)}}
	})
	addr := srv.rtsp.Addr()
	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(camCreds.AccessKeyID+":"+camCreds.SecretAccessKey))
	if status, _ := rtspRequest(t, addr, "ANNOUNCE", "yard", basic); !strings.Contains(status, " 401 ") {
		t.Errorf("ANNOUNCE yard with the door key: %q, want 401", status)
	}
	if status, _ := rtspRequest(t, addr, "DESCRIBE", "yard", basic); !strings.Contains(status, " 401 ") {
		t.Errorf("DESCRIBE yard with the door key: %q, want 401", status)
	}
	runCamera(t, ffmpegCamera(t, "rtsp://"+camCreds.AccessKeyID+":"+camCreds.SecretAccessKey+"@"+addr+"/door-1", 3, "tcp", "h264"))
	waitIdle(t, srv)
	checkFragments(t, srv, "door-1", 3, 2)
	if err := srv.audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range readAudit(t, filepath.Join(srv.dir, "audit", "audit.log")) {
		if e.Protocol == "rtsp" && e.Result == "denied" && e.KeyID == camCreds.AccessKeyID && e.Action == "kinesisvideo:PutMedia" &&
			strings.HasPrefix(e.Resource, "arn:aws:kinesisvideo:us-east-1:000000000000:stream/yard/") {
			found = true
		}
	}
	if !found {
		t.Error("the refused RTSP publish is not in the audit log")
	}
}

// TestAuditToDataStream checks that the audit log is appended to a data
// stream when one is configured, so it can be read like any other.
func TestAuditToDataStream(t *testing.T) {
	cfg := securedConfig(t)
	cfg.Audit.Stream = "audit-trail"
	srv := startServer(t, cfg)
	c := client(srv.URL(), adminCreds)
	createStream(t, c, "orders", 1)
	_, err := client(srv.URL(), readerCreds).PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("orders"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "AccessDeniedException", "")
	if err := srv.audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("audit-trail"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: "TRIM_HORIZON"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	deadline := time.Now().Add(time.Minute)
	for len(actions) < 2 && time.Now().Before(deadline) {
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			var e struct{ Action, Result, AccessKeyID string }
			if err := json.Unmarshal(r.Data, &e); err != nil {
				t.Fatalf("audit record %q: %v", r.Data, err)
			}
			actions = append(actions, e.Action+" "+e.Result+" "+e.AccessKeyID)
		}
		it.ShardIterator = out.NextShardIterator
		time.Sleep(100 * time.Millisecond)
	}
	want := []string{"kinesis:CreateStream allowed AKIDADMIN", "kinesis:PutRecord denied AKIDREADER"}
	if strings.Join(actions, "; ") != strings.Join(want, "; ") {
		t.Errorf("the audit stream holds %v, want %v", actions, want)
	}
}
