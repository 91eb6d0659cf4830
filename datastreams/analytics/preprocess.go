package analytics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams"
)

// preprocessBatch bounds the records of one preprocessing call.
const preprocessBatch = 500

// preprocessor sends input records through an HTTP endpoint that stands
// in for the Lambda function of an InputProcessingConfiguration, with the
// service's event and reply shapes.
type preprocessor struct {
	url, appARN, streamARN string
	firehose               bool // the input is a delivery stream
	client                 *http.Client
}

type preEvent struct {
	InvocationID   string      `json:"invocationId"`
	ApplicationARN string      `json:"applicationArn"`
	StreamARN      string      `json:"streamArn"`
	Records        []preRecord `json:"records"`
}

type preRecord struct {
	RecordID string       `json:"recordId"`
	Data     []byte       `json:"data"`
	Meta     *preSource   `json:"kinesisStreamRecordMetadata,omitempty"`
	FMeta    *preFirehose `json:"kinesisFirehoseRecordMetadata,omitempty"`
}

// preFirehose is what the event tells of a record read from a delivery
// stream.
type preFirehose struct {
	Arrival int64 `json:"approximateArrivalTimestamp"`
}

type preSource struct {
	ShardID        string `json:"shardId"`
	PartitionKey   string `json:"partitionKey"`
	SequenceNumber string `json:"sequenceNumber"`
	Arrival        int64  `json:"approximateArrivalTimestamp"`
}

type preReply struct {
	Records []struct {
		RecordID string `json:"recordId"`
		Result   string `json:"result"`
		Data     []byte `json:"data"`
	} `json:"records"`
}

// Results of a preprocessed record.
const (
	preOK      = "Ok"
	preDropped = "Dropped"
	preFailed  = "ProcessingFailed"
)

// process returns, per record, its data as the function returned it and
// the result; it retries a failed call (the service retries the batch)
// until ctx ends.
func (p *preprocessor) process(ctx context.Context, shardID string, recs []datastreams.Record) ([][]byte, []string, error) {
	data := make([][]byte, len(recs))
	results := make([]string, len(recs))
	for start := 0; start < len(recs); start += preprocessBatch {
		part := recs[start:min(start+preprocessBatch, len(recs))]
		backoff := 100 * time.Millisecond
		for {
			err := p.call(ctx, shardID, part, data[start:], results[start:])
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			sleep(ctx, backoff)
			backoff = min(2*backoff, 10*time.Second)
		}
	}
	return data, results, nil
}

func (p *preprocessor) call(ctx context.Context, shardID string, recs []datastreams.Record, data [][]byte, results []string) error {
	id := make([]byte, 16)
	rand.Read(id)
	ev := preEvent{InvocationID: hex.EncodeToString(id), ApplicationARN: p.appARN, StreamARN: p.streamARN}
	for i, r := range recs {
		pr := preRecord{RecordID: strconv.Itoa(i), Data: r.Data}
		if p.firehose {
			pr.FMeta = &preFirehose{Arrival: r.Arrival.UnixMilli()}
		} else {
			pr.Meta = &preSource{ShardID: shardID, PartitionKey: r.PartitionKey, SequenceNumber: r.SequenceNumber, Arrival: r.Arrival.UnixMilli()}
		}
		ev.Records = append(ev.Records, pr)
	}
	body, _ := json.Marshal(ev)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("preprocessing endpoint %s answered %s", p.url, resp.Status)
	}
	var reply preReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return fmt.Errorf("preprocessing endpoint %s: %w", p.url, err)
	}
	seen := make([]bool, len(recs))
	for _, r := range reply.Records {
		i, err := strconv.Atoi(r.RecordID)
		if err != nil || i < 0 || i >= len(recs) || seen[i] {
			return fmt.Errorf("preprocessing endpoint %s returned an unknown or repeated recordId %q", p.url, r.RecordID)
		}
		switch r.Result {
		case preOK, preDropped, preFailed:
		default:
			return fmt.Errorf("preprocessing endpoint %s returned result %q for record %s", p.url, r.Result, r.RecordID)
		}
		seen[i] = true
		data[i], results[i] = r.Data, r.Result
	}
	for i, ok := range seen {
		if !ok {
			return fmt.Errorf("preprocessing endpoint %s did not return record %d", p.url, i)
		}
	}
	return nil
}
