package producer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// putRecordsFunc is the one call the sender makes to Kinesis.
type putRecordsFunc func(ctx context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error)

const contentTypeCBOR = "application/x-amz-cbor-1.1"

// kinesisPut chooses how PutRecords goes: in CBOR, straight over the
// client's HTTP client, when the client is a *kinesis.Client and the
// protocol is not "json"; through the SDK otherwise, without the SDK's
// retries unless blind (they would be blind ones). The CBOR path never
// retries by itself.
func kinesisPut(ctx context.Context, cfg Config, blind bool) (putRecordsFunc, error) {
	var opts []func(*kinesis.Options)
	if !blind {
		opts = append(opts, func(o *kinesis.Options) { o.Retryer, o.RetryMaxAttempts = aws.NopRetryer{}, 0 })
	}
	sdk := func(ctx context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		return cfg.Kinesis.PutRecords(ctx, in, opts...)
	}
	switch cfg.Protocol {
	case "json":
		return sdk, nil
	case "", "cbor":
	default:
		return nil, fmt.Errorf("producer: Protocol %q is neither \"cbor\" nor \"json\"", cfg.Protocol)
	}
	c, ok := cfg.Kinesis.(*kinesis.Client)
	if !ok {
		return sdk, nil
	}
	t, err := newCBORTransport(ctx, c.Options(), cfg.StreamARN)
	if err != nil {
		return nil, err
	}
	return t.putRecords, nil
}

// cborTransport sends PutRecords in CBOR, signed with SigV4 as the SDK
// would sign it, from pooled request buffers. It makes one try a call:
// the producer retries.
type cborTransport struct {
	url     string
	region  string
	creds   aws.CredentialsProvider // nil: unsigned
	client  kinesis.HTTPClient
	signer  *v4.Signer
	buffers sync.Pool // *bodyBuffer
}

// newCBORTransport resolves the endpoint PutRecords would use, with the
// client's endpoint resolver and settings, once.
func newCBORTransport(ctx context.Context, o kinesis.Options, streamARN string) (*cborTransport, error) {
	params := kinesis.EndpointParameters{
		Region:                aws.String(o.Region),
		Endpoint:              o.BaseEndpoint,
		UseDualStack:          aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		UseFIPS:               aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		OperationType:         aws.String("data"),
		AccountIdEndpointMode: aws.String(string(o.AccountIDEndpointMode)),
	}
	if streamARN != "" {
		params.StreamARN = aws.String(streamARN)
	}
	resolver := o.EndpointResolverV2
	if resolver == nil {
		resolver = kinesis.NewDefaultEndpointResolverV2()
	}
	ep, err := resolver.ResolveEndpoint(ctx, params.WithDefaults())
	if err != nil {
		return nil, fmt.Errorf("producer: resolving the PutRecords endpoint: %w", err)
	}
	u := ep.URI
	if u.Path == "" {
		u.Path = "/"
	}
	t := &cborTransport{url: u.String(), region: o.Region, creds: o.Credentials, client: o.HTTPClient, signer: v4.NewSigner()}
	if t.client == nil {
		t.client = awshttp.NewBuildableClient()
	}
	if aws.IsCredentialsProvider(t.creds, (*aws.AnonymousCredentials)(nil)) {
		t.creds = nil
	}
	return t, nil
}

// putRecords makes one PutRecords call. Errors have the SDK's shapes: an
// *smithy.OperationError around an *awshttp.ResponseError around the
// service's error (a typed one from kinesis/types for the codes
// PutRecords declares), or around an *smithyhttp.RequestSendError when no
// answer came.
func (t *cborTransport) putRecords(ctx context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
	out, err := t.call(ctx, in)
	if err != nil {
		return nil, &smithy.OperationError{ServiceID: kinesis.ServiceID, OperationName: "PutRecords", Err: err}
	}
	return out, nil
}

func (t *cborTransport) call(ctx context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
	size := putRecordsCBORLen(in)
	buf, _ := t.buffers.Get().(*bodyBuffer)
	if buf == nil || cap(buf.b) < size {
		buf = &bodyBuffer{b: make([]byte, 0, size+size/8), pool: &t.buffers}
	}
	buf.b = appendPutRecordsCBOR(buf.b[:0], in)
	buf.refs.Store(1) // this call's
	defer buf.release()
	sum := sha256.Sum256(buf.b)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, nil)
	if err != nil {
		return nil, err
	}
	req.Body, req.ContentLength = buf.reader(), int64(len(buf.b))
	req.GetBody = func() (io.ReadCloser, error) { return buf.reader(), nil }
	h := req.Header
	h.Set("Content-Type", contentTypeCBOR)
	h.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
	h.Set("User-Agent", "shardcast-producer")
	if t.creds != nil {
		creds, err := t.creds.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("retrieving credentials: %w", err)
		}
		if err := t.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "kinesis", t.region, time.Now().UTC()); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, &smithyhttp.RequestSendError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &smithyhttp.RequestSendError{Err: fmt.Errorf("reading the answer: %w", err)}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mt != contentTypeCBOR
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := decodeErrorAnswer(resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, isJSON)
		return nil, &awshttp.ResponseError{RequestID: resp.Header.Get("X-Amzn-Requestid"),
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: apiErr}}
	}
	out, err := decodePutRecordsAnswer(body, isJSON)
	if err != nil {
		return nil, &smithy.DeserializationError{Err: err}
	}
	return out, nil
}

// bodyBuffer is a pooled request body. The HTTP client may read a body
// after Do returns (and read it again through GetBody), so the buffer
// goes back to the pool only when the call and every reader handed out
// are done with it.
type bodyBuffer struct {
	b    []byte
	refs atomic.Int32
	pool *sync.Pool
}

func (b *bodyBuffer) release() {
	if b.refs.Add(-1) == 0 {
		b.pool.Put(b)
	}
}

func (b *bodyBuffer) reader() io.ReadCloser {
	b.refs.Add(1)
	return &bodyReader{r: bytes.NewReader(b.b), buf: b}
}

// bodyReader is one reading of a bodyBuffer. It is not an io.WriterTo,
// so every read goes through Read, which fails after Close (the HTTP
// client may close a body while another goroutine reads it).
type bodyReader struct {
	mu     sync.Mutex
	r      *bytes.Reader
	buf    *bodyBuffer
	closed bool
}

var errBodyClosed = errors.New("producer: request body read after close")

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errBodyClosed
	}
	return r.r.Read(p)
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.buf.release()
	}
	return nil
}
