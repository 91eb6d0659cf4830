package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"

	"github.com/shardcast/shardcast/web/audit"
)

// The keys of the policy tests: one with all rights, and keys bounded by
// policies.
var (
	adminCreds  = aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"}
	writerCreds = aws.Credentials{AccessKeyID: "AKIDWRITER", SecretAccessKey: "writer-secret"}
	readerCreds = aws.Credentials{AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret"}
	camCreds    = aws.Credentials{AccessKeyID: "AKIDCAMS", SecretAccessKey: "cams-secret"}
	opsCreds    = aws.Credentials{AccessKeyID: "AKIDOPS", SecretAccessKey: "ops-secret"}
)

// writerPolicy may put records into the orders streams, but never with
// PutRecords into orders-locked (a Deny that beats the Allow), and feed
// the orders delivery stream.
const writerPolicy = `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["kinesis:PutRecord*", "kinesis:DescribeStream*", "kinesis:ListShards"],
   "Resource": "arn:aws:kinesis:*:*:stream/orders*"},
  {"Effect": "Deny", "Action": "kinesis:PutRecords", "Resource": "arn:aws:kinesis:us-east-1:000000000000:stream/orders-locked"},
  {"Effect": "Allow", "Action": "firehose:PutRecord*", "Resource": "arn:aws:firehose:*:*:deliverystream/orders"},
  {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/reader"}]}`

// policyConfigOf is a policy for a test configuration.
func policyConfigOf(doc string) policyConfig { return policyConfig{JSON: []byte(doc)} }

// securedConfig is a test configuration with the policy tests' keys.
func securedConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.Auth.Keys = map[string]keyConfig{
		adminCreds.AccessKeyID:  {Secret: adminCreds.SecretAccessKey},
		writerCreds.AccessKeyID: {Secret: writerCreds.SecretAccessKey, Policy: policyConfigOf(writerPolicy)},
		readerCreds.AccessKeyID: {Secret: readerCreds.SecretAccessKey, Policy: policyConfigOf(`{"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": ["kinesis:Get*", "kinesis:List*", "kinesis:Describe*"], "Resource": "*"}]}`)},
		camCreds.AccessKeyID: {Secret: camCreds.SecretAccessKey, Policy: policyConfigOf(`{"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": "kinesisvideo:*", "Resource": "arn:aws:kinesisvideo:*:*:stream/door-*/*"}]}`)},
		opsCreds.AccessKeyID: {Secret: opsCreds.SecretAccessKey, Policy: policyConfigOf(`{"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": "shardcast:Describe*", "Resource": "*"}]}`)},
	}
	return cfg
}

func firehoseClientAs(url string, creds aws.Credentials) *firehose.Client {
	return firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  sdkHTTPClient(awshttp.NewBuildableClient()), Retryer: aws.NopRetryer{}})
}

func kvsClientAs(url string, creds aws.Credentials) *kinesisvideo.Client {
	return kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  sdkHTTPClient(awshttp.NewBuildableClient()), Retryer: aws.NopRetryer{}})
}

// denied is IAM's sentence for a refused call.
func denied(user, action, resource string, explicit bool) string {
	why := "because no identity-based policy allows the " + action + " action"
	if explicit {
		why = "with an explicit deny in an identity-based policy"
	}
	return "User: arn:aws:iam::000000000000:user/" + user + " is not authorized to perform: " + action + " on resource: " + resource + " " + why
}

