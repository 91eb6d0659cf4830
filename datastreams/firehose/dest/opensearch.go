package dest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Index rotation periods (IndexRotationPeriod).
const (
	RotateNone  = "NoRotation"
	RotateHour  = "OneHour"
	RotateDay   = "OneDay"
	RotateWeek  = "OneWeek"
	RotateMonth = "OneMonth"
)

// Document id formats (DocumentIdOptions.DefaultDocumentIdFormat).
const (
	DocumentIDFirehose = "FIREHOSE_DEFAULT"
	DocumentIDNone     = "NO_DOCUMENT_ID"
)

// CodeInvalidDocument is the error code of a record that is not a JSON
// document and so never reaches the cluster: the status a cluster gives a
// document it cannot parse.
const CodeInvalidDocument = "400"

// OpenSearchConfig configures an OpenSearch or Elasticsearch destination
// (AmazonopensearchserviceDestinationConfiguration,
// ElasticsearchDestinationConfiguration).
type OpenSearchConfig struct {
	// Endpoint is the cluster's URL (the ClusterEndpoint, or the URL
	// shardcast's configuration maps a DomainARN to); _bulk is appended.
	Endpoint string
	// IndexName is the index, before rotation.
	IndexName string
	// TypeName, when set, goes into each action as _type (clusters
	// before 7.x).
	TypeName string
	// IndexRotationPeriod is one of the Rotate constants; "" is OneDay.
	IndexRotationPeriod string
	// DocumentIDFormat is DocumentIDFirehose ("" too) or DocumentIDNone.
	DocumentIDFormat string
	// Elasticsearch marks the Elasticsearch destination type: its error
	// output type is "elasticsearch-failed" and its codes start "ES.".
	Elasticsearch bool
	// Username and Password, when set, go in basic authentication.
	Username, Password string
	// Timeout bounds one _bulk request; 0 means 3 minutes.
	Timeout time.Duration
	// Client sends the requests; nil means a client of its own.
	Client *http.Client
}

// OpenSearch delivers batches to an OpenSearch or Elasticsearch cluster
// with the _bulk API.
type OpenSearch struct {
	cfg    OpenSearchConfig
	bulk   string
	client *http.Client
	prefix string
}

// NewOpenSearch checks cfg and returns the destination.
func NewOpenSearch(cfg OpenSearchConfig) (*OpenSearch, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("dest: cluster endpoint: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("dest: cluster endpoint %q: want an http(s) URL with a host", cfg.Endpoint)
	}
	if cfg.IndexName == "" {
		return nil, fmt.Errorf("dest: opensearch: no index name")
	}
	switch cfg.IndexRotationPeriod {
	case "":
		cfg.IndexRotationPeriod = RotateDay
	case RotateNone, RotateHour, RotateDay, RotateWeek, RotateMonth:
	default:
		return nil, fmt.Errorf("dest: index rotation period %q", cfg.IndexRotationPeriod)
	}
	switch cfg.DocumentIDFormat {
	case "":
		cfg.DocumentIDFormat = DocumentIDFirehose
	case DocumentIDFirehose, DocumentIDNone:
	default:
		return nil, fmt.Errorf("dest: document id format %q", cfg.DocumentIDFormat)
	}
	cfg.Timeout = orDefault(cfg.Timeout, HTTPDefaultTimeout)
	prefix := "OS."
	if cfg.Elasticsearch {
		prefix = "ES."
	}
	return &OpenSearch{
		cfg:    cfg,
		bulk:   strings.TrimRight(cfg.Endpoint, "/") + "/_bulk",
		client: noRedirects(cfg.Client),
		prefix: prefix,
	}, nil
}

// ErrorOutputType implements delivery.Destination.
func (o *OpenSearch) ErrorOutputType() string {
	if o.cfg.Elasticsearch {
		return "elasticsearch-failed"
	}
	return "AmazonOpenSearchService-failed"
}

// Close implements delivery.Destination.
func (o *OpenSearch) Close() error {
	closeIdle(o.client)
	return nil
}

// IndexName returns the index a record that arrived at t goes to.
func (o *OpenSearch) IndexName(t time.Time) string {
	return RotatedIndex(o.cfg.IndexName, o.cfg.IndexRotationPeriod, t)
}

