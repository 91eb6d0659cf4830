package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// Kill -9 of shardcast while an application counts per ticker in
// one-second tumbling windows (at a random point after a checkpoint or
// more), then a restart: the output stream must
// hold each window's result exactly once, equal to what the test counts
// in the input stream.
func TestAnalyticsCrashExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	code := `CREATE OR REPLACE STREAM "COUNTS" (ticker VARCHAR(4), n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "COUNTS"
  SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`
	tickers := []string{"AMZN", "INTC", "TGT", "WMT"}
	// A generous arrival slack: no slow append gets a later ROWTIME than
	// its arrival, so windows match the arrival times the test reads.
	conf := filepath.Join(dir, "shardcast.yaml")
	if err := os.WriteFile(conf, []byte("analytics:\n  arrival_slack: 300ms\n  checkpoint_interval: 300ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	written := 0
	for round := range 2 {
		p := startBinary(t, "--data-dir", dir, "--config", conf)
		kc := client(p.url, testCreds)
		if round == 0 {
			createStream(t, kc, "src", 1)
			createStream(t, kc, "dst", 2)
			c := analyticsClient(p.url)
			if _, err := c.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("counter"),
				ApplicationCode: aws.String(code), Inputs: []ka.Input{tickerInput("src")}, Outputs: []ka.Output{streamOutput("COUNTS", "dst", "JSON")}}); err != nil {
				t.Fatal(err)
			}
			startApp(t, c, "counter")
		} else {
			waitStatus(t, analyticsClient(p.url), "counter", ka.ApplicationStatusRunning)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var entries []ktypes.PutRecordsRequestEntry
				for i := range 20 {
					b, _ := json.Marshal(map[string]any{"TICKER_SYMBOL": tickers[(n+i)%len(tickers)], "SECTOR": "X", "CHANGE": 1, "PRICE": 2})
					entries = append(entries, ktypes.PutRecordsRequestEntry{Data: b, PartitionKey: aws.String(fmt.Sprint(i))})
				}
				if _, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("src"), Records: entries}); err != nil {
					return // the server is gone
				}
				written += len(entries)
				time.Sleep(20 * time.Millisecond)
			}
		})
		time.Sleep(time.Duration(1100+rng.IntN(1000)) * time.Millisecond)
		if round == 0 {
			p.kill()
			close(stop)
			wg.Wait()
			t.Logf("round %d: killed after %d records", round, written)
			continue
		}
		close(stop)
		wg.Wait()
		// Every window closes once its second has passed.
		in := readStream(t, kc, "src")
		want := map[string]int{}
		for _, r := range in {
			var m map[string]any
			json.Unmarshal(r.Data, &m)
			want[fmt.Sprintf("%s@%d", m["TICKER_SYMBOL"], r.Arrival.UnixMilli()/1000)]++
		}
		perKey := map[string]int{}
		for k, n := range want {
			tk, _, _ := strings.Cut(k, "@")
			perKey[fmt.Sprintf("%s=%d", tk, n)]++
		}
		var wantRows []string
		for k, n := range perKey {
			for range n {
				wantRows = append(wantRows, k)
			}
		}
		sort.Strings(wantRows)
		waitRecords(t, kc, "dst", len(wantRows))
		time.Sleep(1500 * time.Millisecond)
		out := readStream(t, kc, "dst")
		keys := map[string]bool{}
		var gotRows []string
		for _, r := range out {
			if keys[r.Key] {
				t.Errorf("row id %s written twice: %s", r.Key, r.Data)
			}
			keys[r.Key] = true
			var m map[string]any
			json.Unmarshal(r.Data, &m)
			gotRows = append(gotRows, fmt.Sprintf("%s=%v", m["TICKER"], m["N"]))
		}
		sort.Strings(gotRows)
		if strings.Join(gotRows, " ") != strings.Join(wantRows, " ") {
			t.Fatalf("output after a crash (%d input records):\n got %v\nwant %v", len(in), gotRows, wantRows)
		}
		t.Logf("%d input records, %d windows, each once", len(in), len(gotRows))
		p.stop(t)
	}
}
