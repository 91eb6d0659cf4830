package analytics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams"
)

// BenchmarkFilterProject runs a filter and projection pump in process
// over b.N preloaded records (the records/s of the manager and the
// engine alone, without HTTP).
func BenchmarkFilterProject(b *testing.B) {
	w := newWorldB(b)
	w.createStream("in", 4)
	w.createStream("out", 4)
	for i := 0; i < b.N; i += 500 {
		var entries []datastreams.PutEntry
		for j := i; j < min(i+500, b.N); j++ {
			entries = append(entries, datastreams.PutEntry{PartitionKey: fmt.Sprint(j),
				Data: fmt.Appendf(nil, `{"TICKER_SYMBOL":"K%d","SECTOR":"TECHNOLOGY","CHANGE":%d,"PRICE":%d.5}`, j%1000, j%7-3, 10+j%90)})
		}
		if _, err := w.streams.PutRecords(context.Background(), datastreams.StreamRef{Name: "in"}, entries); err != nil {
			b.Fatal(err)
		}
	}
	m := w.manager(Config{})
	defer m.Close()
	code := `CREATE OR REPLACE STREAM "DST" (ticker VARCHAR(8), price REAL, pct DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DST"
  SELECT STREAM ticker_symbol, price, change / price * 100 FROM "SOURCE_SQL_STREAM_001" WHERE price > 0;`
	in := jsonInput("in", RecordColumn{Name: "TICKER_SYMBOL", Mapping: "$.TICKER_SYMBOL", SqlType: "VARCHAR(8)"},
		RecordColumn{Name: "SECTOR", Mapping: "$.SECTOR", SqlType: "VARCHAR(16)"},
		RecordColumn{Name: "CHANGE", Mapping: "$.CHANGE", SqlType: "REAL"}, RecordColumn{Name: "PRICE", Mapping: "$.PRICE", SqlType: "REAL"})
	if _, err := m.Create(context.Background(), CreateInput{Name: "b", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("DST", "out", "CSV")}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := m.Start(context.Background(), "b", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		b.Fatal(err)
	}
	w.drain("out", func(n int) bool { return n >= b.N })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
