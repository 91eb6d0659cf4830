package transform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Error codes of the Lambda processor. The names follow the Lambda.* codes
// Firehose logs; CodeLambdaInvokeFailed and CodeLambdaResponseTooLarge are
// ours (an HTTP transport failure and an oversized reply).
const (
	CodeLambdaFunctionError     = "Lambda.FunctionError"
	CodeLambdaFunctionTimeout   = "Lambda.FunctionTimeout"
	CodeLambdaInvokeFailed      = "Lambda.InvokeFailed"
	CodeLambdaJSON              = "Lambda.JsonProcessingException"
	CodeLambdaMissingRecordID   = "Lambda.MissingRecordId"
	CodeLambdaDuplicatedID      = "Lambda.DuplicatedRecordId"
	CodeLambdaLimitExceeded     = "Lambda.InvokeLimitExceeded"
	CodeLambdaAccessDenied      = "Lambda.InvokeAccessDenied"
	CodeLambdaNotFound          = "Lambda.ResourceNotFound"
	CodeLambdaResponseTooLarge  = "Lambda.ResponseTooLarge"
	CodeLambdaProcessingFailed  = "Lambda.ProcessingFailedStatus"
	messageLambdaFailedStatus   = "ProcessingFailed status set for record"
	messageLambdaFunctionFailed = "The Lambda function was successfully invoked but it returned an error result."
)

// maxPayload is Lambda's limit on a synchronous request and response.
const maxPayload = 6 << 20

// maxBackoff caps the wait between invocation retries.
const maxBackoff = 30 * time.Second

type lambdaStage struct {
	c         lambdaConfig
	client    *http.Client
	log       *slog.Logger
	backoff   time.Duration
	timeout   time.Duration
	streamARN string
	sourceARN string
	region    string
	kinesis   bool
	dynamic   bool
	// concurrency is how many invocations may run at once.
	concurrency int
}

func newLambda(c lambdaConfig, cfg Config) *lambdaStage {
	client, log, backoff := defaults(cfg)
	timeout := cfg.LambdaTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	concurrency := cfg.LambdaConcurrency
	if concurrency <= 0 {
		concurrency = 5
	}
	return &lambdaStage{
		concurrency: concurrency,
		c:           c, client: client, log: log, backoff: backoff, timeout: timeout,
		streamARN: cfg.StreamARN, sourceARN: cfg.SourceStreamARN, region: cfg.Region,
		kinesis: cfg.KinesisSource, dynamic: cfg.DynamicPartitioning,
	}
}

// event is the Firehose transformation event.
type event struct {
	InvocationID           string        `json:"invocationId"`
	DeliveryStreamArn      string        `json:"deliveryStreamArn"`
	SourceKinesisStreamArn string        `json:"sourceKinesisStreamArn,omitempty"`
	Region                 string        `json:"region"`
	Records                []eventRecord `json:"records"`
}

type eventRecord struct {
	RecordID                    string       `json:"recordId"`
	ApproximateArrivalTimestamp int64        `json:"approximateArrivalTimestamp"`
	Data                        string       `json:"data"`
	KinesisRecordMetadata       *kinesisMeta `json:"kinesisRecordMetadata,omitempty"`
}

type kinesisMeta struct {
	ShardID                     string `json:"shardId"`
	PartitionKey                string `json:"partitionKey"`
	ApproximateArrivalTimestamp int64  `json:"approximateArrivalTimestamp"`
	SequenceNumber              string `json:"sequenceNumber"`
	SubsequenceNumber           int    `json:"subsequenceNumber"`
}

// response is what the function answers.
type response struct {
	Records      *[]responseRecord `json:"records"`
	ErrorMessage *string           `json:"errorMessage"`
}

type responseRecord struct {
	RecordID *string `json:"recordId"`
	Result   *string `json:"result"`
	Data     *string `json:"data"`
	Metadata *struct {
		PartitionKeys map[string]string `json:"partitionKeys"`
	} `json:"metadata"`
}

// invokeError is a failed invocation.
type invokeError struct {
	code, msg string
}