// TestPoliciesWithSDK checks keys bounded by policies through the AWS SDK
// for Go: what each may do on Kinesis, Firehose, Video Streams and the
// admin endpoints, a Deny that beats an Allow, and the audit log of it.
func TestPoliciesWithSDK(t *testing.T) {
	srv := startServer(t, securedConfig(t))
	url := srv.URL()
	admin, writer, reader := client(url, adminCreds), client(url, writerCreds), client(url, readerCreds)
	for _, name := range []string{"orders", "orders-locked", "other"} {
		createStream(t, admin, name, 1)
	}
	const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/"
	put := func(c *kinesis.Client, stream string) error {
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("k"), Data: []byte("x")})
		return err
	}
	if err := put(writer, "orders"); err != nil {
		t.Fatalf("writer puts into orders: %v", err)
	}
	wantErr(t, put(writer, "other"), "AccessDeniedException", denied("AKIDWRITER", "kinesis:PutRecord", arn+"other", false))
	wantErr(t, put(reader, "orders"), "AccessDeniedException", denied("AKIDREADER", "kinesis:PutRecord", arn+"orders", false))
	// PutRecord* allows PutRecords, but the Deny on orders-locked wins.
	puts := func(stream string) error {
		_, err := writer.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream),
			Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("y")}}})
		return err
	}
	if err := puts("orders"); err != nil {
		t.Fatalf("writer PutRecords into orders: %v", err)
	}
	wantErr(t, puts("orders-locked"), "AccessDeniedException", denied("AKIDWRITER", "kinesis:PutRecords", arn+"orders-locked", true))
	// By ARN, as the SDKs send it when given one.
	_, err := writer.PutRecord(ctx, &kinesis.PutRecordInput{StreamARN: aws.String(arn + "other"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantErr(t, err, "AccessDeniedException", denied("AKIDWRITER", "kinesis:PutRecord", arn+"other", false))
	// Calls that name no stream are on "*".
	_, err = writer.ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "AccessDeniedException", denied("AKIDWRITER", "kinesis:ListStreams", "*", false))
	_, err = writer.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders-new"), ShardCount: aws.Int32(1)})
	wantErr(t, err, "AccessDeniedException", denied("AKIDWRITER", "kinesis:CreateStream", arn+"orders-new", false))
	// The reader reads everything.
	it, err := reader.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("orders"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := reader.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 2 {
		t.Fatalf("reader GetRecords: %v %v", gr, err)
	}

	// Firehose: the writer feeds orders only.
	fadmin := firehoseClientAs(url, adminCreds)
	for _, name := range []string{"orders", "other"} {
		if _, err := fadmin.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
			ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")}}); err != nil {
			t.Fatal(err)
		}
	}
	fwriter := firehoseClientAs(url, writerCreds)
	fput := func(name string) error {
		_, err := fwriter.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(name), Record: &fhtypes.Record{Data: []byte("z\n")}})
		return err
	}
	if err := fput("orders"); err != nil {
		t.Fatalf("writer feeds orders: %v", err)
	}
	wantErr(t, fput("other"), "AccessDeniedException", denied("AKIDWRITER", "firehose:PutRecord", "arn:aws:firehose:us-east-1:000000000000:deliverystream/other", false))

	// Video: the camera key may do anything to the door-* streams, whose
	// ARNs carry their creation time.
	cams := kvsClientAs(url, camCreds)
	if _, err := cams.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("door-1"), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatalf("cams create door-1: %v", err)
	}
	if _, err := cams.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("door-1"), APIName: kvtypes.APINameGetMedia}); err != nil {
		t.Fatalf("cams GetDataEndpoint door-1: %v", err)
	}
	_, err = cams.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("yard-1"), DataRetentionInHours: aws.Int32(1)})
	wantErr(t, err, "AccessDeniedException", denied("AKIDCAMS", "kinesisvideo:CreateStream", "arn:aws:kinesisvideo:us-east-1:000000000000:stream/yard-1/0", false))
	if httpStatus(err) != http.StatusUnauthorized {
		t.Errorf("KVS AccessDeniedException: status %d, want 401", httpStatus(err))
	}

	// Admin endpoints are actions of their own.
	admin1 := func(creds aws.Credentials, method, path string) int {
		req, _ := http.NewRequest(method, url+path, nil)
		signRequest(t, req, creds, "kinesis", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		creds        aws.Credentials
		method, path string
		want         int
	}{
		{adminCreds, "GET", "/admin/v1/ingest", 200},
		{opsCreds, "GET", "/admin/v1/ingest", 200},
		{writerCreds, "GET", "/admin/v1/ingest", 403},
		{opsCreds, "POST", "/admin/rotate-master-key", 403},
		{opsCreds, "DELETE", "/admin/v1/sources/door-1", 403},
	} {
		if got := admin1(c.creds, c.method, c.path); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.creds.AccessKeyID, c.method, c.path, got, c.want)
		}
	}

	// The audit log: control-plane calls, denied calls and admin calls,
	// not the allowed record traffic.
	if err := srv.audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	events := readAudit(t, filepath.Join(srv.dir, "audit", "audit.log"))
	find := func(key, action, result string) *audit.Event {
		for i := range events {
			e := &events[i]
			if e.KeyID == key && e.Action == action && e.Result == result {
				return e
			}
		}
		return nil
	}
	if e := find("AKIDADMIN", "kinesis:CreateStream", "allowed"); e == nil || e.Resource != arn+"orders" || e.RequestID == "" || e.Protocol != "api" ||
		!strings.HasPrefix(e.Source, "127.0.0.1:") || e.Principal != "arn:aws:iam::000000000000:user/AKIDADMIN" {
		t.Errorf("CreateStream by the admin key: %+v", e)
	}
	if e := find("AKIDWRITER", "kinesis:PutRecord", "denied"); e == nil || e.Resource != arn+"other" || e.ErrorCode != "AccessDeniedException" || e.Status != 400 {
		t.Errorf("the writer's denied PutRecord: %+v", e)
	}
	if e := find("AKIDWRITER", "shardcast:DescribeIngestSessions", "denied"); e == nil || e.Protocol != "admin" || e.Status != 403 {
		t.Errorf("the writer's denied admin call: %+v", e)
	}
	if e := find("AKIDOPS", "shardcast:DescribeIngestSessions", "allowed"); e == nil {
		t.Errorf("the ops key's admin call is not in the audit log")
	}
	if e := find("AKIDWRITER", "kinesis:PutRecord", "allowed"); e != nil {
		t.Errorf("an allowed PutRecord is in the audit log: %+v", e)
	}
}

