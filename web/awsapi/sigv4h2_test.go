package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The canonical request built for signatures over :authority is the one
// the AWS SDK for Go's signer builds for "host": same signatures, paths and
// queries that need escaping included. A signature over :authority (as
// the AWS SDK for JavaScript sends over HTTP/2) is then accepted by Check,
// and refused when the authority is not the one signed.
func TestSignatureWithAuthority(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	const body = `{"StreamName":"s"}`
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	for _, target := range []string{"/", "/getMedia", "/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=a%2Bb%3D&z=1&a=2&a=1&a-b=x",
		"/a%20b/c~d?q=%E2%82%AC+x"} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080"+target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Amz-User-Agent", "aws-sdk-js/3  test")
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "kinesisvideo", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		sig, err := parseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		if got := signatureWithAuthority(r, sig, creds.SecretAccessKey, hash, now); got != sig.signature {
			t.Errorf("%s: signature %s, the SDK's signer made %s", target, got, sig.signature)
		}

		// The same request signed over :authority in place of host.
		i := slices.Index(sig.signedHeaders, "host")
		sig.signedHeaders = append(append([]string{":authority"}, sig.signedHeaders[:i]...), sig.signedHeaders[i+1:]...)
		sig.signature = signatureWithAuthority(r, sig, creds.SecretAccessKey, hash, now)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/"+sig.date+"/us-east-1/kinesisvideo/aws4_request, SignedHeaders="+
			strings.Join(sig.signedHeaders, ";")+", Signature="+sig.signature)
		a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}, Now: func() time.Time { return now }}
		if err := a.Check(r, []byte(body)); err != nil {
			t.Errorf("%s: a signature over :authority was refused: %v", target, err)
		}
		r.Host = "127.0.0.1:9090"
		if err := a.Check(r, []byte(body)); err != errSignature {
			t.Errorf("%s: a signature over another authority: %v", target, err)
		}
	}
}