// DocumentID returns the _id of r, "" with NO_DOCUMENT_ID. It is r.ID, so
// it is the same on every attempt.
func (o *OpenSearch) DocumentID(r delivery.Record) string {
	if o.cfg.DocumentIDFormat == DocumentIDNone {
		return ""
	}
	return r.ID
}

// RecordFields returns the fields the error output adds to a failed
// record's JSON: esDocumentId, esIndexName and esTypeName.
func (o *OpenSearch) RecordFields(r delivery.Record) map[string]any {
	return map[string]any{
		"esDocumentId": o.DocumentID(r),
		"esIndexName":  o.IndexName(r.Arrival),
		"esTypeName":   o.cfg.TypeName,
	}
}

// RotatedIndex returns index with the suffix period gives the UTC time t:
// -yyyy-MM-dd-HH, -yyyy-MM-dd, -yyyy-wWW or -yyyy-MM. Weeks start on
// Sunday and are counted from the year's first Sunday, the days before it
// being week 00, so 2016-02-25 is in week 08 as Firehose documents.
func RotatedIndex(index, period string, t time.Time) string {
	t = t.UTC()
	switch period {
	case RotateHour:
		return index + t.Format("-2006-01-02-15")
	case RotateDay, "":
		return index + t.Format("-2006-01-02")
	case RotateWeek:
		return fmt.Sprintf("%s-%04d-w%02d", index, t.Year(), (t.YearDay()+6-int(t.Weekday()))/7)
	case RotateMonth:
		return index + t.Format("-2006-01")
	}
	return index
}

// BulkItemError is one document a _bulk request did not index.
type BulkItemError struct {
	// Index is the record's index in the batch.
	Index int
	// Status is the item's HTTP status (400 for a record that is not a
	// JSON document).
	Status int
	// Type and Reason are the cluster's error type and reason.
	Type, Reason string
}

// BulkError is the error Deliver returns when some documents failed. It
// unwraps to the *delivery.Error the engine reads (Failed lists the
// documents) and names each document's own status: the errorCode of its
// error record.
type BulkError struct {
	Delivery *delivery.Error
	Items    []BulkItemError
}

func (e *BulkError) Error() string { return e.Delivery.Error() }

// Unwrap returns the delivery error.
func (e *BulkError) Unwrap() error { return e.Delivery }

// RecordCode returns the error code of the record at index i of the batch,
// and its message.
func (e *BulkError) RecordCode(i int) (code, message string) {
	for _, it := range e.Items {
		if it.Index == i {
			return strconv.Itoa(it.Status), it.Type + ": " + it.Reason
		}
	}
	return e.Delivery.Code, e.Delivery.Message
}

type bulkAction struct {
	Index bulkTarget `json:"index"`
}

type bulkTarget struct {
	Index string `json:"_index"`
	Type  string `json:"_type,omitempty"`
	ID    string `json:"_id,omitempty"`
}

type bulkReply struct {
	Errors bool                         `json:"errors"`
	Items  []map[string]bulkItemOutcome `json:"items"`
}

