package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"
)

// benchServer runs the optimized shardcast binary as its own process with
// durable storage (fsync on), as a user would; the Go SDK client runs in the
// benchmark's process.
func benchServer(b *testing.B, storage string) *proc {
	b.Helper()
	args := []string{"--data-dir", b.TempDir(), "--storage", storage}
	if a := os.Getenv("BENCH_PPROF"); a != "" {
		args = append(args, "--pprof", a)
	}
	p := startBuilt(b, benchBinary, args...)
	b.Cleanup(func() { p.stop(b) })
	return p
}

// benchStorages are the backends the storage benchmarks compare, side by
// side: BENCH_STORAGES, a comma-separated list (default "file,nats"; the
// JetStream runs use Debian's nats-server, one process, file storage).
func benchStorages() []string {
	if s := os.Getenv("BENCH_STORAGES"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{"file", "nats"}
}

// procCPU is the CPU time (user + system) a process has used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func benchClient(url string) *kinesis.Client {
	c := client(url, testCreds)
	return c
}

func batch(n, size, salt int) []types.PutRecordsRequestEntry {
	entries := make([]types.PutRecordsRequestEntry, n)
	for i := range entries {
		data := make([]byte, size)
		binary.BigEndian.PutUint64(data, uint64(i*7919+salt))
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("pk-%d-%d", salt, i)), Data: data}
	}
	return entries
}

// BenchmarkPutRecords measures PutRecords throughput through the Go SDK over
// loopback: 500 records a call, 4 shards, fsync on, several clients at once,
// on each backend of benchStorages.
func BenchmarkPutRecords(b *testing.B) {
	for _, storage := range benchStorages() {
		for _, size := range []int{100, 1024} {
			b.Run(fmt.Sprintf("%s/%dB", storage, size), func(b *testing.B) { benchPutRecords(b, storage, size) })
		}
	}
}

func benchPutRecords(b *testing.B, storage string, size int) {
	srv := benchServer(b, storage)
	sdkPutRecords(b, srv, size)
}

// sdkPutRecords runs the PutRecords load of BenchmarkPutRecords against
// srv and reports it: the Go SDK (signing every call) from BENCH_CLIENTS
// callers, 500 records of size bytes a call, into a new stream of 4
// shards.
func sdkPutRecords(b *testing.B, srv *proc, size int) {
	createStream(b, benchClient(srv.url), "bench", 4)
	b.ResetTimer()
	r := sdkPutRecordsRun(b, srv, size, b.N)
	b.ReportMetric(r.serverCores, "server_cores")
	b.ReportMetric(r.clientCores, "client_cores")
	b.ReportMetric(r.p50ms, "call_p50_ms")
	b.ReportMetric(r.recordsPerSec, "records/s")
	b.ReportMetric(r.recordsPerSec*float64(size)/1e6, "MB/s")
	b.ReportMetric(0, "ns/op")
}

// putRun is what one run of the PutRecords load measured.
type putRun struct {
	recordsPerSec, serverCores, clientCores, p50ms float64
}

// sdkPutRecordsRun sends n PutRecords calls to srv's stream "bench" and
// measures them.
func sdkPutRecordsRun(b *testing.B, srv *proc, size, n int) putRun {
	c := benchClient(srv.url)
	clients := 64
	if v, _ := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); v > 0 {
		clients = v
	}
	var latMu sync.Mutex
	var lats []time.Duration
	var calls atomic.Int64
	calls.Store(int64(n))
	start, cpu0, scpu0 := time.Now(), cpuTime(), procCPU(b, srv.cmd.Process.Pid)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			entries := batch(500, size, w)
			for calls.Add(-1) >= 0 {
				t0 := time.Now()
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("bench"), Records: entries})
				latMu.Lock()
				lats = append(lats, time.Since(t0))
				latMu.Unlock()
				if err != nil || *out.FailedRecordCount != 0 {
					b.Errorf("put: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return putRun{recordsPerSec: float64(n*500) / secs, serverCores: (procCPU(b, srv.cmd.Process.Pid) - scpu0).Seconds() / secs,
		clientCores: (cpuTime() - cpu0).Seconds() / secs, p50ms: float64(lats[len(lats)/2].Microseconds()) / 1e3}
}

