package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ErrNoSuchKey: the object does not exist.
var ErrNoSuchKey = errors.New("no such key")

// Get reads <root>/<bucket>/<key>.
func (d *Dir) Get(_ context.Context, bucket, key string) ([]byte, error) {
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == "." || bucket == ".." {
		return nil, fmt.Errorf("objstore: bad bucket name %q", bucket)
	}
	clean := filepath.Clean("/" + key)
	if clean == "/" || clean != "/"+key {
		return nil, fmt.Errorf("objstore: bad object key %q", key)
	}
	b, err := os.ReadFile(filepath.Join(d.Root, bucket, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("objstore: s3://%s/%s: %w", bucket, key, ErrNoSuchKey)
	}
	if err != nil {
		return nil, fmt.Errorf("objstore: %w", err)
	}
	return b, nil
}

// Get reads an object. A missing object wraps ErrNoSuchKey; a missing
// bucket ErrNoSuchBucket.
func (s *S3) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey" {
			return nil, fmt.Errorf("objstore: s3://%s/%s on %s: %w", bucket, key, s.endpoint, ErrNoSuchKey)
		}
		return nil, s.classify(err, fmt.Sprintf("get s3://%s/%s on %s", bucket, key, s.endpoint))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("objstore: read s3://%s/%s: %w", bucket, key, err)
	}
	return b, nil
}