type bulkItemOutcome struct {
	Status int `json:"status"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// Deliver indexes b's records with one _bulk request. Records that are
// not JSON fail on their own with status 400; documents the cluster
// refuses fail with their item status. The error is Permanent when every
// failed document has a status retrying cannot change (a 4xx other than
// 408 and 429).
func (o *OpenSearch) Deliver(ctx context.Context, b delivery.Batch) error {
	var body bytes.Buffer
	var sent []int
	var items []BulkItemError
	for i, r := range b.Records {
		doc, err := singleLineJSON(r.Data)
		if err != nil {
			items = append(items, BulkItemError{Index: i, Status: 400, Type: "invalid_document", Reason: err.Error()})
			continue
		}
		action, err := json.Marshal(bulkAction{Index: bulkTarget{
			Index: o.IndexName(r.Arrival), Type: o.cfg.TypeName, ID: o.DocumentID(r),
		}})
		if err != nil {
			return &delivery.Error{Code: o.prefix + "InvalidDocument", Message: "encoding an action", Permanent: true, Err: err}
		}
		body.Write(action)
		body.WriteByte('\n')
		body.Write(doc)
		body.WriteByte('\n')
		sent = append(sent, i)
	}
	if len(sent) > 0 {
		failed, err := o.send(ctx, body.Bytes(), sent)
		if err != nil {
			return err
		}
		items = append(items, failed...)
	}
	return o.itemsError(b, items)
}

// itemsError builds the error of a batch whose items failed, or nil.
func (o *OpenSearch) itemsError(b delivery.Batch, items []BulkItemError) error {
	if len(items) == 0 {
		return nil
	}
	slices.SortFunc(items, func(a, b BulkItemError) int { return a.Index - b.Index })
	permanent := true
	failed := make([]int, len(items))
	for k, it := range items {
		failed[k] = it.Index
		if retryableStatus(it.Status) {
			permanent = false
		}
	}
	first := items[0]
	e := &delivery.Error{
		Code:      strconv.Itoa(first.Status),
		Message:   fmt.Sprintf("%d of %d documents failed; the first: %s: %s", len(items), len(b.Records), first.Type, first.Reason),
		Permanent: permanent,
	}
	if len(items) < len(b.Records) {
		e.Failed = failed
	}
	return &BulkError{Delivery: e, Items: items}
}

// send makes the _bulk request for the records at indexes sent and
// returns the items the cluster refused.
func (o *OpenSearch) send(ctx context.Context, body []byte, sent []int) ([]BulkItemError, error) {
	actx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, o.bulk, bytes.NewReader(body))
	if err != nil {
		return nil, &delivery.Error{Code: o.prefix + "ConnectionFailed", Message: "building the request", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if o.cfg.Username != "" || o.cfg.Password != "" {
		req.SetBasicAuth(o.cfg.Username, o.cfg.Password)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		code := o.prefix + "ConnectionFailed"
		switch classifyNet(ctx, err) {
		case netTimeout:
			code = o.prefix + "RequestTimeout"
		case netReset:
			code = o.prefix + "ConnectionReset"
		}
		return nil, &delivery.Error{Code: code, Message: "_bulk request", Err: err}
	}
	defer resp.Body.Close()
	reply, tooLarge, err := readLimited(resp.Body, 256<<20)
	if err != nil || tooLarge {
		return nil, &delivery.Error{Code: o.prefix + "ConnectionReset", Message: "reading the _bulk reply", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &delivery.Error{
			Code:    strconv.Itoa(resp.StatusCode),
			Message: fmt.Sprintf("_bulk answered %d: %s", resp.StatusCode, truncate(reply, 2048)),
		}
	}
	var br bulkReply
	if err := json.Unmarshal(reply, &br); err != nil || len(br.Items) != len(sent) {
		return nil, &delivery.Error{
			Code:    o.prefix + "InvalidResponse",
			Message: fmt.Sprintf("_bulk reply with %d items for %d documents: %s", len(br.Items), len(sent), truncate(reply, 2048)),
			Err:     err,
		}
	}
	var failed []BulkItemError
	for k, item := range br.Items {
		var out bulkItemOutcome
		for _, v := range item {
			out = v
		}
		if out.Status >= 200 && out.Status < 300 && out.Error == nil {
			continue
		}
		it := BulkItemError{Index: sent[k], Status: out.Status}
		if out.Error != nil {
			it.Type, it.Reason = out.Error.Type, out.Error.Reason
		}
		failed = append(failed, it)
	}
	return failed, nil
}

// retryableStatus says whether a document refused with status may be
// taken on a later attempt: throttling, timeouts and server errors.
func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout ||
		status >= 500 || status < 400
}

// singleLineJSON returns data as one line of JSON, or why it is not a
// JSON document. A document spread over lines is compacted (the same
// document); anything else is refused.
func singleLineJSON(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(trimmed) {
		return nil, fmt.Errorf("the record is not a JSON document")
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("the record is JSON but not an object")
	}
	if !bytes.ContainsAny(trimmed, "\r\n") {
		return trimmed, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, fmt.Errorf("the record is not a JSON document: %w", err)
	}
	return buf.Bytes(), nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
