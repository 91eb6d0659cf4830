package dest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Error codes of the HTTP endpoint destination, as Firehose names them.
const (
	CodeHTTPDestinationException = "HttpEndpoint.DestinationException"
	CodeHTTPInvalidResponse      = "HttpEndpoint.InvalidResponseFromDestination"
	CodeHTTPRequestTimeout       = "HttpEndpoint.RequestTimeout"
	CodeHTTPConnectionFailed     = "HttpEndpoint.ConnectionFailed"
	CodeHTTPConnectionReset      = "HttpEndpoint.ConnectionReset"
	CodeHTTPResponseTooLarge     = "HttpEndpoint.ResponseTooLarge"
)

// Limits of the HTTP endpoint delivery protocol.
const (
	// HTTPMaxRecordsPerRequest is the most records one request carries.
	HTTPMaxRecordsPerRequest = 10000
	// HTTPMaxBodyBytes is the most bytes one request body has before
	// compression.
	HTTPMaxBodyBytes = 64 << 20
	// HTTPMaxResponseBytes is the largest reply body accepted.
	HTTPMaxResponseBytes = 1 << 20
	// HTTPDefaultTimeout is how long one attempt waits for the reply.
	HTTPDefaultTimeout = 3 * time.Minute
)

// HTTPEndpointConfig configures an HTTP endpoint destination
// (HttpEndpointDestinationConfiguration).
type HTTPEndpointConfig struct {
	// URL is EndpointConfiguration.Url: https, or http (which AWS refuses
	// and shardcast allows, for receivers on the same host).
	URL string
	// Name is EndpointConfiguration.Name (informational).
	Name string
	// AccessKey is sent unchanged in X-Amz-Firehose-Access-Key; empty
	// sends no header.
	AccessKey string
	// ContentEncoding is RequestConfiguration.ContentEncoding: "NONE"
	// (or "") or "GZIP".
	ContentEncoding string
	// CommonAttributes go in X-Amz-Firehose-Common-Attributes.
	CommonAttributes map[string]string
	// Timeout bounds one attempt, reply included; 0 means 3 minutes.
	Timeout time.Duration
	// MaxRecords and MaxBodyBytes bound one request; 0 means the
	// protocol's 10,000 records and 64 MiB.
	MaxRecords   int
	MaxBodyBytes int
	// Client sends the requests; nil means a client of its own. Redirects
	// are never followed, whichever client it is.
	Client *http.Client
	// Now is the clock for the body's timestamp; nil means time.Now.
	Now func() time.Time
}

// HTTPEndpoint delivers batches with the Firehose HTTP endpoint delivery
// protocol.
type HTTPEndpoint struct {
	cfg    HTTPEndpointConfig
	client *http.Client
	attrs  string
}

