package audit

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRecord measures what an audited request pays (Record, from
// every core at once, as fast as it goes) and what the writer sustains
// behind it to a real file: events/s is Record calls a second; written/s
// is events written and fsynced a second until the last is durable;
// dropped/op is the share Record had to drop because the writer could
// not keep up with a flood no server would make.
func BenchmarkRecord(b *testing.B) {
	l, err := Open(Config{
		Path:   filepath.Join(b.TempDir(), "audit.log"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := event(1)
	e.Time = time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(e)
		}
	})
	recorded := time.Since(start)
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	total := time.Since(start)
	b.StopTimer()
	s := l.Stats()
	b.ReportMetric(float64(b.N)/recorded.Seconds(), "events/s")
	b.ReportMetric(float64(s.Written)/total.Seconds(), "written/s")
	b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
}
