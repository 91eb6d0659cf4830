package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkWHIPIngest runs BENCH_WHIP_STREAMS (default 20) pion WHIP
// publishers of a 2 Mbit/s 720p H.264 stream into the shardcast binary
// (fsync on, every fragment encrypted) for BENCH_SECONDS (default 30) and
// reports the server's CPU per stream and the units it dropped.
func BenchmarkWHIPIngest(b *testing.B) {
	streams, seconds := 20, 30
	if v, _ := strconv.Atoi(os.Getenv("BENCH_WHIP_STREAMS")); v > 0 {
		streams = v
	}
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	raw, _, _ := encodeOnce(b, 10)
	clip := make([][]byte, len(raw))
	for i, au := range raw {
		for _, n := range au {
			clip[i] = append(append(clip[i], 0, 0, 0, 1), n...)
		}
	}
	for i := 0; i < b.N; i++ {
		args := []string{"--data-dir", b.TempDir()}
		if a := os.Getenv("BENCH_PPROF"); a != "" {
			args = append(args, "--pprof", a)
		}
		srv := startBuilt(b, benchBinary, args...)
		pid := srv.cmd.Process.Pid
		var wg sync.WaitGroup
		clients := make([]*whipClient, streams)
		for s := range clients {
			clients[s] = newWHIPClient(b, srv.url, whipOpts{clip: clip})
			clients[s].publish(fmt.Sprintf("whip%03d", s))
		}
		warm := 3 * time.Second
		total := warm + time.Duration(seconds)*time.Second + time.Second
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.send(total)
			}()
		}
		time.Sleep(warm)
		cpu0, t0 := procCPU(b, pid), time.Now()
		time.Sleep(time.Duration(seconds) * time.Second)
		cpu := (procCPU(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds()
		sessions := ingestStats(b, srv.url)
		wg.Wait()
		for _, c := range clients {
			c.end()
		}
		if len(sessions) != streams {
			b.Fatalf("%d ingest sessions for %d publishers", len(sessions), streams)
		}
		var dropped, frags int64
		for _, s := range sessions {
			dropped += s.DroppedUnits
			frags += s.Fragments
		}
		if frags == 0 {
			b.Fatal("no fragment was stored")
		}
		b.ReportMetric(float64(streams), "streams")
		b.ReportMetric(cpu*100/float64(streams), "cpu%_per_stream")
		b.ReportMetric(float64(frags), "fragments")
		b.ReportMetric(float64(dropped), "dropped_units")
		b.ReportMetric(0, "ns/op")
		srv.stop(b)
	}
}
