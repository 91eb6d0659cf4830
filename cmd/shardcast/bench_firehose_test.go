package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// firehoseStats reads GET /admin/v1/firehose.
func firehoseStats(tb testing.TB, url string) []struct {
	Name         string
	Destinations []struct {
		DeliveredRecords int64
		DeliveredBytes   int64
	}
} {
	req, _ := http.NewRequest("GET", url+"/admin/v1/firehose", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out []struct {
		Name         string
		Destinations []struct {
			DeliveredRecords int64
			DeliveredBytes   int64
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func createFirehoseBench(b *testing.B, c *firehose.Client, name string, sizeMB, interval int32) {
	b.Helper()
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
		ExtendedS3DestinationConfiguration: s3Dest(name, sizeMB, interval, types.CompressionFormatGzip)}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFirehosePutRecordBatch: PutRecordBatch of 500 records of 100
// bytes from concurrent callers (BENCH_CLIENTS, default 16) through the Go
// SDK into the shardcast binary (file storage, fsync on), delivering to
// the directory S3 with GZIP (8 MiB / 1 s buffers) as it ingests. Reports
// ingest records/s, and delivery MB/s from the first put until every
// record is in an object (so delivery that does not keep up shows).
func BenchmarkFirehosePutRecordBatch(b *testing.B) {
	srv := benchServer(b, "file")
	c := firehoseClient(srv.url)
	createFirehoseBench(b, c, "bench", 8, 1)
	clients := 16
	if v, _ := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); v > 0 {
		clients = v
	}
	recs := make([]types.Record, 500)
	for i := range recs {
		d := make([]byte, 100)
		binary.BigEndian.PutUint64(d, uint64(i))
		recs[i] = types.Record{Data: d}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("bench"), Records: recs})
				if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ingest := time.Since(start)
	total := int64(b.N) * 500
	for {
		st := firehoseStats(b, srv.url)
		if len(st) == 1 && st[0].Destinations[0].DeliveredRecords >= total {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	delivered := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(total)/ingest.Seconds(), "records/s")
	b.ReportMetric(float64(total*100)/delivered.Seconds()/1e6, "delivered-MB/s")
	b.ReportMetric((delivered - ingest).Seconds(), "drain-s")
}

// BenchmarkFirehosePutToVisible: from PutRecord's answer to the object
// holding the record appearing under the data directory, with the
// smallest buffer (IntervalInSeconds 0) and with a 60 s / 1 MiB buffer
// (one record never fills it: the interval decides).
func BenchmarkFirehosePutToVisible(b *testing.B) {
	for _, c := range []struct {
		name     string
		interval int32
	}{{"interval0", 0}, {"60s-1MiB", 60}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			p := startBuilt(b, benchBinary, "--data-dir", dir)
			b.Cleanup(func() { p.stop(b) })
			fc := firehoseClient(p.url)
			createFirehoseBench(b, fc, "vis", 1, c.interval)
			bucket := filepath.Join(dir, "s3", "vis")
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				have := len(objects(b, bucket))
				if _, err := fc.PutRecord(context.Background(), &firehose.PutRecordInput{DeliveryStreamName: aws.String("vis"),
					Record: &types.Record{Data: []byte(fmt.Sprintf("record %d\n", i))}}); err != nil {
					b.Fatal(err)
				}
				put := time.Now()
				for len(objects(b, bucket)) == have {
					time.Sleep(time.Millisecond)
				}
				total += time.Since(put)
			}
			b.ReportMetric(total.Seconds()/float64(b.N)*1000, "ms/visible")
		})
	}
}
