package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore/s3test"
)

// newStore starts versitygw with a bucket and returns a store on it, the
// server and a plain SDK client to look at what landed.
func newStore(t *testing.T, bucket string) (*objstore.S3, s3test.Server, *s3.Client) {
	t.Helper()
	srv := s3test.StartServer(t)
	store, err := objstore.NewS3(objstore.S3Config{
		Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	if bucket != "" {
		srv.CreateBucket(t, bucket)
	}
	return store, srv, srv.Client()
}

func TestS3PutLandsWithHeaders(t *testing.T) {
	ctx := context.Background()
	store, srv, client := newStore(t, "logs")
	if err := store.Check(ctx, "logs"); err != nil {
		t.Fatalf("Check on an existing bucket: %v", err)
	}

	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}
	objects := []struct {
		key  string
		body []byte
		meta delivery.ObjectMeta
	}{
		{"2026/07/13/14/stream-1-2026-07-13-14-05-09-a9fa96af-e4e4-409f-bac3-1f804714faaa.gz", gz,
			delivery.ObjectMeta{ContentType: "application/octet-stream", ContentEncoding: "gzip"}},
		{"2026/07/13/14/stream-1-2026-07-13-14-05-10-0b1c2d3e-e4e4-409f-bac3-1f804714faaa", []byte(`{"a":1}{"a":2}`), delivery.ObjectMeta{}},
		{"empty/object", nil, delivery.ObjectMeta{ContentType: "text/plain"}},
	}
	for _, o := range objects {
		if err := store.Put(ctx, "logs", o.key, o.body, o.meta); err != nil {
			t.Fatalf("Put %s: %v", o.key, err)
		}
	}
	for _, o := range objects {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(o.key)})
		if err != nil {
			t.Fatalf("GetObject %s: %v", o.key, err)
		}
		got, err := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, o.body) {
			t.Errorf("%s: body %q, want %q", o.key, got, o.body)
		}
		if o.meta.ContentType != "" && aws.ToString(out.ContentType) != o.meta.ContentType {
			t.Errorf("%s: Content-Type %q, want %q", o.key, aws.ToString(out.ContentType), o.meta.ContentType)
		}
		if aws.ToString(out.ContentEncoding) != o.meta.ContentEncoding {
			t.Errorf("%s: Content-Encoding %q, want %q", o.key, aws.ToString(out.ContentEncoding), o.meta.ContentEncoding)
		}
	}

	// The AWS CLI, a client users run, sees the objects under their keys.
	cmd := exec.Command("/usr/bin/aws", "--endpoint-url", srv.Endpoint, "s3", "ls", "--recursive", "s3://logs/")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_DEFAULT_REGION="+srv.Region, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3 ls: %v\n%s", err, out)
	}
	for _, o := range objects {
		if !strings.Contains(string(out), " "+o.key+"\n") {
			t.Errorf("aws s3 ls does not list %s:\n%s", o.key, out)
		}
	}
}

func TestS3NoSuchBucket(t *testing.T) {
	ctx := context.Background()
	store, _, _ := newStore(t, "")
	err := store.Put(ctx, "missing", "k", []byte("x"), delivery.ObjectMeta{})
	wantCode(t, err, "S3.NoSuchBucket", objstore.ErrNoSuchBucket)
	err = store.Check(ctx, "missing")
	wantCode(t, err, "S3.NoSuchBucket", objstore.ErrNoSuchBucket)
	if !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("Check's message does not name the bucket: %v", err)
	}
}

func TestS3AccessDenied(t *testing.T) {
	ctx := context.Background()
	_, srv, _ := newStore(t, "logs")
	store, err := objstore.NewS3(objstore.S3Config{
		Endpoint: srv.Endpoint, AccessKeyID: srv.AccessKey, SecretAccessKey: "not-the-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.Put(ctx, "logs", "k", []byte("x"), delivery.ObjectMeta{})
	wantCode(t, err, "S3.AccessDenied", objstore.ErrAccessDenied)
	err = store.Check(ctx, "logs")
	wantCode(t, err, "S3.AccessDenied", objstore.ErrAccessDenied)
}

func TestS3ServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	_ = l.Close()
	store, err := objstore.NewS3(objstore.S3Config{Endpoint: endpoint, AccessKeyID: "a", SecretAccessKey: "b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = store.Put(ctx, "logs", "k", []byte("x"), delivery.ObjectMeta{})
	wantCode(t, err, "InternalError", nil)
	if errors.Is(err, objstore.ErrNoSuchBucket) || errors.Is(err, objstore.ErrAccessDenied) {
		t.Errorf("a refused connection reads as a configuration fault: %v", err)
	}
}

func TestS3TLS(t *testing.T) {
	ctx := context.Background()
	srv := s3test.StartServerTLS(t)
	srv.CreateBucket(t, "tls")
	for _, tc := range []struct {
		name string
		cfg  objstore.S3Config
		ok   bool
	}{
		{"private CA", objstore.S3Config{CACertPEM: srv.CACertPEM}, true},
		{"skip verify", objstore.S3Config{InsecureSkipVerify: true}, true},
		{"system roots", objstore.S3Config{}, false},
	} {
		cfg := tc.cfg
		cfg.Endpoint, cfg.AccessKeyID, cfg.SecretAccessKey = srv.Endpoint, srv.AccessKey, srv.SecretKey
		store, err := objstore.NewS3(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Put(ctx, "tls", tc.name, []byte(tc.name), delivery.ObjectMeta{})
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok {
			wantCode(t, err, "InternalError", nil)
		}
	}
	out, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String("private CA")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	_ = out.Body.Close()
	if string(got) != "private CA" {
		t.Errorf("object holds %q", got)
	}
}

func TestS3BadCA(t *testing.T) {
	if _, err := objstore.NewS3(objstore.S3Config{Endpoint: "https://s3.example", CACertPEM: []byte("not a pem")}); err == nil {
		t.Fatal("NewS3 accepted a CA bundle with no certificate")
	}
}

func wantCode(t *testing.T, err error, code string, sentinel error) {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *delivery.Error", err, err)
	}
	if de.Code != code {
		t.Errorf("code %q, want %q (%v)", de.Code, code, err)
	}
	if de.Permanent {
		t.Errorf("S3 errors must stay retryable: %v", err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
	}
}
