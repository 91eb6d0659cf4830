package s3test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The server keeps what is put in a bucket the helper created.
func TestStartServer(t *testing.T) {
	srv := StartServer(t)
	srv.CreateBucket(t, "probe")
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("probe"), Key: aws.String("a/b"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("probe")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/b" || aws.ToInt64(out.Contents[0].Size) != 5 {
		t.Fatalf("list: %+v %v", out, err)
	}
}