func (l *lambdaStage) run(ctx context.Context, in []item) ([]item, []Failed, error) {
	var chunks [][]item
	for len(in) > 0 {
		n := l.chunk(in)
		chunks = append(chunks, in[:n])
		in = in[n:]
	}
	type result struct {
		out    []item
		failed []Failed
		err    error
	}
	results := make([]result, len(chunks))
	sem := make(chan struct{}, l.concurrency)
	var wg sync.WaitGroup
	for i, c := range chunks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := &results[i]
			r.out, r.failed, r.err = l.invoke(ctx, c)
		}()
	}
	wg.Wait()
	var out []item
	var failed []Failed
	for _, r := range results {
		if r.err != nil {
			return nil, nil, r.err
		}
		out = append(out, r.out...)
		failed = append(failed, r.failed...)
	}
	return out, failed, nil
}

// chunk returns how many of the leading records one invocation gets: at
// most BufferSizeInMBs of record data, and a request under 6 MB.
func (l *lambdaStage) chunk(in []item) int {
	data, request := 0, 512+len(l.streamARN)+len(l.sourceARN)
	for i, it := range in {
		d := len(it.rec.Data)
		r := base64.StdEncoding.EncodedLen(d) + len(it.rec.ID) + 128
		if it.rec.Source != nil {
			r += 256 + len(it.rec.Source.PartitionKey)
		}
		if i > 0 && (data+d > l.c.maxBytes || request+r > maxPayload) {
			return i
		}
		data += d
		request += r
	}
	return len(in)
}

// recordIDs returns the recordIds of an invocation: the records' own ids,
// or their positions when those are not unique.
func recordIDs(in []item) []string {
	ids := make([]string, len(in))
	seen := make(map[string]bool, len(in))
	for i, it := range in {
		if it.rec.ID == "" || seen[it.rec.ID] {
			for j := range in {
				ids[j] = strconv.Itoa(j)
			}
			return ids
		}
		seen[it.rec.ID] = true
		ids[i] = it.rec.ID
	}
	return ids
}

func (l *lambdaStage) event(in []item, ids []string) event {
	ev := event{
		InvocationID:      uuid.NewString(),
		DeliveryStreamArn: l.streamARN,
		Region:            l.region,
		Records:           make([]eventRecord, len(in)),
	}
	if l.kinesis {
		ev.SourceKinesisStreamArn = l.sourceARN
	}
	for i, it := range in {
		ms := it.rec.Arrival.UnixMilli()
		er := eventRecord{RecordID: ids[i], ApproximateArrivalTimestamp: ms, Data: base64.StdEncoding.EncodeToString(it.rec.Data)}
		if l.kinesis && it.rec.Source != nil {
			s := it.rec.Source
			er.KinesisRecordMetadata = &kinesisMeta{
				ShardID: s.ShardID, PartitionKey: s.PartitionKey, ApproximateArrivalTimestamp: ms,
				SequenceNumber: s.SequenceNumber, SubsequenceNumber: s.SubSequence,
			}
		}
		ev.Records[i] = er
	}
	return ev
}

