package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// A LambdaOutput calls the HTTP endpoint mapped to the function's ARN with
// the service's output event; records the function answers
// DeliveryFailed are sent again with a higher retryHint, and every row
// is delivered with its row id as the record id.
func TestLambdaOutput(t *testing.T) {
	const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:sink"
	var mu sync.Mutex
	delivered := map[string]string{} // record id -> data
	retried := 0
	failedOnce := false
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			InvocationID   string `json:"invocationId"`
			ApplicationARN string `json:"applicationArn"`
			Records        []struct {
				RecordID string `json:"recordId"`
				Meta     struct {
					RetryHint int `json:"retryHint"`
				} `json:"lambdaDeliveryRecordMetadata"`
				Data []byte `json:"data"`
			} `json:"records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.InvocationID == "" || ev.ApplicationARN == "" {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		type res struct {
			RecordID string `json:"recordId"`
			Result   string `json:"result"`
		}
		var out struct {
			Records []res `json:"records"`
		}
		mu.Lock()
		for i, x := range ev.Records {
			if x.Meta.RetryHint > 0 {
				retried++
			}
			if !failedOnce && i == 0 {
				failedOnce = true
				out.Records = append(out.Records, res{x.RecordID, "DeliveryFailed"})
				continue
			}
			delivered[x.RecordID] = string(x.Data)
			out.Records = append(out.Records, res{x.RecordID, "Ok"})
		}
		mu.Unlock()
		json.NewEncoder(w).Encode(out)
	}))
	defer fn.Close()

	w := newWorld(t)
	w.createStream("in", 1)
	m := w.manager(Config{LambdaEndpoints: map[string]string{fnARN: fn.URL}})
	defer m.Close()
	ctx := context.Background()
	code := `CREATE OR REPLACE STREAM "D" (n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM n FROM "SOURCE_SQL_STREAM_001";`
	in := jsonInput("in", RecordColumn{Name: "N", Mapping: "$.n", SqlType: "INTEGER"})
	out := func(arn string) Output {
		return Output{Name: "D", LambdaOutput: &ResourceRole{ResourceARN: arn, RoleARN: testRole}, DestinationSchema: &DestinationSchema{RecordFormatType: "JSON"}}
	}
	if _, err := m.Create(ctx, CreateInput{Name: "x", Code: code, Inputs: []Input{in}, Outputs: []Output{out(fnARN + "-unmapped")}}); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("an unmapped function: %v", err)
	}
	if _, err := m.Create(ctx, CreateInput{Name: "app", Code: code, Inputs: []Input{in}, Outputs: []Output{out(fnARN)}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "app", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for i := range 5 {
		recs = append(recs, map[string]any{"n": i})
	}
	w.put("in", 1, recs...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(delivered)
		mu.Unlock()
		if n >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows delivered, want 5", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for id, d := range delivered {
		if len(id) != 32 {
			t.Fatalf("record id %q: want the row id in hex", id)
		}
		got = append(got, d)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != `[{"N":0} {"N":1} {"N":2} {"N":3} {"N":4}]` || retried == 0 {
		t.Fatalf("delivered %v, %d retried", got, retried)
	}
}
