package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// createExample creates and starts an application of one input and one
// output stream through the SDK.
func createExample(t *testing.T, c *kinesisanalytics.Client, name, code string, in ka.Input, out ka.Output) {
	t.Helper()
	if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String(name), ApplicationCode: aws.String(code),
		Inputs: []ka.Input{in}, Outputs: []ka.Output{out}}); err != nil {
		t.Fatal(err)
	}
	startApp(t, c, name)
}

func jsonColumnsInput(stream string, cols ...[2]string) ka.Input {
	in := ka.Input{NamePrefix: aws.String("SOURCE_SQL_STREAM"),
		KinesisStreamsInput: &ka.KinesisStreamsInput{ResourceARN: aws.String(streamARN(stream)), RoleARN: aws.String(analyticsRole)},
		InputSchema: &ka.SourceSchema{RecordFormat: &ka.RecordFormat{RecordFormatType: ka.RecordFormatTypeJson,
			MappingParameters: &ka.MappingParameters{JSONMappingParameters: &ka.JSONMappingParameters{RecordRowPath: aws.String("$")}}}}}
	for _, c := range cols {
		in.InputSchema.RecordColumns = append(in.InputSchema.RecordColumns, ka.RecordColumn{Name: aws.String(c[0]), Mapping: aws.String("$." + c[0]), SqlType: aws.String(c[1])})
	}
	return in
}

