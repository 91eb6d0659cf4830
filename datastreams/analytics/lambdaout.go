package analytics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
)

// lambdaLimit is the most records one call of an output function carries.
const lambdaLimit = 500

// Results an output function gives each record.
const (
	lambdaOK     = "Ok"
	lambdaFailed = "DeliveryFailed"
)

// lambdaOutput calls the HTTP endpoint that stands in for a LambdaOutput's
// function (the ARN -> URL map of InputProcessingConfiguration), with the
// service's output event and reply.
type lambdaOutput struct {
	url, appARN string
	client      *http.Client
}

type lambdaEvent struct {
	InvocationID   string         `json:"invocationId"`
	ApplicationARN string         `json:"applicationArn"`
	Records        []lambdaRecord `json:"records"`
}

type lambdaRecord struct {
	RecordID string         `json:"recordId"`
	Meta     lambdaMetadata `json:"lambdaDeliveryRecordMetadata"`
	Data     []byte         `json:"data"`
}

type lambdaMetadata struct {
	RetryHint int `json:"retryHint"`
}

type lambdaReply struct {
	Records []struct {
		RecordID string `json:"recordId"`
		Result   string `json:"result"`
	} `json:"records"`
}

// deliver sends entries (their partition keys, the row ids, are the
// record ids) and returns those to send again: the ones the function
// answered DeliveryFailed or left out. retry is how many times they were
// sent before.
func (l *lambdaOutput) deliver(ctx context.Context, entries []datastreams.PutEntry, retry int) ([]datastreams.PutEntry, error) {
	id := make([]byte, 16)
	rand.Read(id)
	ev := lambdaEvent{InvocationID: hex.EncodeToString(id), ApplicationARN: l.appARN, Records: make([]lambdaRecord, len(entries))}
	for i, e := range entries {
		ev.Records[i] = lambdaRecord{RecordID: e.PartitionKey, Meta: lambdaMetadata{RetryHint: retry}, Data: e.Data}
	}
	body, _ := json.Marshal(ev)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url, bytes.NewReader(body))
	if err != nil {
		return entries, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return entries, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return entries, fmt.Errorf("output endpoint %s answered %s", l.url, resp.Status)
	}
	var reply lambdaReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return entries, fmt.Errorf("output endpoint %s: %w", l.url, err)
	}
	ok := map[string]bool{}
	for _, r := range reply.Records {
		switch r.Result {
		case lambdaOK:
			ok[r.RecordID] = true
		case lambdaFailed:
		default:
			return entries, fmt.Errorf("output endpoint %s returned result %q for record %s (want Ok or DeliveryFailed)", l.url, r.Result, r.RecordID)
		}
	}
	var failed []datastreams.PutEntry
	for _, e := range entries {
		if !ok[e.PartitionKey] {
			failed = append(failed, e)
		}
	}
	return failed, nil
}
