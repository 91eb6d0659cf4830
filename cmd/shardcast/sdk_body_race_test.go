package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// TestSDKAnswerBeforeWriteLoopEnds runs, on purpose, the interleaving behind
// the rare "deserialization failed ... use of closed network connection"
// that aws-sdk-go-v2 reports after an HTTP 200 from shardcast (and from AWS,
// aws-sdk-go-v2 issues 1825 and 2737), and shows that the HTTP client users
// wrap around the SDK's (sdkHTTPClient, in the README) avoids it.
//
// A request body larger than net/http's 4 KiB write buffer goes to the
// socket before the transport's writeLoop has finished with it: it still
// reads the body to check it ended and closes it. When the server answers
// first, the SDK returns from Do and closes the request body (smithy-go
// wraps it in a reader whose WriteTo answers io.EOF once closed); the
// writeLoop's check then reads the body through WriteTo, takes that io.EOF
// for a failed write and closes the connection, while the SDK reads the
// answer from it. The records are stored: the SDK's default retryer retries
// net.ErrClosed, so they are stored twice.
//
// The test holds the write that completes the request until the SDK starts
// reading the answer, then lets the writeLoop finish before the read.
func TestSDKAnswerBeforeWriteLoopEnds(t *testing.T) {
	srv := startServer(t, testConfig(t))
	setup := client(srv.URL(), testCreds)
	entries := make([]types.PutRecordsRequestEntry, 500)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("pk-", i)), Data: bytes.Repeat([]byte{byte(i)}, 100)}
	}
	put := func(t *testing.T, stream string, hc aws.HTTPClient) error {
		createStream(t, setup, stream, 1)
		g := &gate{release: make(chan struct{}), wrote: make(chan struct{}), closed: make(chan struct{})}
		c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
			HTTPClient:  g.client(hc)})
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if !g.held.Load() {
			t.Fatal("the request's last write was not held: the interleaving did not happen")
		}
		t.Logf("net/http's request write ended with %v", g.wroteErr)
		if err == nil && *out.FailedRecordCount != 0 {
			t.Fatalf("%d records failed", *out.FailedRecordCount)
		}
		if n := countRecords(t, setup, stream); n != len(entries) {
			t.Errorf("the stream holds %d records, want %d", n, len(entries))
		}
		return err
	}
	// Documents the SDK's behaviour; when a release of the SDK passes here,
	// the README's workaround and this subtest can go.
	t.Run("sdk", func(t *testing.T) {
		err := put(t, "plain", awshttp.NewBuildableClient())
		t.Logf("the SDK's own client: %v", err)
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("the SDK's own client now gets %v, not net.ErrClosed: drop the workaround from the README", err)
		}
	})
	t.Run("workaround", func(t *testing.T) {
		if err := put(t, "wrapped", sdkHTTPClient(awshttp.NewBuildableClient())); err != nil {
			t.Errorf("with the workaround: %v", err)
		}
	})
}

// countRecords reads a one-shard stream from its start.
func countRecords(t *testing.T, c *kinesis.Client, stream string) int {
	t.Helper()
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	n, iter := 0, it.ShardIterator
	for {
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Records)
		if len(out.Records) == 0 || out.NextShardIterator == nil {
			return n
		}
		iter = out.NextShardIterator
	}
}

// gate forces the order: server answers, SDK closes the request body,
// writeLoop finishes, SDK reads the answer.
type gate struct {
	held     atomic.Bool   // the last request write was held
	release  chan struct{} // closed when the SDK starts reading the answer
	wrote    chan struct{} // closed when net/http has finished writing the request
	wroteErr error
	closed   chan struct{} // closed when the connection is
}

func (g *gate) client(inner aws.HTTPClient) aws.HTTPClient {
	return gatedClient{g.dial(inner), g}
}

// dial wraps the connections of the SDK's client, within the workaround's
// wrapper when there is one.
func (g *gate) dial(inner aws.HTTPClient) aws.HTTPClient {
	switch c := inner.(type) {
	case *awshttp.BuildableClient:
		return c.WithTransportOptions(func(tr *http.Transport) {
			dial := tr.DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &gatedConn{Conn: conn, g: g, left: -1}, nil
			}
		})
	case bodyWithoutWriteTo:
		c.HTTPClient = g.dial(c.HTTPClient)
		return c
	}
	panic(fmt.Sprintf("gate: unexpected HTTP client %T", inner))
}

type gatedClient struct {
	aws.HTTPClient
	g *gate
}

func (c gatedClient) Do(r *http.Request) (*http.Response, error) {
	var once sync.Once
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		once.Do(func() { c.g.wroteErr = i.Err; close(c.g.wrote) })
	}}
	// A shallow copy: the body is the SDK's own, which it closes after Do.
	resp, err := c.HTTPClient.Do(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	if err == nil {
		resp.Body = &gatedBody{ReadCloser: resp.Body, g: c.g}
	}
	return resp, err
}

type gatedBody struct {
	io.ReadCloser
	g    *gate
	once sync.Once
}

func (b *gatedBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		close(b.g.release)
		<-b.g.wrote
		if b.g.wroteErr != nil {
			<-b.g.closed // net/http closes the connection after a failed write
		}
	})
	return b.ReadCloser.Read(p)
}

// gatedConn holds the write that completes the first request (headers and
// Content-Length bytes of body) until the gate opens.
type gatedConn struct {
	net.Conn
	g    *gate
	hdr  []byte
	left int64 // request bytes still to write; -1 until the headers are read
	once sync.Once
}

func (c *gatedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil || c.g.held.Load() {
		return n, err
	}
	if c.left < 0 {
		c.hdr = append(c.hdr, p[:n]...)
		end := bytes.Index(c.hdr, []byte("\r\n\r\n"))
		if end < 0 {
			return n, err
		}
		req, perr := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.hdr[:end+4])))
		if perr != nil {
			return n, fmt.Errorf("gate: request headers: %w", perr)
		}
		c.left = req.ContentLength - int64(len(c.hdr)-end-4)
	} else {
		c.left -= int64(n)
	}
	if c.left == 0 {
		c.g.held.Store(true)
		select {
		case <-c.g.release:
		case <-c.g.closed:
		}
	}
	return n, err
}

func (c *gatedConn) Close() error {
	c.once.Do(func() { close(c.g.closed) })
	return c.Conn.Close()
}
