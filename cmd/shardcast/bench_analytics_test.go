package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// preload puts n JSON demo records into stream with 8 concurrent
// clients, keys drawn from keys tickers.
func preload(b *testing.B, kc *kinesis.Client, stream string, n, keys int) {
	b.Helper()
	var wg sync.WaitGroup
	per := (n + 7) / 8
	for w := range 8 {
		wg.Go(func() {
			for i := w * per; i < min(n, (w+1)*per); i += 500 {
				var entries []ktypes.PutRecordsRequestEntry
				for j := i; j < min(i+500, (w+1)*per, n); j++ {
					d := fmt.Appendf(nil, `{"TICKER_SYMBOL":"K%d","SECTOR":"TECHNOLOGY","CHANGE":%d,"PRICE":%d.5}`, j%keys, j%7-3, 10+j%90)
					entries = append(entries, ktypes.PutRecordsRequestEntry{Data: d, PartitionKey: aws.String(strconv.Itoa(j))})
				}
				out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
				if err != nil || aws.ToInt32(out.FailedRecordCount) > 0 {
					b.Errorf("put: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// countOutput reads a stream's shards over and over, giving done each
// answer's records, until done says the records so far suffice; it keeps
// none, as a consumer would not.
func countOutput(b *testing.B, kc *kinesis.Client, stream string, done func(recs [][]byte) bool) {
	b.Helper()
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		b.Fatal(err)
	}
	iters := map[string]*string{}
	for _, sh := range shards.Shards {
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			b.Fatal(err)
		}
		iters[*sh.ShardId] = it.ShardIterator
	}
	recs, total := make([][]byte, 0, 10000), 0
	deadline := time.Now().Add(5 * time.Minute)
	for {
		got := 0
		for id, it := range iters {
			out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(10000)})
			if err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
			for _, r := range out.Records {
				recs = append(recs, r.Data)
			}
			got += len(out.Records)
			iters[id] = out.NextShardIterator
			if done(recs) {
				return
			}
		}
		total += got
		if got == 0 {
			if time.Now().After(deadline) {
				b.Fatalf("%s: %d records after 5 minutes", stream, total)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// benchApp creates streams and an application over them on the
// optimized binary and returns the clients.
func benchApp(b *testing.B, code string, outFormat string, srcShards, dstShards int32) (*kinesis.Client, *kinesisanalytics.Client, *proc) {
	b.Helper()
	p := benchServer(b, "file")
	kc := client(p.url, testCreds)
	c := analyticsClient(p.url)
	createStream(b, kc, "src", srcShards)
	createStream(b, kc, "dst", dstShards)
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("bench"), ApplicationCode: aws.String(code),
		Inputs: []ka.Input{tickerInput("src")}, Outputs: []ka.Output{streamOutput("DST", "dst", outFormat)}}); err != nil {
		b.Fatal(err)
	}
	return kc, c, p
}

// reportServerCPU reports the server's CPU time per record since cpu0:
// what the records cost shardcast, apart from the benchmark's own
// clients on the same cores.
func reportServerCPU(b *testing.B, p *proc, cpu0 time.Duration) {
	b.ReportMetric(float64((procCPU(b, p.cmd.Process.Pid)-cpu0).Microseconds())/float64(b.N), "server-cpu-µs/record")
}

// BenchmarkAnalyticsFilterProject: b.N records put into a 4-shard source
// stream before the application starts (TRIM_HORIZON), then a filter and
// projection pump into a 4-shard output stream; records/s is from the
// start until the last output record is read back.
func BenchmarkAnalyticsFilterProject(b *testing.B) {
	code := `CREATE OR REPLACE STREAM "DST" (ticker VARCHAR(8), price REAL, pct DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ticker_symbol, price, change / price * 100 FROM "SOURCE_SQL_STREAM_001" WHERE price > 0;`
	kc, c, p := benchApp(b, code, "CSV", 4, 4)
	preload(b, kc, "src", b.N, 1000)
	b.ResetTimer()
	start, cpu0, self0 := time.Now(), procCPU(b, p.cmd.Process.Pid), procCPU(b, os.Getpid())
	startApp(b, c, "bench")
	n := 0
	countOutput(b, kc, "dst", func(recs [][]byte) bool { n += len(recs); return n >= b.N })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	reportServerCPU(b, p, cpu0)
	b.ReportMetric(float64((procCPU(b, os.Getpid())-self0).Microseconds())/float64(b.N), "reader-cpu-µs/record")
}

// BenchmarkAnalyticsTumbling10kKeys: as FilterProject, through a
// one-second tumbling COUNT per ticker over 10,000 distinct tickers;
// done when the counts add up to b.N.
func BenchmarkAnalyticsTumbling10kKeys(b *testing.B) {
	code := `CREATE OR REPLACE STREAM "DST" (ticker VARCHAR(8), n BIGINT, avg_price DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ticker_symbol, COUNT(*), AVG(price) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`
	kc, c, p := benchApp(b, code, "CSV", 4, 4)
	preload(b, kc, "src", b.N, 10000)
	b.ResetTimer()
	start, cpu0 := time.Now(), procCPU(b, p.cmd.Process.Pid)
	startApp(b, c, "bench")
	total := 0
	countOutput(b, kc, "dst", func(recs [][]byte) bool {
		for _, r := range recs {
			f := strings.Split(strings.TrimSpace(string(r)), ",")
			n, _ := strconv.Atoi(f[1])
			total += n
		}
		return total >= b.N
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	reportServerCPU(b, p, cpu0)
}

// BenchmarkAnalyticsWindowLatency: records put every 50 ms into a running
// application with a one-second tumbling count; the latency of a window
// is from its end to its result's arrival in the output stream (both on
// the server's clock). Reports the mean and the worst over b.N windows.
func BenchmarkAnalyticsWindowLatency(b *testing.B) {
	code := `CREATE OR REPLACE STREAM "DST" (win TIMESTAMP, n BIGINT);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND), COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`
	kc, c, _ := benchApp(b, code, "JSON", 1, 1)
	startApp(b, c, "bench")
	b.ResetTimer()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("src"), PartitionKey: aws.String("k"),
				Data: []byte(`{"TICKER_SYMBOL":"AMZN","SECTOR":"TECHNOLOGY","CHANGE":1,"PRICE":2}`)})
		}
	})
	windows := b.N + 1 // the first may be partial
	var recs []streamRecord
	deadline := time.Now().Add(time.Duration(windows+30) * time.Second)
	for len(recs) < windows && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		recs = readStream(b, kc, "dst")
	}
	close(stop)
	wg.Wait()
	if len(recs) < windows {
		b.Fatalf("%d windows closed, want %d", len(recs), windows)
	}
	var sum, worst float64
	for _, r := range recs[1:windows] {
		var row struct{ WIN string }
		if err := json.Unmarshal(r.Data, &row); err != nil {
			b.Fatal(err)
		}
		w, err := time.Parse("2006-01-02 15:04:05.000", row.WIN)
		if err != nil {
			b.Fatalf("window %q: %v", row.WIN, err)
		}
		lat := float64(r.Arrival.Sub(w.Add(time.Second)).Milliseconds())
		sum += lat
		worst = max(worst, lat)
	}
	b.ReportMetric(sum/float64(windows-1), "ms-mean")
	b.ReportMetric(worst, "ms-max")
}