// The developer guide's sliding-window average per ticker and its
// stagger window (one second here), its string transform of a referrer, and anomaly detection with
// RANDOM_CUT_FOREST, each through the SDK against records put by the test.
func TestAnalyticsDeveloperGuideExamples(t *testing.T) {
	srv := startServer(t, exactConfig(t))
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	for _, s := range []string{"ticks", "avg", "refs", "hosts", "beats", "scores", "stag"} {
		createStream(t, kc, s, 1)
	}

	// Sliding average: each row averages its ticker's rows of the last second.
	createExample(t, c, "sliding", `CREATE OR REPLACE STREAM "DST" (ticker_symbol VARCHAR(4), avg_price DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ticker_symbol, AVG(price) OVER W1 FROM "SOURCE_SQL_STREAM_001"
  WINDOW W1 AS (PARTITION BY ticker_symbol RANGE INTERVAL '1' SECOND PRECEDING);`, tickerInput("ticks"), streamOutput("DST", "avg", "JSON"))
	// SUBSTRING and POSITION: the host name of a referrer.
	createExample(t, c, "substring", `CREATE OR REPLACE STREAM "DST" (ingest_time TIMESTAMP, referrer VARCHAR(32));
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ROWTIME, SUBSTRING(referrer, 12, (POSITION('.com' IN referrer) - POSITION('www.' IN referrer) - 4))
  FROM "SOURCE_SQL_STREAM_001";`, jsonColumnsInput("refs", [2]string{"REFERRER", "VARCHAR(32)"}), streamOutput("DST", "hosts", "JSON"))
	// RANDOM_CUT_FOREST over heart rates with injected anomalies.
	createExample(t, c, "rcf", `CREATE OR REPLACE STREAM "DST" (heartRate INTEGER, rateType VARCHAR(12), ANOMALY_SCORE DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM "heartRate", "rateType", ANOMALY_SCORE
  FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM "heartRate", "rateType" FROM "SOURCE_SQL_STREAM_001")));`,
		jsonColumnsInput("beats", [2]string{"heartRate", "INTEGER"}, [2]string{"rateType", "VARCHAR(12)"}), streamOutput("DST", "scores", "JSON"))

	// Sliding average.
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 4 {
		var recs []map[string]any
		for i := range 30 {
			recs = append(recs, map[string]any{"TICKER_SYMBOL": []string{"AMZN", "TGT"}[i%2], "SECTOR": "X", "CHANGE": 0, "PRICE": float64(rng.IntN(1000)) / 4})
		}
		putJSON(t, kc, "ticks", recs)
		if round < 3 {
			time.Sleep(350 * time.Millisecond)
		}
	}
	in := readStream(t, kc, "ticks")
	type row struct {
		ticker  string
		price   float64
		arrival int64
	}
	var rows []row
	for _, r := range in {
		var m map[string]any
		json.Unmarshal(r.Data, &m)
		rows = append(rows, row{m["TICKER_SYMBOL"].(string), m["PRICE"].(float64), r.Arrival.UnixMilli()})
	}
	var want []string
	for i, r := range rows {
		sum, n := 0.0, 0
		for _, p := range rows[:i+1] {
			if p.ticker == r.ticker && p.arrival > r.arrival-1000 {
				sum += float64(float32(p.price)) // REAL
				n++
			}
		}
		want = append(want, fmt.Sprintf("%s %.4f", r.ticker, sum/float64(n)))
	}
	var got []string
	for _, m := range jsonRows(t, waitRecords(t, kc, "avg", len(rows))) {
		got = append(got, fmt.Sprintf("%s %.4f", m["TICKER_SYMBOL"], m["AVG_PRICE"]))
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sliding averages\n got %v\nwant %v", got, want)
	}

	// Stagger windows over the same records: a window per ticker opens
	// with its first row and closes a second later.
	createExample(t, c, "stagger", `CREATE OR REPLACE STREAM "DST" (ticker_symbol VARCHAR(4), n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  WINDOWED BY STAGGER (PARTITION BY ticker_symbol RANGE INTERVAL '1' SECOND);`, tickerInput("ticks"), streamOutput("DST", "stag", "CSV"))
	open := map[string]int64{}
	counts := map[string]int{}
	var wantStagger []string
	for _, r := range rows {
		if o, ok := open[r.ticker]; ok && r.arrival >= o+1000 {
			wantStagger = append(wantStagger, fmt.Sprintf("%s,%d", r.ticker, counts[r.ticker]))
			delete(open, r.ticker)
		}
		if _, ok := open[r.ticker]; !ok {
			open[r.ticker], counts[r.ticker] = r.arrival, 0
		}
		counts[r.ticker]++
	}
	for tk := range open {
		wantStagger = append(wantStagger, fmt.Sprintf("%s,%d", tk, counts[tk]))
	}
	var gotStagger []string
	for _, r := range waitRecords(t, kc, "stag", len(wantStagger)) {
		gotStagger = append(gotStagger, strings.TrimSpace(string(r.Data)))
	}
	sort.Strings(wantStagger)
	sort.Strings(gotStagger)
	if strings.Join(gotStagger, " ") != strings.Join(wantStagger, " ") {
		t.Errorf("stagger windows\n got %v\nwant %v", gotStagger, wantStagger)
	}

	// SUBSTRING.
	putJSON(t, kc, "refs", []map[string]any{{"REFERRER": "http://www.amazon.com"}, {"REFERRER": "http://www.example.com"}})
	hosts := jsonRows(t, waitRecords(t, kc, "hosts", 2))
	if hosts[0]["REFERRER"] != "amazon" || hosts[1]["REFERRER"] != "example" || hosts[0]["INGEST_TIME"] == nil {
		t.Errorf("substrings %v", hosts)
	}

	// RCF: the first 256 scores are 0; afterwards injected anomalies score
	// at least twice the normal rows' mean (about 0.85 against 3.7 and more).
	var beats []map[string]any
	anomalies := map[int]bool{}
	for i := range 1500 {
		hr, typ := 60+rng.IntN(41), "NORMAL"
		if i > 600 && i%100 == 7 {
			hr, typ = 150+rng.IntN(51), "HIGH"
			anomalies[i] = true
		}
		beats = append(beats, map[string]any{"heartRate": hr, "rateType": typ})
	}
	putJSON(t, kc, "beats", beats)
	scores := jsonRows(t, waitRecords(t, kc, "scores", len(beats)))
	var normal, high []float64
	for i, s := range scores {
		score := s["ANOMALY_SCORE"].(float64)
		switch {
		case i < 256:
			if score != 0 {
				t.Fatalf("score %v during warm-up (row %d)", score, i)
			}
		case s["RATETYPE"] == "HIGH":
			high = append(high, score)
		case i > 600:
			normal = append(normal, score)
		}
	}
	mean := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s / float64(len(x))
	}
	minHigh := math.Inf(1)
	for _, h := range high {
		minHigh = min(minHigh, h)
	}
	if len(high) != len(anomalies) || minHigh < 2*mean(normal) {
		t.Errorf("anomaly scores: %d high rows (want %d), lowest %.3f; normal mean %.3f", len(high), len(anomalies), minHigh, mean(normal))
	}
	t.Logf("RCF: normal mean %.3f, lowest anomaly %.3f", mean(normal), minHigh)
}
