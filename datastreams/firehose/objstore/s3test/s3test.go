package s3test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/shardcast/shardcast/datastreams/firehose/internal/testproc"
)

// The root account's credentials in every server Start runs.
const (
	AccessKey = "shardcasttest"
	SecretKey = "shardcast-test-secret"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	Endpoint  string // http://127.0.0.1:<port>
	AccessKey string
	SecretKey string
	Region    string
	// Root is the directory holding the buckets (one directory each).
	Root string
	// CACertPEM is the certificate that signs the server's TLS certificate
	// (StartServerTLS only).
	CACertPEM []byte
}

// Start starts an S3-compatible server for the test and returns its
// endpoint and root credentials. The server stops when the test ends.
func Start(t testing.TB) (endpoint, accessKey, secret string) {
	t.Helper()
	s := StartServer(t)
	return s.Endpoint, s.AccessKey, s.SecretKey
}

// StartServer is Start returning the server's data directory and region too.
func StartServer(t testing.TB) Server {
	t.Helper()
	return start(t, false)
}

// StartServerTLS starts the server on HTTPS with a certificate for
// 127.0.0.1 from a CA made for the test (Server.CACertPEM).
func StartServerTLS(t testing.TB) Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, withTLS bool) Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	root, meta := filepath.Join(dir, "root"), filepath.Join(dir, "meta")
	for _, d := range []string{root, meta} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "versitygw.log")
	port := testproc.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"--port", addr, "--access", AccessKey, "--secret", SecretKey, "--region", Region, "--quiet"}
	scheme, caPEM := "http", []byte(nil)
	if withTLS {
		var certFile, keyFile string
		caPEM, certFile, keyFile = writeCert(t, dir)
		args = append(args, "--cert", certFile, "--key", keyFile)
		scheme = "https"
	}
	args = append(args, "posix", "--sidecar", meta, root)
	// SIGKILL for a test binary that dies: nothing of the server is worth
	// keeping then.
	exited := testproc.Start(t, exec.Command(bin, args...), logPath, syscall.SIGTERM, syscall.SIGKILL)

	s := Server{Endpoint: scheme + "://" + addr, AccessKey: AccessKey, SecretKey: SecretKey, Region: Region,
		Root: root, CACertPEM: caPEM}
	waitReady(t, "tcp", addr, exited, logPath)
	return s
}

// Client returns an SDK client signed with the root credentials, for tests
// to create buckets and read what landed.
func (s Server) Client() *s3.Client {
	httpClient := awshttp.NewBuildableClient()
	if len(s.CACertPEM) > 0 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CACertPEM)
		httpClient = httpClient.WithTransportOptions(func(tr *http.Transport) {
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		})
	}
	return s3.New(s3.Options{
		HTTPClient:   httpClient,
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}, nil
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// CreateBucket creates a bucket through the S3 API.
func (s Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// waitReady dials the server until it listens, or fails the test when the
// server exits (or has not come up after a minute).
func waitReady(t testing.TB, network, addr string, exited <-chan error, logPath string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := net.DialTimeout(network, addr, 5*time.Second)
		if err == nil {
			_ = conn.Close()
			return
		}
		select {
		case werr := <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("versitygw exited: %v\n%s", werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("versitygw did not listen on %s: %v\n%s", addr, err, out)
		}
	}
}

// Binary returns the path of versitygw: on PATH, or where make deps
// installs it ($GOPATH/bin). A missing one fails the test.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	for _, gopath := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(gopath, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("versitygw is not installed: run make deps (it builds github.com/versity/versitygw/cmd/versitygw into %s)",
		filepath.Join(build.Default.GOPATH, "bin"))
	return ""
}
