package main

import (
	"encoding/binary"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
	"github.com/shardcast/shardcast/datastreams/producer"
)

// BenchmarkProducerAggregated puts b.N user records of 100 bytes (10,000
// partition keys) through the producer into a stream of 4 shards of the
// optimized server running as its own process (file storage, fsync on),
// and reports user records/s from the first Put to the end of Close, and
// the CPU each side spent a record. The producer aggregates in the KPL
// format; its per-shard rate limit is off (AWS's 1 MiB/s a shard would
// need about 100 shards for this rate) and so are the server's. After the
// timed part, the stream is read back: every record is there once.
// PutRecords goes in CBOR, the producer's default with a *kinesis.Client;
// BENCH_PROTOCOL=json sends it through the SDK's JSON PutRecords instead.
// BENCH_REQUEST_BYTES sets MaxRequestBytes (default the producer's, 5 MiB).
func BenchmarkProducerAggregated(b *testing.B) {
	srv := benchServer(b, "file")
	c := benchClient(srv.url)
	createStream(b, c, "kpl-bench", 4)
	reqBytes, _ := strconv.Atoi(os.Getenv("BENCH_REQUEST_BYTES"))
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "kpl-bench", ShardBytesPerSec: -1, ShardRecordsPerSec: -1,
		MaxRequestBytes: reqBytes, Protocol: os.Getenv("BENCH_PROTOCOL")})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "partition-key-" + strconv.Itoa(i)
	}
	data := make([]byte, 100)
	b.ResetTimer()
	start, cpu0, scpu0 := time.Now(), cpuTime(), procCPU(b, srv.cmd.Process.Pid)
	for i := range b.N {
		binary.BigEndian.PutUint64(data, uint64(i))
		if err := p.Put(ctx, keys[i%len(keys)], data); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start).Seconds()
	ccpu, scpu := (cpuTime() - cpu0).Seconds(), (procCPU(b, srv.cmd.Process.Pid) - scpu0).Seconds()
	b.StopTimer()
	m := p.Metrics()
	if m.UserRecords != int64(b.N) || m.Failed != 0 {
		b.Fatalf("metrics %+v", m)
	}
	b.ReportMetric(float64(b.N)/took, "records/s")
	b.ReportMetric(float64(b.N)*100/took/1e6, "MB/s")
	b.ReportMetric(float64(m.KinesisRecords), "kinesis_records")
	b.ReportMetric(ccpu/took, "client_cores")
	b.ReportMetric(scpu/took, "server_cores")
	b.ReportMetric(ccpu*1e9/float64(b.N), "client_ns/record")
	b.ReportMetric(scpu*1e9/float64(b.N), "server_ns/record")
	b.ReportMetric(0, "ns/op")
	if n := countUserRecords(b, c, "kpl-bench", b.N); n != b.N {
		b.Fatalf("read back %d of %d", n, b.N)
	}
}

// countUserRecords reads a stream back, de-aggregating, and checks that
// each record index (the first 8 bytes) below n appears once.
func countUserRecords(b *testing.B, c *kinesis.Client, stream string, n int) int {
	seen := make([]bool, n)
	count := 0
	out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range out.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			b.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range gr.Records {
				recs, _, err := kpl.Deaggregate(r.Data, *r.PartitionKey, "")
				if err != nil {
					b.Fatal(err)
				}
				for _, u := range recs {
					i := binary.BigEndian.Uint64(u.Data)
					if len(u.Data) != 100 || i >= uint64(n) || seen[i] {
						b.Fatalf("record %d read twice or unknown", i)
					}
					seen[i] = true
					count++
				}
			}
			if len(gr.Records) == 0 {
				break
			}
			iter = gr.NextShardIterator
		}
	}
	return count
}