// BenchmarkPutRecordsWire compares PutRecords in JSON and in CBOR (the Java
// SDKs' default) with one client harness: requests encoded and signed
// once, sent again and again over the same HTTP client (the Go SDK speaks
// JSON only), 500 records a call, 4 shards, fsync on, several clients at
// once. The CBOR body carries the data raw, the JSON body in base64. It
// runs on the file store (BENCH_WIRE_STORAGE names another).
func BenchmarkPutRecordsWire(b *testing.B) {
	for _, size := range []int{100, 1024} {
		for _, format := range []string{"json", "cbor"} {
			b.Run(fmt.Sprintf("%s/%dB", format, size), func(b *testing.B) { benchPutRecordsWire(b, format, size) })
		}
	}
}

// signedRequest is a request encoded and signed once.
type signedRequest struct {
	url    string
	header http.Header
	body   []byte
}

func newSignedRequest(b *testing.B, url, op, contentType string, body []byte) signedRequest {
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", contentType)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, testCreds, req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return signedRequest{url: url + "/", header: req.Header, body: body}
}

// send sends the request once and returns the answer's status and body.
func (s signedRequest) send(hc *http.Client) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = s.header.Clone()
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

func benchPutRecordsWire(b *testing.B, format string, size int) {
	storage := "file"
	if s := os.Getenv("BENCH_WIRE_STORAGE"); s != "" {
		storage = s // memory: no fsync, so the server's CPU bounds the rate
	}
	srv := benchServer(b, storage)
	createStream(b, benchClient(srv.url), "bench", 4)
	clients := 64
	if v, _ := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); v > 0 {
		clients = v
	}
	reqs := putRecordsRequests(b, srv.url, clients, size, format)
	secs, scpu := sendAll(b, srv.cmd.Process.Pid, reqs)
	recs := float64(b.N * 500)
	b.ReportMetric(scpu/secs, "server_cores")
	b.ReportMetric(scpu*1e6/recs, "server_cpu_us/record")
	b.ReportMetric(float64(len(reqs[0].body))/500, "wire_bytes/record")
	b.ReportMetric(recs/secs, "records/s")
	b.ReportMetric(0, "ns/op")
}

// putRecordsRequests makes a PutRecords request of 500 records of size
// bytes for each of clients, in JSON or CBOR, signed once.
func putRecordsRequests(b *testing.B, url string, clients, size int, format string) []signedRequest {
	reqs := make([]signedRequest, clients)
	for w := range reqs {
		recs := make([]map[string]any, 500)
		for i, e := range batch(500, size, w) {
			recs[i] = map[string]any{"PartitionKey": *e.PartitionKey, "Data": e.Data}
		}
		in := map[string]any{"StreamName": "bench", "Records": recs}
		var body []byte
		var err error
		ct := "application/x-amz-json-1.1"
		if format == "cbor" {
			ct = "application/x-amz-cbor-1.1"
			body, err = cbor.Marshal(in)
		} else {
			body, err = json.Marshal(in) // []byte data: base64, as the SDKs send it
		}
		if err != nil {
			b.Fatal(err)
		}
		reqs[w] = newSignedRequest(b, url, "PutRecords", ct, body)
	}
	return reqs
}

