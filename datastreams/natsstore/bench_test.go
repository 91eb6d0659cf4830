package natsstore

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// BenchmarkAppend appends batches of 100 records of 100 bytes to a log on
// the embedded server, one batch in flight per log (as one PutRecords call),
// on one shard and on two at once.
func BenchmarkAppend(b *testing.B) {
	url, _ := embedded(b, b.TempDir(), 0)
	batch := make([]shard.Entry, 100)
	for i := range batch {
		batch[i] = shard.Entry{Meta: []byte("partition-key"), Data: make([]byte, 100)}
	}
	c := connect(b, url, Config{Prefix: "bench"})
	for _, shards := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			logs := make([]shard.Log, shards)
			for i := range logs {
				l, err := c.Store().Open(bg, shard.LogID{Stream: fmt.Sprintf("b-%d-%d", shards, time.Now().UnixNano()), Shard: fmt.Sprint(i)}, shard.LogOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				logs[i] = l
			}
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
