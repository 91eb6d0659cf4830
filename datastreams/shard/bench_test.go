package shard

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures group commit: concurrent appenders of batches
// into several durable logs, as PutRecords spreads a request over shards.
func BenchmarkAppend(b *testing.B) {
	for _, cfg := range []struct{ logs, writers, batch, size int }{{4, 16, 125, 100}, {4, 16, 125, 1024}, {1, 1, 1, 100}} {
		b.Run(fmt.Sprintf("logs=%d/writers=%d/batch=%d/size=%d", cfg.logs, cfg.writers, cfg.batch, cfg.size), func(b *testing.B) {
			var logs []*FileLog
			for i := 0; i < cfg.logs; i++ {
				l, err := Open(Options{Dir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				logs = append(logs, l)
			}
			entries := make([]Entry, cfg.batch)
			for i := range entries {
				entries[i] = Entry{Meta: []byte("\x01partition-key"), Data: make([]byte, cfg.size)}
			}
			var n atomic.Int64
			n.Store(int64(b.N))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < cfg.writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for n.Add(-1) >= 0 {
						if _, err := logs[w%cfg.logs].Append(context.Background(), entries); err != nil {
							b.Error(err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N*cfg.batch)/secs, "records/s")
			b.ReportMetric(float64(b.N*cfg.batch*cfg.size)/secs/1e6, "MB/s")
			b.ReportMetric(secs*1e3/float64(b.N), "ms/append")
			b.ReportMetric(0, "ns/op")
		})
	}
}
