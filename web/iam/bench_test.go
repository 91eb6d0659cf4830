package iam

import "testing"

// benchPolicy is what a key's policy typically looks like: a few Allow
// statements and a Deny, no conditions.
const benchPolicy = `{"Version":"2012-10-17","Statement":[
	{"Sid":"Write","Effect":"Allow","Action":["kinesis:PutRecord","kinesis:PutRecords"],"Resource":"arn:aws:kinesis:*:*:stream/orders-*"},
	{"Sid":"Read","Effect":"Allow","Action":["kinesis:Get*","kinesis:Describe*","kinesis:List*","kinesis:SubscribeToShard"],"Resource":"*"},
	{"Sid":"Home","Effect":"Allow","Action":"kinesis:*","Resource":"arn:aws:kinesis:*:*:stream/home-${aws:username}"},
	{"Sid":"NoDeletes","Effect":"Deny","Action":["kinesis:Delete*","kinesis:*Consumer"],"Resource":"*"}]}`

func benchEvaluate(b *testing.B, doc string, req Request, want Decision) {
	p := mustParse(b, doc)
	if d := p.Evaluate(req); d != want {
		b.Fatalf("got %v, want %v", d, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(req)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evaluations/s")
}

func BenchmarkEvaluate(b *testing.B) {
	user := map[string][]string{"aws:username": {"bob"}, "aws:SourceIp": {"10.1.2.3"}, "aws:SecureTransport": {"true"}}
	b.Run("PutRecords allowed", func(b *testing.B) {
		benchEvaluate(b, benchPolicy, Request{Action: "kinesis:PutRecords", Resource: "arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu", Context: user}, Allow)
	})
	b.Run("variable resource", func(b *testing.B) {
		benchEvaluate(b, benchPolicy, Request{Action: "kinesis:PutRecord", Resource: "arn:aws:kinesis:us-east-1:000000000000:stream/home-bob", Context: user}, Allow)
	})
	b.Run("denied", func(b *testing.B) {
		benchEvaluate(b, benchPolicy, Request{Action: "kinesis:DeleteStream", Resource: "arn:aws:kinesis:us-east-1:000000000000:stream/home-bob", Context: user}, ExplicitDeny)
	})
	b.Run("conditions", func(b *testing.B) {
		doc := stmt(`{"Effect":"Allow","Action":"kinesis:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"StringLike":{"aws:username":"b*"}}}`)
		benchEvaluate(b, doc, Request{Action: "kinesis:PutRecord", Resource: orders, Context: user}, Allow)
	})
}
