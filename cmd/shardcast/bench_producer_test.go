package main

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/producer"
)

// BenchmarkProducerAggregated puts b.N user records of 100 bytes (10,000
// partition keys) through the producer into a stream of 4 shards of the
// optimized server running as its own process (file storage, fsync on),
// and reports user records/s from the first Put to the end of Close. The
// producer aggregates in the KPL format; its per-shard rate limit is off
// (AWS's 1 MiB/s a shard would need about 100 shards for this rate) and so
// are the server's.
func BenchmarkProducerAggregated(b *testing.B) {
	srv := benchServer(b, "file")
	c := benchClient(srv.url)
	createStream(b, c, "kpl-bench", 4)
	p, err := producer.New(ctx, producer.Config{Kinesis: c, StreamName: "kpl-bench", ShardBytesPerSec: -1, ShardRecordsPerSec: -1, MaxRequestBytes: 262144})
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
	b.StopTimer()
	m := p.Metrics()
	if m.UserRecords != int64(b.N) || m.Failed != 0 {
		b.Fatalf("metrics %+v", m)
	}
	b.ReportMetric(float64(b.N)/took, "records/s")
	b.ReportMetric(float64(b.N)*100/took/1e6, "MB/s")
	b.ReportMetric(float64(m.KinesisRecords), "kinesis_records")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/took, "client_cores")
	b.ReportMetric((procCPU(b, srv.cmd.Process.Pid)-scpu0).Seconds()/took, "server_cores")
	b.ReportMetric(0, "ns/op")
}
