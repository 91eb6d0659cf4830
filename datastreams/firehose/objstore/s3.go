package objstore

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// S3Config says how to reach an S3-compatible server.
type S3Config struct {
	// Endpoint is the server's URL (http://127.0.0.1:7070,
	// https://s3.example.com). Empty means AWS's S3 in Region.
	Endpoint string
	// Region signs the requests; "" means us-east-1.
	Region string
	// AccessKeyID and SecretAccessKey sign the requests; both empty means
	// anonymous requests.
	AccessKeyID     string
	SecretAccessKey string
	// VirtualHostedStyle addresses buckets as <bucket>.<endpoint host>.
	// The default (false) is path-style, <endpoint>/<bucket>/<key>, which
	// self-hosted servers expect.
	VirtualHostedStyle bool
	// CACertPEM, when set, holds the PEM certificates that verify the
	// server's TLS certificate (a private CA); the system roots otherwise.
	CACertPEM []byte
	// InsecureSkipVerify accepts any TLS certificate (tests only).
	InsecureSkipVerify bool
}

// Errors an S3 write can fail with, for errors.Is. Both are configuration
// faults that retrying soon will not mend; Firehose retries them anyway
// (S3 write errors only ever retry), so they are for messages and backoff.
var (
	ErrNoSuchBucket = errors.New("no such bucket")
	ErrAccessDenied = errors.New("access denied")
)

// S3 is an ObjectStore on an S3-compatible server, through the AWS SDK's S3
// client.
type S3 struct {
	client   *s3.Client
	endpoint string
}

var _ delivery.ObjectStore = (*S3)(nil)

// NewS3 returns an S3 store for cfg. It makes no request: Check does.
func NewS3(cfg S3Config) (*S3, error) {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	var tlsCfg *tls.Config
	if len(cfg.CACertPEM) > 0 || cfg.InsecureSkipVerify {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
		if len(cfg.CACertPEM) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
				return nil, errors.New("objstore: S3 CA certificates: no PEM certificate found")
			}
			tlsCfg.RootCAs = pool
		}
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if tlsCfg != nil {
			tr.TLSClientConfig = tlsCfg
		}
	})
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		static := aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, Source: "shardcast config"}
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return static, nil })
	}
	opts := s3.Options{
		Region:       region,
		Credentials:  creds,
		HTTPClient:   httpClient,
		UsePathStyle: !cfg.VirtualHostedStyle,
		// Self-hosted servers vary in their support of the SDK's default
		// CRC trailers; checksums only where the API requires them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "S3 in " + region
	}
	return &S3{client: s3.New(opts), endpoint: endpoint}, nil
}

// Put stores body under bucket/key with meta's Content-Type and
// Content-Encoding. A failure is a *delivery.Error with Firehose's S3 error
// code (S3.NoSuchBucket, S3.AccessDenied, S3.MethodNotAllowed,
// InternalError) wrapping the SDK's error; for the first two it wraps
// ErrNoSuchBucket or ErrAccessDenied too.
func (s *S3) Put(ctx context.Context, bucket, key string, body []byte, meta delivery.ObjectMeta) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	}
	if meta.ContentType != "" {
		in.ContentType = aws.String(meta.ContentType)
	}
	if meta.ContentEncoding != "" {
		in.ContentEncoding = aws.String(meta.ContentEncoding)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return s.classify(err, fmt.Sprintf("put s3://%s/%s on %s", bucket, key, s.endpoint))
	}
	return nil
}

// Check asks the server whether bucket exists and the credentials reach it
// (HeadBucket), for a clear message when a delivery stream is created.
func (s *S3) Check(ctx context.Context, bucket string) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return s.classify(err, fmt.Sprintf("bucket %q on %s", bucket, s.endpoint))
	}
	return nil
}

// classify turns an SDK error into a *delivery.Error with Firehose's code.
func (s *S3) classify(err error, what string) error {
	code, sentinel := "InternalError", error(nil)
	apiCode, status := "", 0
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		apiCode = apiErr.ErrorCode()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	switch {
	case apiCode == "NoSuchBucket" || (apiCode == "NotFound" || apiCode == "") && status == http.StatusNotFound:
		code, sentinel = "S3.NoSuchBucket", ErrNoSuchBucket
	case apiCode == "AccessDenied" || apiCode == "InvalidAccessKeyId" || apiCode == "SignatureDoesNotMatch" ||
		status == http.StatusForbidden:
		code, sentinel = "S3.AccessDenied", ErrAccessDenied
	case apiCode == "MethodNotAllowed" || status == http.StatusMethodNotAllowed:
		code = "S3.MethodNotAllowed"
	}
	wrapped := err
	if sentinel != nil {
		wrapped = fmt.Errorf("%w: %w", sentinel, err)
	}
	return &delivery.Error{Code: code, Message: what, Err: wrapped}
}