// readAudit reads an audit log file.
func readAudit(t *testing.T, path string) []audit.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// signRequest signs r as the SDK does, at now.
func signRequest(t *testing.T, r *http.Request, creds aws.Credentials, service string, body []byte) {
	t.Helper()
	signAt(t, r, creds, service, body, time.Now())
}

func signAt(t *testing.T, r *http.Request, creds aws.Credentials, service string, body []byte, when time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, sha256Hex(body), service, "us-east-1", when); err != nil {
		t.Fatal(err)
	}
}

// TestSignatureErrorsWithSDK checks what a client with the wrong secret,
// an unknown key, a skewed clock or an expired presigned request gets.
func TestSignatureErrorsWithSDK(t *testing.T) {
	srv := startServer(t, securedConfig(t))
	url := srv.URL()
	_, err := client(url, aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "wrong"}).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	_, err = client(url, aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}).ListStreams(ctx, &kinesis.ListStreamsInput{})
	wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	_, err = firehoseClientAs(url, aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}).ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	_, err = kvsClientAs(url, aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "wrong"}).ListStreams(ctx, &kinesisvideo.ListStreamsInput{})
	wantErr(t, err, "InvalidSignatureException", "")

	// A clock six minutes off: AWS allows five.
	body := []byte(`{}`)
	for _, off := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
		req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
		signAt(t, req, adminCreds, "kinesis", body, time.Now().Add(off))
		code, msg := doAPI(t, req)
		if code != "InvalidSignatureException" || !strings.HasPrefix(msg, "Signature expired: ") || !strings.HasSuffix(msg, " - 5 min.)") {
			t.Errorf("clock off by %v: %s %q", off, code, msg)
		}
	}
	// Four minutes off is within bounds.
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	signAt(t, req, adminCreds, "kinesis", body, time.Now().Add(-4*time.Minute))
	if code, msg := doAPI(t, req); code != "" {
		t.Errorf("clock off by 4m: %s %s", code, msg)
	}

	// A presigned API request (the query form of SigV4): good, then expired.
	presign := func(creds aws.Credentials, when time.Time, expires string) *http.Request {
		req, _ := http.NewRequest("POST", url+"/?X-Amz-Expires="+expires, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
		u, hdr, err := v4.NewSigner().PresignHTTP(ctx, creds, req, sha256Hex(body), "kinesis", "us-east-1", when)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := http.NewRequest("POST", u, strings.NewReader(string(body)))
		out.Header = req.Header.Clone()
		for k, v := range hdr {
			out.Header[k] = v
		}
		return out
	}
	if code, msg := doAPI(t, presign(adminCreds, time.Now(), "60")); code != "" {
		t.Errorf("presigned ListStreams: %s %s", code, msg)
	}
	if code, msg := doAPI(t, presign(adminCreds, time.Now().Add(-2*time.Minute), "60")); code != "InvalidSignatureException" || !strings.HasPrefix(msg, "Signature expired") {
		t.Errorf("expired presigned ListStreams: %s %q", code, msg)
	}
	if code, _ := doAPI(t, presign(aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "wrong"}, time.Now(), "60")); code != "InvalidSignatureException" {
		t.Errorf("presigned with a wrong secret: %s", code)
	}
	if code, _ := doAPI(t, presign(writerCreds, time.Now(), "60")); code != "AccessDeniedException" {
		t.Errorf("presigned by a key whose policy does not allow ListStreams: %s", code)
	}
}

// doAPI sends a JSON 1.1 request and returns its error type and message
// ("" on success).
func doAPI(t *testing.T, req *http.Request) (string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		return "", ""
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	json.Unmarshal(b, &e)
	return e.Type, e.Message
}

// httpStatus is the HTTP status of an SDK error's response.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
