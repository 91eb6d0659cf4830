package dest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Error codes of the Splunk destination, as Firehose names them.
const (
	CodeSplunkInvalidToken      = "Splunk.InvalidToken"
	CodeSplunkDisabledToken     = "Splunk.DisabledToken"
	CodeSplunkInvalidDataFormat = "Splunk.InvalidDataFormat"
	CodeSplunkInvalidIndex      = "Splunk.InvalidIndex"
	CodeSplunkServerError       = "Splunk.ServerError"
	CodeSplunkIndexerBusy       = "Splunk.IndexerBusy"
	CodeSplunkDisabledAck       = "Splunk.DisabledAck"
	CodeSplunkAckTimeout        = "Splunk.AckTimeout"
	CodeSplunkConnectionTimeout = "Splunk.ConnectionTimeout"
	CodeSplunkConnectionClosed  = "Splunk.ConnectionClosed"
	CodeSplunkInvalidEndpoint   = "Splunk.InvalidEndpoint"
	CodeSplunkURLNotFound       = "Splunk.URLNotFound"
	CodeSplunkStickySessions    = "Splunk.ProxyWithoutStickySessions"
)

// HEC endpoint types (HECEndpointType).
const (
	HECRaw   = "Raw"
	HECEvent = "Event"
)

// Splunk defaults.
const (
	// SplunkDefaultAckTimeout is HECAcknowledgmentTimeoutInSeconds'
	// default.
	SplunkDefaultAckTimeout = 180 * time.Second
	// SplunkDefaultAckPoll is how often an acknowledgement is asked for.
	SplunkDefaultAckPoll = time.Second
)

// SplunkConfig configures a Splunk destination
// (SplunkDestinationConfiguration).
type SplunkConfig struct {
	// Endpoint is HECEndpoint: the collector's base URL
	// ("https://splunk:8088"); a path ending in /services/collector... is
	// cut back to the base.
	Endpoint string
	// EndpointType is HECRaw or HECEvent.
	EndpointType string
	// Token is HECToken, sent as "Authorization: Splunk <token>".
	Token string
	// AckTimeout is HECAcknowledgmentTimeoutInSeconds; 0 means 180 s.
	AckTimeout time.Duration
	// AckPoll is the pause between acknowledgement queries; 0 means 1 s.
	AckPoll time.Duration
	// Timeout bounds one HTTP request; 0 means 3 minutes.
	Timeout time.Duration
	// Channel is the X-Splunk-Request-Channel GUID; "" means a new random
	// one for this destination.
	Channel string
	// Client sends the requests; nil means a client of its own.
	Client *http.Client
}

// Splunk delivers batches to a Splunk HTTP Event Collector and waits for
// indexer acknowledgement.
type Splunk struct {
	cfg    SplunkConfig
	send   string
	ack    string
	client *http.Client
}

// NewSplunk checks cfg and returns the destination.
func NewSplunk(cfg SplunkConfig) (*Splunk, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("dest: HEC endpoint: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("dest: HEC endpoint %q: want an http(s) URL with a host", cfg.Endpoint)
	}
	if i := strings.Index(u.Path, "/services/collector"); i >= 0 {
		u.Path = u.Path[:i]
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	base := u.String()
	var path string
	switch cfg.EndpointType {
	case HECRaw:
		path = "/services/collector/raw"
	case HECEvent:
		path = "/services/collector/event"
	default:
		return nil, fmt.Errorf("dest: HEC endpoint type %q: want Raw or Event", cfg.EndpointType)
	}
	cfg.AckTimeout = orDefault(cfg.AckTimeout, SplunkDefaultAckTimeout)
	cfg.AckPoll = orDefault(cfg.AckPoll, SplunkDefaultAckPoll)
	cfg.Timeout = orDefault(cfg.Timeout, HTTPDefaultTimeout)
	if cfg.Channel == "" {
		if cfg.Channel, err = newUUID(); err != nil {
			return nil, err
		}
	}
	return &Splunk{
		cfg:    cfg,
		send:   base + path,
		ack:    base + "/services/collector/ack",
		client: noRedirects(cfg.Client),
	}, nil
}

// ErrorOutputType implements delivery.Destination.
func (s *Splunk) ErrorOutputType() string { return "splunk-failed" }

// Close implements delivery.Destination.
func (s *Splunk) Close() error {
	closeIdle(s.client)
	return nil
}

// Channel returns the request channel this destination sends on.
func (s *Splunk) Channel() string { return s.cfg.Channel }

// hecReply is what the collector answers, to sends and to failures.
type hecReply struct {
	Text  string `json:"text"`
	Code  *int   `json:"code"`
	AckID *int64 `json:"ackId"`
}

// Deliver sends b's records in one request (the records concatenated:
// raw bytes for Raw, HEC event JSON for Event), then asks for the
// indexer acknowledgement of its ackId until it comes or AckTimeout
// passes (Splunk.AckTimeout). Every failure is retryable: a token or
// index may be fixed on the Splunk side while the engine retries.
func (s *Splunk) Deliver(ctx context.Context, b delivery.Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	var body bytes.Buffer
	for _, r := range b.Records {
		body.Write(r.Data)
	}
	status, reply, err := s.post(ctx, s.send, body.Bytes())
	if err != nil {
		return err
	}
	var hr hecReply
	_ = json.Unmarshal(reply, &hr)
	if status != http.StatusOK {
		return s.hecError(status, hr, reply)
	}
	if hr.AckID == nil {
		return &delivery.Error{Code: CodeSplunkDisabledAck,
			Message: "the collector took the data without an ackId: indexer acknowledgement is off for the token"}
	}
	return s.awaitAck(ctx, *hr.AckID)
}

// awaitAck asks for ackID's acknowledgement until it is true or the
// acknowledgement timeout passes.
func (s *Splunk) awaitAck(ctx context.Context, ackID int64) error {
	deadline := time.NewTimer(s.cfg.AckTimeout)
	defer deadline.Stop()
	q, err := json.Marshal(map[string][]int64{"acks": {ackID}})
	if err != nil {
		return fmt.Errorf("dest: ack query: %w", err)
	}
	key := strconv.FormatInt(ackID, 10)
	for {
		status, reply, err := s.post(ctx, s.ack, q)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			var hr hecReply
			_ = json.Unmarshal(reply, &hr)
			if hr.Code != nil && (*hr.Code == 10 || *hr.Code == 11) {
				return &delivery.Error{Code: CodeSplunkStickySessions,
					Message: fmt.Sprintf("the ack query for %d reached a collector that does not know channel %s: %s", ackID, s.cfg.Channel, reply)}
			}
			return s.hecError(status, hr, reply)
		}
		var ar struct {
			Acks map[string]bool `json:"acks"`
		}
		if err := json.Unmarshal(reply, &ar); err != nil || ar.Acks == nil {
			return &delivery.Error{Code: CodeSplunkServerError, Message: fmt.Sprintf("ack reply without acks: %s", reply), Err: err}
		}
		if ar.Acks[key] {
			return nil
		}
		select {
		case <-ctx.Done():
			return &delivery.Error{Code: CodeSplunkAckTimeout, Message: "delivery stopped while waiting for ack " + key, Err: ctx.Err()}
		case <-deadline.C:
			return &delivery.Error{Code: CodeSplunkAckTimeout,
				Message: fmt.Sprintf("no acknowledgement of ackId %d on channel %s within %s", ackID, s.cfg.Channel, s.cfg.AckTimeout)}
		case <-time.After(s.cfg.AckPoll):
		}
	}
}

