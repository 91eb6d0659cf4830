package natsstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// benchBatch is one PutRecords call's worth: 100 records of 100 bytes.
func benchBatch() []shard.Entry {
	batch := make([]shard.Entry, 100)
	for i := range batch {
		batch[i] = shard.Entry{Meta: []byte("partition-key"), Data: make([]byte, 100)}
	}
	return batch
}

// benchLogs opens n new logs on c, closed when the benchmark ends.
func benchLogs(b *testing.B, c *Conn, n int) []shard.Log {
	b.Helper()
	logs := make([]shard.Log, n)
	stream := fmt.Sprintf("b-%d", time.Now().UnixNano())
	for i := range logs {
		l, err := c.Store().Open(bg, shard.LogID{Stream: stream, Shard: fmt.Sprint(i)}, shard.LogOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		logs[i] = l
	}
	return logs
}

// BenchmarkAppend appends batches of 100 records of 100 bytes to a log on
// the embedded server, one batch in flight per log (as one PutRecords call),
// on one shard and on two at once.
func BenchmarkAppend(b *testing.B) {
	url, _ := embedded(b, b.TempDir(), 0)
	batch := benchBatch()
	c := connect(b, url, Config{Prefix: "bench"})
	for _, shards := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			logs := benchLogs(b, c, shards)
			var n atomic.Int64
			b.SetParallelism(1)
			start := time.Now()
			b.ResetTimer()
			if shards == 1 {
				for b.Loop() {
					if _, err := logs[0].Append(bg, batch); err != nil {
						b.Fatal(err)
					}
					n.Add(int64(len(batch)))
				}
			} else {
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					l := logs[int(next.Add(1)-1)%shards]
					for pb.Next() {
						if _, err := l.Append(bg, batch); err != nil {
							b.Error(err)
							return
						}
						n.Add(int64(len(batch)))
					}
				})
			}
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkAppendConcurrent has 16 goroutines append batches of 100
// records of 100 bytes at once (as 16 clients calling PutRecords), all to
// one log and spread over 4 logs: the group commit's case. An op is one
// batch.
func BenchmarkAppendConcurrent(b *testing.B) {
	const appenders = 16
	url, _ := embedded(b, b.TempDir(), 0)
	batch := benchBatch()
	c := connect(b, url, Config{Prefix: "bench"})
	for _, nlogs := range []int{1, 4} {
		b.Run(fmt.Sprintf("logs=%d", nlogs), func(b *testing.B) {
			logs := benchLogs(b, c, nlogs)
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime(b)
			for g := range appenders {
				l := logs[g%nlogs]
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						if _, err := l.Append(bg, batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed, cpu := time.Since(start), cpuTime(b)-cpu0
			b.StopTimer()
			records := float64(b.N * len(batch))
			b.ReportMetric(records/elapsed.Seconds(), "records/s")
			// The server runs in this process: CPU time per record counts
			// both sides and varies less than the rate on a shared machine.
			b.ReportMetric(float64(cpu.Microseconds())/records, "cpu-µs/record")
		})
	}
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBigRecords appends records of 4 MiB, one per Append, to a log on
// the embedded server and reads them back one per Read, with the default
// max_payload (1 MiB: chunks of 512 KiB) and with max_payload 8 MiB
// (chunks of 1 MiB). An op is one record.
func BenchmarkBigRecords(b *testing.B) {
	const size = 4 << 20
	for _, mp := range []int32{1 << 20, 8 << 20} {
		b.Run(fmt.Sprintf("max_payload=%dMiB", mp>>20), func(b *testing.B) {
			url, _ := embeddedWith(b, b.TempDir(), 0, func(o *server.Options) { o.MaxPayload = mp })
			c := connect(b, url, Config{Prefix: "bench"})
			rec := bigEntry(1, size)
			b.Run("append", func(b *testing.B) {
				l := benchLogs(b, c, 1)[0]
				b.SetBytes(size)
				for b.Loop() {
					if _, err := l.Append(bg, []shard.Entry{rec}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("read", func(b *testing.B) {
				l := benchLogs(b, c, 1)[0]
				const n = 8
				for range n {
					if _, err := l.Append(bg, []shard.Entry{rec}); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(size)
				i := 0
				for b.Loop() {
					recs, err := l.Read(bg, uint64(i%n+1), 1, 1)
					if err != nil || len(recs) != 1 || len(recs[0].Data) != size {
						b.Fatalf("read: %d records, %v", len(recs), err)
					}
					i++
				}
			})
		})
	}
}
