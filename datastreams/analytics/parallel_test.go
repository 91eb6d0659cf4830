package analytics

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
)

// CSV records over two shards and InputParallelism 2: shard 0 feeds
// SOURCE_SQL_STREAM_001 and shard 1 SOURCE_SQL_STREAM_002, and the code
// reads both, as the developer guide's parallel-input example does.
func TestParallelismAndCSV(t *testing.T) {
	w := newWorld(t)
	w.createStream("in", 2)
	w.createStream("out", 1)
	m := w.manager(Config{})
	defer m.Close()
	ctx := context.Background()
	two := 2
	in := Input{NamePrefix: "SRC", KinesisStreamsInput: &ResourceRole{ResourceARN: arnOf("in"), RoleARN: testRole},
		InputParallelism: &InputParallelism{Count: &two},
		InputSchema: &SourceSchema{RecordFormat: &RecordFormat{RecordFormatType: "CSV",
			MappingParameters: &MappingParameters{CSVMappingParameters: &CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
			RecordColumns: []RecordColumn{{Name: "TICKER", SqlType: "VARCHAR(4)"}, {Name: "PRICE", SqlType: "DOUBLE"}}}}
	code := `CREATE OR REPLACE STREAM "D" (src VARCHAR(8), ticker VARCHAR(4), price DOUBLE);
CREATE OR REPLACE PUMP "P1" AS INSERT INTO "D" SELECT STREAM 'one', ticker, price FROM "SRC_001";
CREATE OR REPLACE PUMP "P2" AS INSERT INTO "D" SELECT STREAM 'two', ticker, price FROM "SRC_002";`
	if _, err := m.Create(ctx, CreateInput{Name: "par", Code: code, Inputs: []Input{in}, Outputs: []Output{streamOut("D", "out", "CSV")}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "par", []InputConfiguration{{ID: "1.1", InputStartingPositionConfiguration: &StartingPositionConfiguration{InputStartingPosition: StartTrimHorizon}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "par", StatusRunning)
	w.putRawTo("in", 0, 2, []byte("AMZN,1.5\nINTC,2\n"))
	w.putRawTo("in", 1, 2, []byte("TGT,3.25"))
	w.waitRecords("out", 3)
	time.Sleep(200 * time.Millisecond)
	var got []string
	for _, r := range w.records("out") {
		got = append(got, strings.TrimSpace(string(r.Data)))
	}
	sort.Strings(got)
	if strings.Join(got, ";") != "one,AMZN,1.5;one,INTC,2.0;two,TGT,3.25" {
		t.Fatalf("rows %v", got)
	}
	d, _ := m.Describe("par")
	if strings.Join(d.InputDescriptions[0].InAppStreamNames, ",") != "SRC_001,SRC_002" {
		t.Fatalf("streams %v", d.InputDescriptions[0].InAppStreamNames)
	}
}