// invoke runs one invocation with its retries.
func (l *lambdaStage) invoke(ctx context.Context, in []item) ([]item, []Failed, error) {
	ids := recordIDs(in)
	body, err := json.Marshal(l.event(in, ids))
	if err != nil {
		return nil, nil, fmt.Errorf("transform: encoding a Lambda event: %w", err)
	}
	wait := l.backoff
	for attempt := 1; ; attempt++ {
		out, failed, ierr := l.call(ctx, body, in, ids, attempt)
		if ierr == nil {
			return out, failed, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		l.log.Warn("firehose lambda invocation failed",
			"function", l.c.arn, "attempt", attempt, "records", len(in), "code", ierr.code, "error", ierr.msg)
		if attempt > l.c.retries {
			failed := make([]Failed, len(in))
			for i, it := range in {
				failed[i] = it.fail(OutputProcessingFailed, ierr.code, ierr.msg)
				failed[i].LambdaARN = l.c.arn
				failed[i].Attempts = attempt
			}
			return nil, failed, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// call makes one attempt.
func (l *lambdaStage) call(ctx context.Context, body []byte, in []item, ids []string, attempt int) ([]item, []Failed, *invokeError) {
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, l.c.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, &invokeError{CodeLambdaInvokeFailed, err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		if errors.Is(cctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil, &invokeError{CodeLambdaFunctionTimeout, fmt.Sprintf("the function did not answer within %s", l.timeout)}
		}
		return nil, nil, &invokeError{CodeLambdaInvokeFailed, err.Error()}
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload+1))
	if err != nil {
		return nil, nil, &invokeError{CodeLambdaInvokeFailed, "reading the function's response: " + err.Error()}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil, &invokeError{CodeLambdaNotFound, fmt.Sprintf("the function's endpoint answered %s", resp.Status)}
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, nil, &invokeError{CodeLambdaLimitExceeded, fmt.Sprintf("the function's endpoint answered %s", resp.Status)}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, nil, &invokeError{CodeLambdaAccessDenied, fmt.Sprintf("the function's endpoint answered %s", resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, nil, &invokeError{CodeLambdaFunctionError, fmt.Sprintf("%s (HTTP %s: %s)", messageLambdaFunctionFailed, resp.Status, clip(payload))}
	case len(payload) > maxPayload:
		return nil, nil, &invokeError{CodeLambdaResponseTooLarge, fmt.Sprintf("the function's response is larger than %d bytes", maxPayload)}
	}
	return l.parse(payload, in, ids, attempt)
}

func clip(b []byte) string {
	if len(b) > 256 {
		return string(b[:256]) + "..."
	}
	return string(b)
}

// parse checks a response and applies it to the records.
func (l *lambdaStage) parse(payload []byte, in []item, ids []string, attempt int) ([]item, []Failed, *invokeError) {
	var r response
	if err := json.Unmarshal(payload, &r); err != nil {
		return nil, nil, &invokeError{CodeLambdaJSON, "the function's response is not valid JSON: " + err.Error()}
	}
	if r.Records == nil {
		if r.ErrorMessage != nil {
			return nil, nil, &invokeError{CodeLambdaFunctionError, messageLambdaFunctionFailed + " " + *r.ErrorMessage}
		}
		return nil, nil, &invokeError{CodeLambdaJSON, `the function's response has no "records"`}
	}
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	results := make([]*responseRecord, len(in))
	for k := range *r.Records {
		rr := &(*r.Records)[k]
		if rr.RecordID == nil {
			return nil, nil, &invokeError{CodeLambdaMissingRecordID, fmt.Sprintf("response record %d has no recordId", k)}
		}
		i, ok := index[*rr.RecordID]
		if !ok {
			return nil, nil, &invokeError{CodeLambdaMissingRecordID, fmt.Sprintf("the response holds recordId %q, which was not in the request", *rr.RecordID)}
		}
		if results[i] != nil {
			return nil, nil, &invokeError{CodeLambdaDuplicatedID, fmt.Sprintf("the response holds recordId %q more than once", *rr.RecordID)}
		}
		results[i] = rr
	}
	for i, rr := range results {
		if rr == nil {
			return nil, nil, &invokeError{CodeLambdaMissingRecordID, fmt.Sprintf("the response lacks recordId %q", ids[i])}
		}
	}
	var out []item
	var failed []Failed
	for i, rr := range results {
		if rr.Result == nil {
			return nil, nil, &invokeError{CodeLambdaJSON, fmt.Sprintf("record %q has no result", ids[i])}
		}
		it := in[i]
		switch *rr.Result {
		case "Ok":
			if rr.Data == nil {
				return nil, nil, &invokeError{CodeLambdaJSON, fmt.Sprintf("record %q is Ok but has no data", ids[i])}
			}
			data, err := base64.StdEncoding.DecodeString(*rr.Data)
			if err != nil {
				return nil, nil, &invokeError{CodeLambdaJSON, fmt.Sprintf("the data of record %q is not base64: %v", ids[i], err)}
			}
			it.rec.Data = data
			if l.dynamic && rr.Metadata != nil && len(rr.Metadata.PartitionKeys) > 0 {
				keys := copyKeys(it.rec.PartitionKeys)
				if keys == nil {
					keys = make(map[string]string, len(rr.Metadata.PartitionKeys))
				}
				for k, v := range rr.Metadata.PartitionKeys {
					keys[k] = v
				}
				it.rec.PartitionKeys = keys
			}
			out = append(out, it)
		case "Dropped":
		case "ProcessingFailed":
			f := it.fail(OutputProcessingFailed, CodeLambdaProcessingFailed, messageLambdaFailedStatus)
			f.LambdaARN = l.c.arn
			f.Attempts = attempt
			failed = append(failed, f)
		default:
			return nil, nil, &invokeError{CodeLambdaJSON, fmt.Sprintf("record %q has result %q; want Ok, Dropped or ProcessingFailed", ids[i], *rr.Result)}
		}
	}
	return out, failed, nil
}