// sendAll sends the requests, one client each, b.N times in all, and
// returns the seconds it took and the CPU seconds the server (process
// pid) spent meanwhile.
func sendAll(b *testing.B, pid int, reqs []signedRequest) (secs, scpu float64) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(reqs)}}
	var calls atomic.Int64
	calls.Store(int64(b.N))
	b.ResetTimer()
	start, scpu0 := time.Now(), procCPU(b, pid)
	var wg sync.WaitGroup
	for w := range reqs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for calls.Add(-1) >= 0 {
				status, body, err := reqs[w].send(hc)
				if err != nil || status != http.StatusOK {
					b.Errorf("put: %v %d %q", err, status, body)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return time.Since(start).Seconds(), (procCPU(b, pid) - scpu0).Seconds()
}

// BenchmarkGetRecords measures reading through the Go SDK: four readers,
// one per shard, each draining its shard with GetRecords (up to 10000
// records a call) from TRIM_HORIZON.
func BenchmarkGetRecords(b *testing.B) {
	srv := benchServer(b, "file")
	c := benchClient(srv.url)
	const shards, size = 4, 1024
	createStream(b, c, "read", shards)
	for i := 0; i < 160; i++ { // 80000 records, 80 MB
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("read"), Records: batch(500, size, i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start, cpu0, scpu0 := time.Now(), cpuTime(), procCPU(b, srv.cmd.Process.Pid)
	var total atomic.Int64
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for s := 0; s < shards; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("read"),
					ShardId: aws.String(fmt.Sprintf("shardId-%012d", s)), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
				if err != nil {
					b.Error(err)
					return
				}
				iter := it.ShardIterator
				for {
					gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
					if err != nil {
						b.Error(err)
						return
					}
					if len(gr.Records) == 0 {
						return
					}
					for _, r := range gr.Records {
						total.Add(int64(len(r.Data)))
					}
					iter = gr.NextShardIterator
				}
			}(s)
		}
		wg.Wait()
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(total.Load())/secs/1e6, "MB/s")
	b.ReportMetric((procCPU(b, srv.cmd.Process.Pid)-scpu0).Seconds()/secs, "server_cores")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/secs, "client_cores")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPutToVisible measures the time from a PutRecord call until a
// reader polling GetRecords in a loop sees the record.
func BenchmarkPutToVisible(b *testing.B) {
	srv := benchServer(b, "file")
	c := benchClient(srv.url)
	createStream(b, c, "lat", 1)
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("lat"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeLatest})
	if err != nil {
		b.Fatal(err)
	}
	seen := make(chan time.Duration, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		iter := it.ShardIterator
		for {
			select {
			case <-stop:
				return
			default:
			}
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				b.Error(err)
				return
			}
			for _, r := range gr.Records {
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(r.Data)))
				seen <- time.Since(sent)
			}
			iter = gr.NextShardIterator
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("lat"), PartitionKey: aws.String("p"), Data: data}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, <-seen)
	}
	close(stop)
	<-done
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubscribeToShard measures enhanced fan-out through the Go SDK's
// event-stream reader over loopback: 1, 5 and 20 consumers subscribed to
// one shard at LATEST, while one writer puts batches of records of 128
// bytes (each op is one batch). It reports the put-to-receive latency
// (from just before the PutRecords call to the event's arrival, fsync on),
// the records delivered per second over all consumers, and the server's
// CPU per record delivered.
//
// Two loads per consumer count: "max" puts batches of 50 back to back, so
// the figures are the delivered throughput and the CPU per record delivered
// with the machine saturated (latency then includes queueing behind the
// client's own decoding on the same 2 cores); "paced" puts 10 records every
// 10 ms (1000 records/s, each delivered to every consumer), the push latency
// of a machine that keeps up.
func BenchmarkSubscribeToShard(b *testing.B) {
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("max/consumers=%d", n), func(b *testing.B) { benchSubscribe(b, n, 50, 0) })
	}
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("paced/consumers=%d", n), func(b *testing.B) { benchSubscribe(b, n, 10, 10*time.Millisecond) })
	}
}