// post sends one HEC request and returns the reply's status and body.
func (s *Splunk) post(ctx context.Context, target string, body []byte) (int, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &delivery.Error{Code: CodeSplunkInvalidEndpoint, Message: "building the request", Err: err}
	}
	req.Header.Set("Authorization", "Splunk "+s.cfg.Token)
	req.Header.Set("X-Splunk-Request-Channel", s.cfg.Channel)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		code := CodeSplunkConnectionClosed
		switch classifyNet(ctx, err) {
		case netTimeout:
			code = CodeSplunkConnectionTimeout
		case netRefused:
			code = CodeSplunkInvalidEndpoint
		}
		return 0, nil, &delivery.Error{Code: code, Message: "HEC request to " + target, Err: err}
	}
	defer resp.Body.Close()
	reply, _, err := readLimited(resp.Body, 1<<20)
	if err != nil {
		code := CodeSplunkConnectionClosed
		if classifyNet(ctx, err) == netTimeout {
			code = CodeSplunkConnectionTimeout
		}
		return 0, nil, &delivery.Error{Code: code, Message: "reading the HEC reply", Err: err}
	}
	return resp.StatusCode, reply, nil
}

// hecError maps a collector's refusal to Firehose's Splunk codes. The HEC
// status codes: 1 token disabled, 2 token required, 3 invalid
// authorization, 4 invalid token, 5 no data, 6 invalid data format, 7
// incorrect index, 8 internal error, 9 server busy, 10/11 channel missing
// or invalid, 12/13 event field missing or blank, 14 acknowledgement
// disabled.
func (s *Splunk) hecError(status int, hr hecReply, reply []byte) error {
	msg := fmt.Sprintf("the collector answered %d: %s", status, truncate(reply, 2048))
	code := CodeSplunkServerError
	switch {
	case hr.Code == nil && status == http.StatusNotFound:
		code = CodeSplunkURLNotFound
	case hr.Code == nil && status == http.StatusServiceUnavailable:
		code = CodeSplunkIndexerBusy
	case hr.Code == nil:
		if status < 500 {
			code = CodeSplunkInvalidEndpoint
		}
	case *hr.Code == 1:
		code = CodeSplunkDisabledToken
	case *hr.Code == 2, *hr.Code == 3, *hr.Code == 4:
		code = CodeSplunkInvalidToken
	case *hr.Code == 5, *hr.Code == 6, *hr.Code == 10, *hr.Code == 11, *hr.Code == 12, *hr.Code == 13, *hr.Code == 15:
		code = CodeSplunkInvalidDataFormat
	case *hr.Code == 7:
		code = CodeSplunkInvalidIndex
	case *hr.Code == 9:
		code = CodeSplunkIndexerBusy
	case *hr.Code == 14:
		code = CodeSplunkDisabledAck
	}
	return &delivery.Error{Code: code, Message: msg}
}

// RecordFields returns the fields the error output adds to a failed
// record's JSON: EventId, the record's id.
func (s *Splunk) RecordFields(r delivery.Record) map[string]any {
	return map[string]any{"EventId": r.ID}
}
