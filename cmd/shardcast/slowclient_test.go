package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// liar opens a connection that sends a PutRecords request with a bogus
// signature, declares a body of length bytes and sends it a byte every
// 50 ms. Its channel gets the status of the answer, once the server has
// cut the connection (or an error).
func liar(t *testing.T, addr string, length int) (chan string, func()) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"+
		"X-Amz-Target: Kinesis_20131202.PutRecords\r\nX-Amz-Date: 20260101T000000Z\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDBOGUS/20260101/us-east-1/kinesis/aws4_request, "+
		"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%s\r\nContent-Length: %d\r\n\r\n{",
		addr, strings.Repeat("0", 64), length)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	result := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			result <- "no answer: " + err.Error()
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The server closes the connection after answering: this read
		// ends (EOF, or a reset as the client still writes).
		_, err = conn.Read(make([]byte, 1))
		if err == nil {
			result <- "connection left open after " + resp.Status
			return
		}
		result <- fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}()
	var once sync.Once
	return result, func() { once.Do(func() { close(done); conn.Close() }) }
}

// Clients that declare a large body and send it a byte at a time cost the
// server little memory and are cut: one declaring more than the body limit
// at once, one within it when the body timeout passes. Meanwhile an honest
// large PutRecords goes through.
func TestSlowLyingClientsCostLittle(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTPBodyTimeout = 2 * time.Second
	srv := startServer(t, cfg)
	addr := strings.TrimPrefix(srv.URL(), "http://")
	c := client(srv.URL(), testCreds)
	createStream(t, c, "slow", 2)

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	base := heap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	type liarConn struct {
		length int
		result chan string
	}
	var liars []liarConn
	for i := 0; i < 10; i++ {
		for _, n := range []int{60_000_000, 10_000_000} { // over and within the 12 MiB limit
			r, closeConn := liar(t, addr, n)
			defer closeConn()
			liars = append(liars, liarConn{n, r})
		}
	}
	for _, l := range liars {
		var got string
		select {
		case got = <-l.result:
		case <-time.After(2 * time.Minute): // generous: the server cuts them after 2 s
			t.Fatalf("a client declaring %d bytes is still connected", l.length)
		}
		want := "408 RequestTimeoutException"
		if l.length > 12<<20 {
			want = "413 SerializationException"
		}
		if got != want {
			t.Errorf("client declaring %d bytes: %s, want %s", l.length, got, want)
		}
	}
	close(stop)
	<-sampled
	if grew := int64(peak.Load()) - int64(base); grew > 64<<20 {
		t.Fatalf("20 slow clients grew the heap by %d MiB", grew>>20)
	}
	t.Logf("heap: %d MiB before, %d MiB at most with 20 slow clients", base>>20, peak.Load()>>20)

	// An honest 5 MiB PutRecords goes through while liars hold connections.
	for i := 0; i < 5; i++ {
		_, closeConn := liar(t, addr, 10_000_000)
		defer closeConn()
	}
	entries := make([]types.PutRecordsRequestEntry, 500)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)), Data: make([]byte, 10_000)}
	}
	out, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("slow"), Records: entries})
	if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("5 MiB PutRecords: %v", err)
	}
}
