package sts

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// boto3Script calls the server with boto3: AssumeRole (with a session
// policy), the session's GetCallerIdentity, GetSessionToken, and one
// refusal; it prints what it saw as JSON.
const boto3Script = `
import json, os, boto3, botocore.exceptions
ep, key, secret = os.environ["STS_ENDPOINT"], os.environ["STS_KEY"], os.environ["STS_SECRET"]
def client(k, s, t=None):
    return boto3.client("sts", endpoint_url=ep, region_name="us-east-1",
                        aws_access_key_id=k, aws_secret_access_key=s, aws_session_token=t)
out = {}
c = client(key, secret)
r = c.assume_role(RoleArn=os.environ["STS_ROLE"], RoleSessionName="boto3-session", DurationSeconds=900,
                  Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}')
cr = r["Credentials"]
out["assumed_arn"] = r["AssumedRoleUser"]["Arn"]
out["packed"] = r.get("PackedPolicySize")
out["expiration"] = cr["Expiration"].isoformat()
out["session_arn"] = client(cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"]).get_caller_identity()["Arn"]
g = c.get_session_token(DurationSeconds=3600)["Credentials"]
out["gst_key"] = g["AccessKeyId"]
out["gst_arn"] = client(g["AccessKeyId"], g["SecretAccessKey"], g["SessionToken"]).get_caller_identity()["Arn"]
try:
    c.assume_role(RoleArn=os.environ["STS_ROLE"], RoleSessionName="x y")
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
`

func TestBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 (with python3-boto3) is required: ", err)
	}
	e := newTestEnv(t)
	cmd := exec.Command(python, "-c", boto3Script)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"STS_ENDPOINT=" + e.srv.URL,
		"STS_KEY=" + keyAllowed,
		"STS_SECRET=" + e.keys[keyAllowed],
		"STS_ROLE=" + *roleArn("reader"),
	}
	b, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("boto3: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var out struct {
		AssumedARN string `json:"assumed_arn"`
		Packed     *int   `json:"packed"`
		Expiration string `json:"expiration"`
		SessionARN string `json:"session_arn"`
		GSTKey     string `json:"gst_key"`
		GSTARN     string `json:"gst_arn"`
		Error      []any  `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	wantRole := "arn:aws:sts::" + testAccount + ":assumed-role/reader/boto3-session"
	if out.AssumedARN != wantRole || out.SessionARN != wantRole {
		t.Fatalf("assumed %q, session identity %q", out.AssumedARN, out.SessionARN)
	}
	if out.Packed == nil || *out.Packed < 1 {
		t.Fatalf("PackedPolicySize %v", out.Packed)
	}
	if want := e.clock().Add(900 * 1e9).Format("2006-01-02T15:04:05+00:00"); out.Expiration != want {
		t.Fatalf("Expiration %q, want %q", out.Expiration, want)
	}
	if !strings.HasPrefix(out.GSTKey, "ASIA") || out.GSTARN != "arn:aws:iam::"+testAccount+":user/"+keyAllowed {
		t.Fatalf("GetSessionToken key %q, identity %q", out.GSTKey, out.GSTARN)
	}
	if len(out.Error) != 2 || out.Error[0] != "ValidationError" || out.Error[1] != float64(400) {
		t.Fatalf("error %v", out.Error)
	}
}