// benchSubscribe puts b.N batches of per records (one every pace, or back
// to back when pace is 0) while consumers subscribers read them.
func benchSubscribe(b *testing.B, consumers, per int, pace time.Duration) {
	const size = 128
	srv := benchServer(b, "file")
	c := benchClient(srv.url)
	createStream(b, c, "efo", 1)
	streamARN := streamARNOf(b, c, "efo")
	type reader struct {
		lat  []time.Duration // from before the put
		push []time.Duration // from the record's arrival on the server
		n    int
	}
	readers := make([]*reader, consumers)
	var wg sync.WaitGroup
	want := b.N * per
	ready := make(chan struct{}, consumers)
	errc := make(chan error, consumers)
	for i := range consumers {
		arn := registerActive(b, c, streamARN, fmt.Sprintf("c%d", i))
		// Each subscriber has its own client: the SDK's event-stream
		// decoder is shared by the streams of one client.
		out, err := benchClient(srv.url).SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(arn),
			ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
		if err != nil {
			b.Fatal(err)
		}
		r := &reader{lat: make([]time.Duration, 0, want), push: make([]time.Duration, 0, want)}
		readers[i] = r
		wg.Go(func() {
			stream := out.GetStream()
			defer stream.Close()
			first := true
			for ev := range stream.Events() {
				if first {
					ready <- struct{}{}
					first = false
				}
				e := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
				now := time.Now()
				for _, rec := range e.Value.Records {
					r.lat = append(r.lat, now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(rec.Data)))))
					r.push = append(r.push, now.Sub(*rec.ApproximateArrivalTimestamp))
				}
				r.n += len(e.Value.Records)
				if r.n >= want {
					return
				}
			}
			errc <- fmt.Errorf("subscription ended after %d of %d records: %v", r.n, want, stream.Err())
		})
	}
	for range consumers {
		<-ready
	}
	entries := batch(per, size, 0)
	scpu0, cpu0 := procCPU(b, srv.cmd.Process.Pid), cpuTime()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pace > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * pace)))
		}
		now := uint64(time.Now().UnixNano())
		for j := range entries {
			binary.BigEndian.PutUint64(entries[j].Data, now)
		}
		if out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("efo"), Records: entries}); err != nil || *out.FailedRecordCount != 0 {
			b.Fatalf("put: %v", err)
		}
	}
	wg.Wait()
	b.StopTimer()
	secs := time.Since(start).Seconds()
	scpu, ccpu := procCPU(b, srv.cmd.Process.Pid)-scpu0, cpuTime()-cpu0
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	var lat, push []time.Duration
	for _, r := range readers {
		lat = append(lat, r.lat...)
		push = append(push, r.push...)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(push, func(i, j int) bool { return push[i] < push[j] })
	delivered := float64(len(lat))
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	// The push alone: from the server's arrival time of the record (the
	// ApproximateArrivalTimestamp, in milliseconds) to the client.
	b.ReportMetric(float64(push[len(push)/2].Microseconds())/1000, "push_p50_ms")
	b.ReportMetric(float64(push[len(push)*99/100].Microseconds())/1000, "push_p99_ms")
	b.ReportMetric(delivered/secs, "delivered/s")
	b.ReportMetric(scpu.Seconds()/delivered*1e6, "server_cpu_us/delivered")
	b.ReportMetric(ccpu.Seconds()/secs, "client_cores")
	b.ReportMetric(scpu.Seconds()/secs, "server_cores")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReshardUnderWrites measures resharding while 8 clients write
// (100 records of 100 B a call, fsync on): one op is a SplitShard of an open
// shard at its midpoint followed by a MergeShards of the two children. It
// reports the time a reshard takes (reshard_ms, the client's view) and the
// PutRecords latency while reshards run (call_p50_ms, call_max_ms: writers
// pause while a reshard closes its parents), on each backend.
func BenchmarkReshardUnderWrites(b *testing.B) {
	for _, storage := range benchStorages() {
		b.Run(storage, func(b *testing.B) { benchReshard(b, storage) })
	}
}

func benchReshard(b *testing.B, storage string) {
	srv := benchServer(b, storage)
	c := benchClient(srv.url)
	createStream(b, c, "bench", 1)
	stop := make(chan struct{})
	var latMu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			entries := batch(100, 100, w)
			for {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("bench"), Records: entries})
				latMu.Lock()
				lats = append(lats, time.Since(t0))
				latMu.Unlock()
				if err != nil || *out.FailedRecordCount != 0 {
					b.Errorf("put: %v", err)
					return
				}
			}
		}(w)
	}
	time.Sleep(200 * time.Millisecond)
	latMu.Lock()
	lats = lats[:0]
	latMu.Unlock()
	var reshard time.Duration
	open := 0 // the open shard's index
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("shardId-%012d", open)
		t0 := time.Now()
		if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("bench"), ShardToSplit: aws.String(id),
			NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("bench"), ShardToMerge: aws.String(fmt.Sprintf("shardId-%012d", open+1)),
			AdjacentShardToMerge: aws.String(fmt.Sprintf("shardId-%012d", open+2))}); err != nil {
			b.Fatal(err)
		}
		reshard += time.Since(t0)
		open += 3
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	b.ReportMetric(float64(reshard.Microseconds())/1e3/float64(2*b.N), "reshard_ms")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1e3, "call_p50_ms")
	b.ReportMetric(float64(lats[len(lats)-1].Microseconds())/1e3, "call_max_ms")
	b.ReportMetric(0, "ns/op")
}
