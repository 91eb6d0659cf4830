package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardcast/shardcast/web/iam"
)

// BenchmarkCheckPutRecords measures the one check on a PutRecords call of
// 500 records of 100 bytes (the body of make bench's PutRecords): with no
// credentials (the resource scan only), a key of all rights (the body's
// hash, the signature, the scan) and a key bounded by a policy (and its
// evaluation). records/s is what one core could check.
func BenchmarkCheckPutRecords(b *testing.B) {
	recs := make([]map[string]any, 500)
	for i := range recs {
		recs[i] = map[string]any{"PartitionKey": fmt.Sprintf("pk-%d", i), "Data": bytes.Repeat([]byte{byte(i)}, 100)}
	}
	body, _ := json.Marshal(map[string]any{"StreamName": "bench", "Records": recs})
	now := time.Now()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	policy, err := iam.Parse([]byte(`{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Action": ["kinesis:PutRecord*", "kinesis:Describe*"], "Resource": "arn:aws:kinesis:*:*:stream/bench*"},
	  {"Effect": "Deny", "Action": "kinesis:*", "Resource": "arn:aws:kinesis:*:*:stream/secret*"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		auth *Auth
	}{
		{"open", &Auth{}},
		{"key", &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}}},
		{"policy", &Auth{Keys: map[string]Key{"AKID": {Secret: "secret", Policy: policy}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.auth.Check(req, body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*500/b.Elapsed().Seconds(), "records/s")
		})
	}
}
