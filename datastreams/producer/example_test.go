package producer_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// A producer for a stream on shardcast (for AWS, leave BaseEndpoint out):
// Put buffers, Close delivers what is left and reports what could not be.
func Example() {
	ctx := context.Background()
	client := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:8080"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	p, err := producer.New(ctx, producer.Config{
		Kinesis:    client,
		StreamName: "events",
		OnFailure:  func(f producer.Failure) { log.Printf("not delivered: %s: %v", f.PartitionKey, f.Err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, user := range []string{"alice", "bob"} {
		if err := p.Put(ctx, user, []byte(`{"user":"`+user+`"}`)); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}
}
