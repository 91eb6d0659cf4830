package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// The developer guide's getting-started filter and its tumbling count per
// ticker (with a one-second window, so the test takes seconds), reading
// records put with the Kinesis SDK; the output streams must hold exactly
// the rows the test computes from the records' arrival times.
func TestAnalyticsFilterAndTumblingCount(t *testing.T) {
	srv := startServer(t, exactConfig(t))
	kc := client(srv.URL(), testCreds)
	c := analyticsClient(srv.URL())
	createStream(t, kc, "ticks", 1)
	createStream(t, kc, "tech", 1)
	createStream(t, kc, "counts", 1)
	code := `
CREATE OR REPLACE STREAM "TECH_STREAM" (ticker_symbol VARCHAR(4), sector VARCHAR(16), change REAL, price REAL);
CREATE OR REPLACE PUMP "TECH_PUMP" AS INSERT INTO "TECH_STREAM"
  SELECT STREAM ticker_symbol, sector, change, price
  FROM "SOURCE_SQL_STREAM_001"
  WHERE sector SIMILAR TO '%TECH%';
CREATE OR REPLACE STREAM "COUNT_STREAM" (ticker_symbol VARCHAR(4), ticker_count INTEGER);
CREATE OR REPLACE PUMP "COUNT_PUMP" AS INSERT INTO "COUNT_STREAM"
  SELECT STREAM ticker_symbol, COUNT(*) AS ticker_count
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);
`
	_, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{
		ApplicationName: aws.String("tickers"), ApplicationCode: aws.String(code),
		Inputs:  []ka.Input{tickerInput("ticks")},
		Outputs: []ka.Output{streamOutput("TECH_STREAM", "tech", "JSON"), streamOutput("COUNT_STREAM", "counts", "CSV")},
	})
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, c, "tickers")

	tickers := []string{"AMZN", "INTC", "TGT", "WMT", "MSFT"}
	sectors := map[string]string{"AMZN": "TECHNOLOGY", "INTC": "TECHNOLOGY", "TGT": "RETAIL", "WMT": "RETAIL", "MSFT": "TECHNOLOGY"}
	for round := range 3 {
		var recs []map[string]any
		for i := range 200 {
			tk := tickers[(i*7+round)%len(tickers)]
			recs = append(recs, map[string]any{"TICKER_SYMBOL": tk, "SECTOR": sectors[tk], "CHANGE": float64(i%11) - 5, "PRICE": 50 + float64(i%97)})
		}
		putJSON(t, kc, "ticks", recs)
		time.Sleep(400 * time.Millisecond)
	}
	// What the application must have computed, from the records as stored.
	in := readStream(t, kc, "ticks")
	wantTech := 0
	counts := map[string]int{}
	for i, r := range jsonRows(t, in) {
		if strings.Contains(r["SECTOR"].(string), "TECH") {
			wantTech++
		}
		counts[fmt.Sprintf("%s,%d", r["TICKER_SYMBOL"], in[i].Arrival.UnixMilli()/1000)]++
	}
	var wantCounts []string
	for k, n := range counts {
		tk, _, _ := strings.Cut(k, ",")
		wantCounts = append(wantCounts, fmt.Sprintf("%s,%d", tk, n))
	}
	sort.Strings(wantCounts)

	tech := jsonRows(t, waitRecords(t, kc, "tech", wantTech))
	if len(tech) != wantTech {
		t.Fatalf("tech rows: %d, want %d", len(tech), wantTech)
	}
	for _, r := range tech {
		if !strings.Contains(r["SECTOR"].(string), "TECH") || len(r) != 4 {
			t.Fatalf("tech row %v", r)
		}
	}
	got := waitRecords(t, kc, "counts", len(wantCounts))
	var gotCounts []string
	for _, r := range got {
		gotCounts = append(gotCounts, strings.TrimSpace(string(r.Data)))
	}
	sort.Strings(gotCounts)
	if strings.Join(gotCounts, ";") != strings.Join(wantCounts, ";") {
		t.Fatalf("counts:\n got %v\nwant %v", gotCounts, wantCounts)
	}
	// Nothing more comes.
	time.Sleep(1500 * time.Millisecond)
	if n := len(readStream(t, kc, "counts")); n != len(wantCounts) {
		t.Fatalf("counts stream holds %d rows, want %d", n, len(wantCounts))
	}
}