// NewHTTPEndpoint checks cfg and returns the destination.
func NewHTTPEndpoint(cfg HTTPEndpointConfig) (*HTTPEndpoint, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("dest: http endpoint url: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("dest: http endpoint url %q: want an http(s) URL with a host", cfg.URL)
	}
	switch cfg.ContentEncoding {
	case "", "NONE", "GZIP":
	default:
		return nil, fmt.Errorf("dest: http endpoint content encoding %q: want NONE or GZIP", cfg.ContentEncoding)
	}
	if len(cfg.CommonAttributes) > 50 {
		return nil, fmt.Errorf("dest: http endpoint: %d common attributes, at most 50", len(cfg.CommonAttributes))
	}
	if len(cfg.AccessKey) > 4096 {
		return nil, errors.New("dest: http endpoint access key longer than 4096 bytes")
	}
	attrs := cfg.CommonAttributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	a, err := json.Marshal(struct {
		CommonAttributes map[string]string `json:"commonAttributes"`
	}{attrs})
	if err != nil {
		return nil, fmt.Errorf("dest: http endpoint common attributes: %w", err)
	}
	cfg.Timeout = orDefault(cfg.Timeout, HTTPDefaultTimeout)
	if cfg.MaxRecords <= 0 || cfg.MaxRecords > HTTPMaxRecordsPerRequest {
		cfg.MaxRecords = HTTPMaxRecordsPerRequest
	}
	if cfg.MaxBodyBytes <= 0 || cfg.MaxBodyBytes > HTTPMaxBodyBytes {
		cfg.MaxBodyBytes = HTTPMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &HTTPEndpoint{cfg: cfg, client: noRedirects(cfg.Client), attrs: string(a)}, nil
}

// ErrorOutputType implements delivery.Destination.
func (h *HTTPEndpoint) ErrorOutputType() string { return "http-endpoint-failed" }

// Close implements delivery.Destination.
func (h *HTTPEndpoint) Close() error {
	closeIdle(h.client)
	return nil
}

// Deliver sends b in one request, or in several when it holds more than
// MaxRecords records or more than MaxBodyBytes of body. A batch sent whole
// goes under b.RequestID; the parts of a split batch go under
// "<RequestID>-<ID of the part's first record>", so a part sent again with
// the same records has the same id. When some parts fail, the error lists
// the failed parts' records in Failed (nil when all failed), and is
// Permanent only when every failed part was refused with 413.
func (h *HTTPEndpoint) Deliver(ctx context.Context, b delivery.Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	parts := h.split(b.Records)
	if len(parts) == 1 {
		return h.send(ctx, b.RequestID, b.StreamARN, b.Records)
	}
	var failed []int
	var last *delivery.Error
	permanent := true
	for _, p := range parts {
		if ctx.Err() != nil {
			for i := p[0]; i < p[1]; i++ {
				failed = append(failed, i)
			}
			permanent = false
			continue
		}
		id := b.RequestID + "-" + partID(b.Records[p[0]], p[0])
		err := h.send(ctx, id, b.StreamARN, b.Records[p[0]:p[1]])
		if err == nil {
			continue
		}
		last = delivery.AsError(err, CodeHTTPDestinationException)
		permanent = permanent && last.Permanent
		for i := p[0]; i < p[1]; i++ {
			failed = append(failed, i)
		}
	}
	if failed == nil {
		return nil
	}
	if last == nil {
		return &delivery.Error{Code: CodeHTTPRequestTimeout, Message: "delivery stopped", Err: ctx.Err()}
	}
	e := *last
	e.Permanent = permanent
	if len(failed) < len(b.Records) {
		e.Failed = failed
	}
	return &e
}

// partID names a part by its first record.
func partID(r delivery.Record, i int) string {
	if r.ID != "" {
		return r.ID
	}
	return strconv.Itoa(i)
}

// split cuts recs into [from, to) ranges that each fit one request.
func (h *HTTPEndpoint) split(recs []delivery.Record) [][2]int {
	// Fixed part of the body: the keys, a request id of a few dozen
	// bytes and a millisecond timestamp, with room to spare.
	const overhead = 256
	const perRecord = len(`{"data":""},`)
	var parts [][2]int
	from, size := 0, overhead
	for i, r := range recs {
		n := perRecord + base64.StdEncoding.EncodedLen(len(r.Data))
		if i > from && (i-from >= h.cfg.MaxRecords || size+n > h.cfg.MaxBodyBytes) {
			parts = append(parts, [2]int{from, i})
			from, size = i, overhead
		}
		size += n
	}
	return append(parts, [2]int{from, len(recs)})
}

type httpRecord struct {
	Data []byte `json:"data"`
}

type httpRequestBody struct {
	RequestID string       `json:"requestId"`
	Timestamp int64        `json:"timestamp"`
	Records   []httpRecord `json:"records"`
}

type httpResponseBody struct {
	RequestID    *string         `json:"requestId"`
	Timestamp    json.RawMessage `json:"timestamp"`
	ErrorMessage string          `json:"errorMessage"`
}

// send makes one attempt at one request and classifies the outcome.
func (h *HTTPEndpoint) send(ctx context.Context, requestID, sourceARN string, recs []delivery.Record) error {
	body := httpRequestBody{
		RequestID: requestID,
		Timestamp: h.cfg.Now().UnixMilli(),
		Records:   make([]httpRecord, len(recs)),
	}
	for i, r := range recs {
		body.Records[i] = httpRecord{Data: r.Data}
		if body.Records[i].Data == nil {
			body.Records[i].Data = []byte{}
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return &delivery.Error{Code: CodeHTTPDestinationException, Message: "encoding the request", Permanent: true, Err: err}
	}
	gz := h.cfg.ContentEncoding == "GZIP"
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(raw); err != nil {
			return fmt.Errorf("dest: gzip request: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("dest: gzip request: %w", err)
		}
		raw = buf.Bytes()
	}

	actx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, h.cfg.URL, bytes.NewReader(raw))
	if err != nil {
		return &delivery.Error{Code: CodeHTTPConnectionFailed, Message: "building the request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("User-Agent", "shardcast-firehose/1.0")
	req.Header.Set("X-Amz-Firehose-Protocol-Version", "1.0")
	req.Header.Set("X-Amz-Firehose-Request-Id", requestID)
	req.Header.Set("X-Amz-Firehose-Source-Arn", sourceARN)
	if h.cfg.AccessKey != "" {
		req.Header.Set("X-Amz-Firehose-Access-Key", h.cfg.AccessKey)
	}
	req.Header.Set("X-Amz-Firehose-Common-Attributes", h.attrs)

	resp, err := h.client.Do(req)
	if err != nil {
		code := CodeHTTPDestinationException
		switch classifyNet(ctx, err) {
		case netTimeout:
			code = CodeHTTPRequestTimeout
		case netRefused:
			code = CodeHTTPConnectionFailed
		case netReset:
			code = CodeHTTPConnectionReset
		}
		return &delivery.Error{Code: code, Message: "request " + requestID, Err: err}
	}
	defer resp.Body.Close()
	reply, tooLarge, err := readLimited(resp.Body, HTTPMaxResponseBytes)
	if tooLarge {
		return &delivery.Error{Code: CodeHTTPResponseTooLarge,
			Message: fmt.Sprintf("request %s: the endpoint's %d reply is over %d bytes", requestID, resp.StatusCode, HTTPMaxResponseBytes)}
	}
	if err != nil {
		code := CodeHTTPConnectionReset
		if classifyNet(ctx, err) == netTimeout {
			code = CodeHTTPRequestTimeout
		}
		return &delivery.Error{Code: code, Message: "request " + requestID + ": reading the reply", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return &delivery.Error{
			Code:      CodeHTTPDestinationException,
			Message:   fmt.Sprintf("request %s: the endpoint answered %d: %s", requestID, resp.StatusCode, reply),
			Permanent: resp.StatusCode == http.StatusRequestEntityTooLarge,
		}
	}
	if msg := checkHTTPReply(reply, requestID); msg != "" {
		return &delivery.Error{Code: CodeHTTPInvalidResponse,
			Message: fmt.Sprintf("request %s: %s: %s", requestID, msg, reply)}
	}
	return nil
}

// checkHTTPReply returns what is wrong with a 200 reply's body, or "".
func checkHTTPReply(reply []byte, requestID string) string {
	var rb httpResponseBody
	if err := json.Unmarshal(reply, &rb); err != nil {
		return "the reply is not a JSON object"
	}
	if rb.RequestID == nil {
		return "the reply has no requestId"
	}
	if *rb.RequestID != requestID {
		return fmt.Sprintf("the reply's requestId %q is not the request's", *rb.RequestID)
	}
	var ts json.Number
	if len(rb.Timestamp) == 0 || rb.Timestamp[0] == '"' || json.Unmarshal(rb.Timestamp, &ts) != nil {
		return "the reply has no numeric timestamp"
	}
	if _, err := ts.Int64(); err != nil {
		return "the reply's timestamp is not whole milliseconds"
	}
	return ""
}

// RecordFields returns the fields the error output adds to a failed
// record's JSON: dataId (the record's id) and subsequenceNumber (its
// place in a KPL-aggregated source record, 0 otherwise).
func (h *HTTPEndpoint) RecordFields(r delivery.Record) map[string]any {
	sub := 0
	if r.Source != nil {
		sub = r.Source.SubSequence
	}
	return map[string]any{"dataId": r.ID, "subsequenceNumber": sub}
}
