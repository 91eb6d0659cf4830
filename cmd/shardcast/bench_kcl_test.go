package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/consumer"
)

// countingProc counts records and checkpoints after every batch, as a
// typical processor does.
type countingProc struct{ n *atomic.Int64 }

func (p countingProc) Initialize(context.Context, string, consumer.Position) error { return nil }
func (p countingProc) ProcessRecords(ctx context.Context, recs []consumer.Record, cp *consumer.Checkpointer) error {
	p.n.Add(int64(len(recs)))
	return cp.Checkpoint(ctx)
}
func (p countingProc) LeaseLost(context.Context) {}
func (p countingProc) ShardEnded(ctx context.Context, cp *consumer.Checkpointer) error {
	return cp.Checkpoint(ctx)
}
func (p countingProc) Shutdown(ctx context.Context, cp *consumer.Checkpointer) error {
	return cp.Checkpoint(ctx)
}

// BenchmarkConsumer4Workers: four consumer workers (polling, lease table in
// shardcast's DynamoDB API) read an 8-shard stream of the optimized
// shardcast binary while four writers put 100-byte records with PutRecords
// (500 a call) for BENCH_SECONDS (default 10) per iteration. It reports
// the write rate, the consumed rate over the same window, and how long the
// workers took after the writers stopped to catch up (drain_s; near 0 when
// they keep up).
func BenchmarkConsumer4Workers(b *testing.B) {
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("BENCH_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	srv := benchServer(b, "file")
	kc := benchClient(srv.url)
	const stream, shards, size = "kclbench", 8, 100
	createStream(b, kc, stream, shards)
	for {
		d, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			b.Fatal(err)
		}
		if d.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil })
	var consumed atomic.Int64
	var workers []*consumer.Worker
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(context.Background())
	for i := range 4 {
		w, err := consumer.New(consumer.Config{
			Kinesis: kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.url), Credentials: creds,
				HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient())}),
			DynamoDB: dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.url), Credentials: creds,
				HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient())}),
			StreamName: stream, ApplicationName: "kclbench", WorkerID: fmt.Sprintf("bench-%d", i),
			FailoverTime: 3 * time.Second, IdleTimeBetweenReads: 50 * time.Millisecond,
			NewProcessor: func() consumer.Processor { return countingProc{&consumed} },
		})
		if err != nil {
			b.Fatal(err)
		}
		workers = append(workers, w)
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(runCtx) }()
	}
	defer func() { stop(); wg.Wait() }()
	for deadline := time.Now().Add(time.Minute); ; {
		n := 0
		for _, w := range workers {
			n += min(len(w.Leases()), 2)
		}
		if n == shards {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the workers did not spread the 8 leases 2 each")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.ResetTimer()
	var written atomic.Int64
	var writeSecs, drainSecs, consumedInWindow float64
	for it := 0; it < b.N; it++ {
		c0, w0 := consumed.Load(), written.Load()
		start := time.Now()
		end := start.Add(time.Duration(secs) * time.Second)
		var ww sync.WaitGroup
		for g := range 4 {
			ww.Add(1)
			go func() {
				defer ww.Done()
				for salt := g; time.Now().Before(end); salt += 4 {
					out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: batch(500, size, salt)})
					if err != nil {
						b.Error(err)
						return
					}
					written.Add(int64(500 - aws.ToInt32(out.FailedRecordCount)))
				}
			}()
		}
		ww.Wait()
		window := time.Since(start)
		inWindow := consumed.Load() - c0
		target := c0 + written.Load() - w0
		drainStart := time.Now()
		for consumed.Load() < target {
			if time.Since(drainStart) > 5*time.Minute {
				b.Fatalf("consumed %d of %d", consumed.Load()-c0, target-c0)
			}
			time.Sleep(10 * time.Millisecond)
		}
		writeSecs += window.Seconds()
		drainSecs += time.Since(drainStart).Seconds()
		consumedInWindow += float64(inWindow)
	}
	b.ReportMetric(float64(written.Load())/writeSecs, "written_records/s")
	b.ReportMetric(consumedInWindow/writeSecs, "records/s")
	b.ReportMetric(drainSecs/float64(b.N), "drain_s")
	b.ReportMetric(0, "ns/op")
}
