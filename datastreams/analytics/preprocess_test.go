package analytics

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// A preprocessing function (an HTTP endpoint mapped to its ARN) turns
// plain-text records into JSON, drops some and fails others: the
// application sees the JSON, the failures go to error_stream.
func TestPreprocessing(t *testing.T) {
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev preEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.StreamARN != arnOf("in") || ev.ApplicationARN == "" {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		type rec struct {
			RecordID string `json:"recordId"`
			Result   string `json:"result"`
			Data     []byte `json:"data,omitempty"`
		}
		var out struct {
			Records []rec `json:"records"`
		}
		for _, x := range ev.Records {
			text := string(x.Data)
			switch {
			case text == "DROP":
				out.Records = append(out.Records, rec{x.RecordID, preDropped, nil})
			case text == "FAIL":
				out.Records = append(out.Records, rec{x.RecordID, preFailed, nil})
			default:
				b, _ := json.Marshal(map[string]string{"ticker": strings.ToUpper(text)})
				out.Records = append(out.Records, rec{x.RecordID, preOK, b})
			}
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer fn.Close()
	const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:pre"
	w := newWorld(t)
	w.createStream("in", 1)
	w.createStream("out", 1)
	w.createStream("errs", 1)
	m := w.manager(Config{LambdaEndpoints: map[string]string{fnARN: fn.URL}})
	defer m.Close()
	ctx := context.Background()
	in := jsonInput("in", RecordColumn{Name: "TICKER", Mapping: "$.ticker", SqlType: "VARCHAR(4)"})
	in.InputProcessingConfiguration = &InputProcessingConfiguration{InputLambdaProcessor: &ResourceRole{ResourceARN: fnARN, RoleARN: testRole}}
	code := `CREATE OR REPLACE STREAM "D" (ticker VARCHAR(4));
CREATE OR REPLACE PUMP "P" AS INSERT INTO "D" SELECT STREAM ticker FROM "SOURCE_SQL_STREAM_001";`
	if _, err := m.Create(ctx, CreateInput{Name: "pre", Code: code, Inputs: []Input{in},
		Outputs: []Output{streamOut("D", "out", "CSV"), streamOut("error_stream", "errs", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "pre", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "pre", StatusRunning)
	for _, s := range []string{"amzn", "DROP", "intc", "FAIL"} {
		w.putRaw("in", []byte(s))
	}
	out := w.waitRecords("out", 2)
	errs := w.waitRecords("errs", 1)
	time.Sleep(200 * time.Millisecond)
	var got []string
	for _, r := range w.records("out") {
		got = append(got, strings.TrimSpace(string(r.Data)))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "AMZN,INTC" || len(out) != 2 {
		t.Fatalf("rows %v", got)
	}
	var e map[string]any
	json.Unmarshal(errs[0].Data, &e)
	if !strings.Contains(e["MESSAGE"].(string), "ProcessingFailed") || len(w.records("errs")) != 1 {
		t.Fatalf("error rows %v", e)
	}
	if err := m.AddInputProcessing(ctx, "pre", 1, "1.1", InputProcessingConfiguration{InputLambdaProcessor: &ResourceRole{ResourceARN: "arn:aws:lambda:us-east-1:000000000000:function:none", RoleARN: testRole}}); err == nil {
		t.Fatal("a function without an endpoint was accepted")
	}
}
