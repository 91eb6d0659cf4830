package sqlengine

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The developer guide's example applications, with their SQL as AWS
// wrote it, fed rows from the test; expected results are computed here
// independently of the engine.

const src = "SOURCE_SQL_STREAM_001"

var demoSchema = []StreamSchema{{Name: src, Columns: []sqltypes.Column{
	col("TICKER_SYMBOL", "VARCHAR(4)"), col("SECTOR", "VARCHAR(16)"), col("CHANGE", "REAL"), col("PRICE", "REAL"),
}}}

type demoRow struct {
	at            int64
	ticker, sect  string
	change, price float64
}

// demoRows makes n demo-stream rows, about 4 a second from t0; prices
// and changes are multiples of 1/4 so REAL and DOUBLE agree exactly.
func demoRows(seed uint64, n int, t0 int64) ([]demoRow, []in) {
	rng := rand.New(rand.NewPCG(seed, 7))
	tickers := []string{"AMZN", "TGT", "MSFT", "INTC", "TBV", "NFLX"}
	sectors := []string{"TECHNOLOGY", "RETAIL", "HEALTHCARE", "TECHNOLOGY_SERV", "ENERGY"}
	var rows []demoRow
	var ins []in
	at := t0
	for range n {
		at += int64(rng.IntN(500))
		d := demoRow{at: at, ticker: tickers[rng.IntN(len(tickers))], sect: sectors[rng.IntN(len(sectors))],
			change: float64(rng.IntN(41)-20) / 4, price: float64(40+rng.IntN(400)) / 4}
		rows = append(rows, d)
		ins = append(ins, in{src, at, []sqltypes.Value{str(d.ticker), str(d.sect), real(d.change), real(d.price)}})
	}
	return rows, ins
}

func ftext(f float64) string { return sqltypes.Float(f).String() }
func ttext(ms int64) string  { return sqltypes.TimestampMs(ms).String() }

func TestExampleFilterSimilarTo(t *testing.T) {
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM"
  (symbol VARCHAR(4), sector VARCHAR(12), CHANGE DOUBLE, price DOUBLE);
-- Create pump to insert into output.
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM ticker_symbol, sector, CHANGE, price
      FROM "SOURCE_SQL_STREAM_001"
      WHERE sector SIMILAR TO '%TECH%';`, demoSchema)
	rows, ins := demoRows(1, 300, ts("10:00:00"))
	out := runChecked(t, p, ins, ts("11:00:00"))
	var want []string
	for _, r := range rows {
		if strings.Contains(r.sect, "TECH") {
			sect := r.sect
			if len(sect) > 12 {
				sect = sect[:12] // VARCHAR(12) truncates on insert
			}
			want = append(want, strings.Join([]string{ttext(r.at), r.ticker, sect, ftext(r.change), ftext(r.price)}, " | "))
		}
	}
	sameRows(t, "DESTINATION_SQL_STREAM", rowsOf(out, "DESTINATION_SQL_STREAM"), want)
	if len(want) < 50 {
		t.Fatalf("only %d rows matched: weak test data", len(want))
	}
}

func TestExampleFilterPercentChangeAndSplit(t *testing.T) {
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4),
                                                   price DOUBLE);
-- CREATE OR REPLACE PUMP to insert into output
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
  INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM TICKER_SYMBOL,
                    PRICE
      FROM   "SOURCE_SQL_STREAM_001"
      WHERE  (ABS((CHANGE / (PRICE-CHANGE)) * 100)) > 15;
CREATE OR REPLACE STREAM "AMZN_STREAM"
           (ticker_symbol VARCHAR(4),
            change        DOUBLE,
            price         DOUBLE);
CREATE OR REPLACE PUMP "AMZN_PUMP" AS
   INSERT INTO "AMZN_STREAM"
      SELECT STREAM ticker_symbol, change, price
      FROM   "SOURCE_SQL_STREAM_001"
      WHERE  ticker_symbol SIMILAR TO '%AMZN%';
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM_2"
           (ticker_symbol VARCHAR(4),
            change        DOUBLE,
            price         DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP_2" AS
   INSERT INTO "DESTINATION_SQL_STREAM_2"
      SELECT STREAM ticker_symbol, change, price
      FROM   "AMZN_STREAM";`, demoSchema)
	all, _ := demoRows(2, 300, ts("10:00:00"))
	var rows []demoRow
	var ins []in
	for _, r := range all {
		// keep clear of 15 % itself, where REAL and DOUBLE rounding
		// could disagree, and of a zero divisor
		if d := r.price - r.change; d == 0 || abs(abs(r.change/d*100)-15) < 0.01 {
			continue
		}
		rows = append(rows, r)
		ins = append(ins, in{src, r.at, []sqltypes.Value{str(r.ticker), str(r.sect), real(r.change), real(r.price)}})
	}
	out := runChecked(t, p, ins, ts("11:00:00"))
	var alerts, amzn []string
	for _, r := range rows {
		if pct := r.change / (r.price - r.change) * 100; pct > 15 || pct < -15 {
			alerts = append(alerts, strings.Join([]string{ttext(r.at), r.ticker, ftext(r.price)}, " | "))
		}
		if r.ticker == "AMZN" {
			amzn = append(amzn, strings.Join([]string{ttext(r.at), r.ticker, ftext(r.change), ftext(r.price)}, " | "))
		}
	}
	sameRows(t, "alerts", rowsOf(out, "DESTINATION_SQL_STREAM"), alerts)
	sameRows(t, "AMZN_STREAM", rowsOf(out, "AMZN_STREAM"), amzn)
	sameRows(t, "chained copy", rowsOf(out, "DESTINATION_SQL_STREAM_2"), amzn)
}

func TestExampleStringFunctions(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("REFERRER", "VARCHAR(32)"), col("APPROXIMATE_ARRIVAL_TIME", "TIMESTAMP")}}}
	// the guide quotes "referrer" in lower case although discovery
	// names the column REFERRER; the quoted form is kept where it
	// matches the schema
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "ingest_time" TIMESTAMP,
    "referrer" VARCHAR(32));
CREATE OR REPLACE PUMP "myPUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM
         "APPROXIMATE_ARRIVAL_TIME",
         SUBSTRING("REFERRER", 12, (POSITION('.com' IN "REFERRER") - POSITION('www.' IN "REFERRER") - 4))
      FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE STREAM "REPLACED" (
    "ingest_time" TIMESTAMP,
    "referrer" VARCHAR(32));
CREATE OR REPLACE PUMP "myPUMP2" AS
   INSERT INTO "REPLACED"
      SELECT STREAM
         "APPROXIMATE_ARRIVAL_TIME",
         REGEX_REPLACE("REFERRER", 'http://', 'https://', 1, 0)
      FROM "SOURCE_SQL_STREAM_001";`, schema)
	at := ts("10:00:01")
	out := runChecked(t, p, []in{{src, at, []sqltypes.Value{str("http://www.amazon.com"), sqltypes.TimestampMs(at - 5)}}}, at+1)
	sameRows(t, "substring", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{ttext(at) + " | " + ttext(at-5) + " | amazon"})
	sameRows(t, "regex_replace", rowsOf(out, "REPLACED"), []string{ttext(at) + " | " + ttext(at-5) + " | https://www.amazon.com"})
}

func TestExampleTwoRecordTypes(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{
		col("RecordType", "VARCHAR(8)"), col("Oid", "INTEGER"), col("Oticker", "VARCHAR(4)"), col("Oprice", "DOUBLE"),
		col("Otype", "VARCHAR(8)"), col("Tid", "INTEGER"), col("Toid", "INTEGER"), col("Tticker", "VARCHAR(4)"), col("Tprice", "DOUBLE"),
	}}}
	p := mustCompile(t, `--Create Order_Stream.
CREATE OR REPLACE STREAM "Order_Stream"
           (
            "order_id"     integer,
            "order_type"   varchar(10),
            "ticker"       varchar(4),
            "order_price"  DOUBLE,
            "record_type"  varchar(10)
            );

CREATE OR REPLACE PUMP "Order_Pump" AS
   INSERT INTO "Order_Stream"
      SELECT STREAM "Oid", "Otype","Oticker", "Oprice", "RecordType"
      FROM   "SOURCE_SQL_STREAM_001"
      WHERE  "RecordType" = 'Order';
--********************************************
--Create Trade_Stream.
CREATE OR REPLACE STREAM "Trade_Stream"
           ("trade_id"     integer,
            "order_id"     integer,
            "trade_price"  DOUBLE,
            "ticker"       varchar(4),
            "record_type"  varchar(10)
            );

CREATE OR REPLACE PUMP "Trade_Pump" AS
   INSERT INTO "Trade_Stream"
      SELECT STREAM "Tid", "Toid", "Tprice", "Tticker", "RecordType"
      FROM   "SOURCE_SQL_STREAM_001"
      WHERE  "RecordType" = 'Trade';
--*****************************************************************
--do some analytics on the Trade_Stream and Order_Stream.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
            "ticker"  varchar(4),
            "trade_count"   integer
            );

CREATE OR REPLACE PUMP "Output_Pump" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM "ticker", count(*) as trade_count
      FROM   "Trade_Stream"
      GROUP BY "ticker",
                FLOOR("Trade_Stream".ROWTIME TO MINUTE);`, schema)
	rng := rand.New(rand.NewPCG(3, 3))
	null := func(k sqltypes.Kind) sqltypes.Value { return sqltypes.NullOf(k) }
	tickers := []string{"AAAA", "BBBB", "CCCC"}
	type key struct {
		minute int64
		ticker string
	}
	counts := map[key]int{}
	var order []key
	var ins []in
	orders := 0
	at := ts("10:00:00")
	for i := range 400 {
		at += int64(rng.IntN(1000))
		tk := tickers[rng.IntN(3)]
		if rng.IntN(2) == 0 {
			orders++
			ins = append(ins, in{src, at, []sqltypes.Value{str("Order"), integer(int64(i)), str(tk), dbl(float64(i)), str("Sell"),
				null(sqltypes.Integer), null(sqltypes.Integer), null(sqltypes.Varchar), null(sqltypes.Double)}})
			continue
		}
		ins = append(ins, in{src, at, []sqltypes.Value{str("Trade"), null(sqltypes.Integer), null(sqltypes.Varchar), null(sqltypes.Double), null(sqltypes.Varchar),
			integer(int64(i)), integer(int64(i - 1)), str(tk), dbl(float64(i))}})
		k := key{at / 60000 * 60000, tk}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	out := runChecked(t, p, ins, at+120000)
	var want []string
	for _, k := range order {
		want = append(want, fmt.Sprintf("%s | %s | %d", ttext(k.minute+60000), k.ticker, counts[k]))
	}
	sameRows(t, "trade counts", rowsOf(out, "DESTINATION_SQL_STREAM"), want)
	if got := len(rowsOf(out, "Order_Stream")); got != orders {
		t.Fatalf("Order_Stream has %d rows, want %d", got, orders)
	}
}

// tumblingRef computes MIN/MAX price per ticker per 60-s window (keyed
// also by extra, when set), in first-seen order per window.
func tumblingRef(rows []demoRow, extra func(demoRow) string) []string {
	type agg struct {
		end      int64
		ticker   string
		ex       string
		min, max float64
	}
	var order []*agg
	idx := map[string]*agg{}
	for _, r := range rows {
		end := r.at/60000*60000 + 60000
		ex := ""
		if extra != nil {
			ex = extra(r)
		}
		k := fmt.Sprint(end, r.ticker, ex)
		a := idx[k]
		if a == nil {
			a = &agg{end: end, ticker: r.ticker, ex: ex, min: r.price, max: r.price}
			idx[k] = a
			order = append(order, a)
		}
		a.min, a.max = min(a.min, r.price), max(a.max, r.price)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].end < order[j].end })
	var out []string
	for _, a := range order {
		parts := []string{ttext(a.end)}
		if extra != nil {
			parts = append(parts, a.ex)
		}
		parts = append(parts, a.ticker, ftext(a.min), ftext(a.max))
		out = append(out, strings.Join(parts, " | "))
	}
	return out
}

func TestExampleTumblingRowtime(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("TICKER", "VARCHAR(4)"), col("PRICE", "REAL")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (TICKER VARCHAR(4), MIN_PRICE REAL, MAX_PRICE REAL);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM TICKER, MIN(PRICE), MAX(PRICE)
        FROM "SOURCE_SQL_STREAM_001"
        GROUP BY TICKER,
            STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);`, schema)
	rows, _ := demoRows(4, 1000, ts("10:00:00"))
	var ins []in
	for _, r := range rows {
		ins = append(ins, in{src, r.at, []sqltypes.Value{str(r.ticker), real(r.price)}})
	}
	last := rows[len(rows)-1].at
	// before the last window's end nothing of it is out
	partial := run(t, p, ins, last, 0, false)
	full := runChecked(t, p, ins, last/60000*60000+60000)
	want := tumblingRef(rows, nil)
	sameRows(t, "tumbling", rowsOf(full, "DESTINATION_SQL_STREAM"), want)
	lastEnd := ttext(last/60000*60000 + 60000)
	for _, r := range rowsOf(partial, "DESTINATION_SQL_STREAM") {
		if strings.HasPrefix(r, lastEnd) {
			t.Fatalf("window ending %s emitted before its end: %s", lastEnd, r)
		}
	}
	if len(rowsOf(partial, "DESTINATION_SQL_STREAM")) == len(want) {
		t.Fatal("the last window came out before the watermark passed it")
	}
}

func TestExampleTumblingEventTime(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("EVENT_TIME", "TIMESTAMP"), col("TICKER", "VARCHAR(4)"), col("PRICE", "REAL")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (EVENT_TIME timestamp, TICKER VARCHAR(4), min_price REAL, max_price REAL);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
  INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM STEP("SOURCE_SQL_STREAM_001".EVENT_TIME BY INTERVAL '60' SECOND),
        TICKER,
         MIN(PRICE) AS MIN_PRICE,
         MAX(PRICE) AS MAX_PRICE
    FROM    "SOURCE_SQL_STREAM_001"
    GROUP BY TICKER,
             STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND),
             STEP("SOURCE_SQL_STREAM_001".EVENT_TIME BY INTERVAL '60' SECOND);`, schema)
	rows, _ := demoRows(5, 800, ts("10:00:00"))
	rng := rand.New(rand.NewPCG(5, 5))
	var ins []in
	event := map[demoRow]int64{}
	for _, r := range rows {
		ev := r.at - int64(rng.IntN(90000)) // late by up to 90 s
		event[r] = ev
		ins = append(ins, in{src, r.at, []sqltypes.Value{sqltypes.TimestampMs(ev), str(r.ticker), real(r.price)}})
	}
	out := runChecked(t, p, ins, rows[len(rows)-1].at+60000)
	want := tumblingRef(rows, func(r demoRow) string { return ttext(event[r] / 60000 * 60000) })
	// the engine's columns are EVENT_TIME, TICKER, MIN, MAX: reorder the
	// reference (ROWTIME | event | ticker | min | max) accordingly: same
	sameRows(t, "tumbling by event time", rowsOf(out, "DESTINATION_SQL_STREAM"), want)
}

func TestExampleStagger(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("EVENT_TIME", "TIMESTAMP"), col("TICKER", "VARCHAR(4)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    event_time TIMESTAMP,
    ticker_symbol    VARCHAR(4),
    ticker_count     INTEGER);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
  INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM
        EVENT_TIME,
        TICKER,
        COUNT(TICKER) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    WINDOWED BY STAGGER (
            PARTITION BY TICKER, EVENT_TIME RANGE INTERVAL '1' MINUTE);`, schema)
	var ins []in
	amznEv, intcEv := ts("2018-08-01 20:17:20.797"), ts("2018-08-01 20:18:21.043")
	for _, at := range []string{"20:17:30", "20:17:40", "20:17:50", "20:18:00", "20:18:10", "20:18:21"} {
		ins = append(ins, in{src, ts(at), []sqltypes.Value{sqltypes.TimestampMs(amznEv), str("AMZN")}})
	}
	for _, at := range []string{"20:18:31", "20:18:41", "20:18:51", "20:19:01", "20:19:11", "20:19:21"} {
		ins = append(ins, in{src, ts(at), []sqltypes.Value{sqltypes.TimestampMs(intcEv), str("INTC")}})
	}
	out := runChecked(t, p, ins, ts("20:21:00"))
	sameRows(t, "stagger", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{
		ttext(ts("20:18:30")) + " | " + ttext(amznEv) + " | AMZN | 6",
		ttext(ts("20:19:31")) + " | " + ttext(intcEv) + " | INTC | 6",
	})
}

// The stagger-window concept page's vectors, and the tumbling-window
// equivalent it contrasts them with.
func TestStaggerConceptVectors(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("EVENT_TIME", "TIMESTAMP"), col("TICKER", "VARCHAR(4)")}}}
	stagger := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    event_time TIMESTAMP, ticker VARCHAR(4), ticker_count INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM FLOOR(EVENT_TIME TO MINUTE), TICKER, COUNT(TICKER) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    WINDOWED BY STAGGER (PARTITION BY FLOOR(EVENT_TIME TO MINUTE), TICKER RANGE INTERVAL '1' MINUTE);`, schema)
	tumbling := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    event_time TIMESTAMP, ticker VARCHAR(4), ticker_count INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM FLOOR(EVENT_TIME TO MINUTE), TICKER, COUNT(TICKER) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE), FLOOR(EVENT_TIME TO MINUTE), TICKER;`, schema)
	var ins []in
	for _, v := range [][2]string{{"11:00:20", "11:00:10"}, {"11:00:30", "11:00:20"}, {"11:01:05", "11:00:55"}, {"11:01:15", "11:01:05"}} {
		ins = append(ins, in{src, ts(v[0]), []sqltypes.Value{tsv(v[1]), str("AMZN")}})
	}
	out := runChecked(t, stagger, ins, ts("11:05:00"))
	sameRows(t, "stagger", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{
		ttext(ts("11:01:20")) + " | " + ttext(ts("11:00:00")) + " | AMZN | 3",
		ttext(ts("11:02:15")) + " | " + ttext(ts("11:01:00")) + " | AMZN | 1",
	})
	out = runChecked(t, tumbling, ins, ts("11:05:00"))
	sameRows(t, "tumbling", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{
		ttext(ts("11:01:00")) + " | " + ttext(ts("11:00:00")) + " | AMZN | 2",
		ttext(ts("11:02:00")) + " | " + ttext(ts("11:00:00")) + " | AMZN | 1",
		ttext(ts("11:02:00")) + " | " + ttext(ts("11:01:00")) + " | AMZN | 1",
	})
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestExamplePartialResults(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("TICKER_SYMBOL", "VARCHAR(4)"), col("APPROXIMATE_ARRIVAL_TIME", "TIMESTAMP")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "CALC_COUNT_SQL_STREAM"
    (TICKER      VARCHAR(4),
    TRADETIME   TIMESTAMP,
    TICKERCOUNT       DOUBLE);

CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM"
    (TICKER      VARCHAR(4),
    TRADETIME   TIMESTAMP,
    TICKERCOUNT       DOUBLE);

CREATE PUMP "CALC_COUNT_SQL_PUMP_001" AS
    INSERT INTO "CALC_COUNT_SQL_STREAM" ("TICKER","TRADETIME", "TICKERCOUNT")
    SELECT STREAM
        "TICKER_SYMBOL",
        STEP("SOURCE_SQL_STREAM_001"."ROWTIME" BY INTERVAL '1' MINUTE) as "TradeTime",
        COUNT(*) AS "TickerCount"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY
        STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE),
        STEP("SOURCE_SQL_STREAM_001"."APPROXIMATE_ARRIVAL_TIME" BY INTERVAL '1' MINUTE),
        TICKER_SYMBOL;

CREATE PUMP "AGGREGATED_SQL_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM" ("TICKER","TRADETIME", "TICKERCOUNT")
    SELECT STREAM
        "TICKER",
        "TRADETIME",
        SUM("TICKERCOUNT") OVER W1 AS "TICKERCOUNT"
    FROM "CALC_COUNT_SQL_STREAM"
    WINDOW W1 AS (PARTITION BY "TRADETIME" RANGE INTERVAL '10' MINUTE PRECEDING);`, schema)
	rng := rand.New(rand.NewPCG(6, 6))
	type key struct {
		minute, arrival int64
		ticker          string
	}
	counts := map[key]int{}
	var order []key
	var ins []in
	at := ts("10:00:00")
	for range 600 {
		at += int64(rng.IntN(1000))
		arr := at - int64(rng.IntN(5000))
		tk := []string{"AMZN", "TGT", "MSFT"}[rng.IntN(3)]
		ins = append(ins, in{src, at, []sqltypes.Value{str(tk), sqltypes.TimestampMs(arr)}})
		k := key{at / 60000 * 60000, arr / 60000 * 60000, tk}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	out := runChecked(t, p, ins, at+60000)
	var partial, merged []string
	sums := map[int64]float64{}
	for _, k := range order { // first-seen order within a window is emission order
		end := ttext(k.minute + 60000)
		partial = append(partial, fmt.Sprintf("%s | %s | %s | %s", end, k.ticker, ttext(k.minute), ftext(float64(counts[k]))))
		sums[k.minute] += float64(counts[k])
		merged = append(merged, fmt.Sprintf("%s | %s | %s | %s", end, k.ticker, ttext(k.minute), ftext(sums[k.minute])))
	}
	sameRows(t, "partial counts", rowsOf(out, "CALC_COUNT_SQL_STREAM"), partial)
	sameRows(t, "merged counts", rowsOf(out, "DESTINATION_SQL_STREAM"), merged)
}

func TestExampleTopK(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("TICKER", "VARCHAR(4)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM DESTINATION_SQL_STREAM (
  "TICKER" VARCHAR(4),
  "MOST_FREQUENT_VALUES" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM *
        FROM TABLE (TOP_K_ITEMS_TUMBLING(
            CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"),
            'TICKER',         -- name of column in single quotes
            5,                       -- number of the most frequently occurring values
            60                       -- tumbling window size in seconds
            )
        );`, schema)
	rng := rand.New(rand.NewPCG(8, 8))
	tickers := []string{"TBV", "INTC", "MSFT", "AMZN", "NFLX", "TGT", "QXO"}
	weights := []int{1, 2, 3, 5, 8, 13, 21}
	var ins []in
	type win struct {
		counts map[string]int
		first  []string
	}
	wins := map[int64]*win{}
	var starts []int64
	at := ts("10:00:00")
	for range 1500 {
		at += int64(rng.IntN(300))
		x := rng.IntN(53)
		i := 0
		for x >= weights[i] {
			x -= weights[i]
			i++
		}
		tk := tickers[i]
		ins = append(ins, in{src, at, []sqltypes.Value{str(tk)}})
		s := at / 60000 * 60000
		w := wins[s]
		if w == nil {
			w = &win{counts: map[string]int{}}
			wins[s] = w
			starts = append(starts, s)
		}
		if w.counts[tk] == 0 {
			w.first = append(w.first, tk)
		}
		w.counts[tk]++
	}
	out := runChecked(t, p, ins, at+60000)
	var want []string
	for _, s := range starts {
		w := wins[s]
		items := append([]string(nil), w.first...)
		sort.SliceStable(items, func(i, j int) bool { return w.counts[items[i]] > w.counts[items[j]] })
		for _, tk := range items[:min(5, len(items))] {
			want = append(want, fmt.Sprintf("%s | %s | %d", ttext(s+60000), tk, w.counts[tk]))
		}
	}
	sameRows(t, "top k", rowsOf(out, "DESTINATION_SQL_STREAM"), want)
}

func TestExampleSlidingWindows(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("TICKER_SYMBOL", "VARCHAR(4)"), col("PRICE", "REAL")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
                         ticker_symbol VARCHAR(10),
                         Min_Price     double,
                         Max_Price     double,
                         Avg_Price     double);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
     SELECT STREAM ticker_symbol,
                   MIN(Price) OVER W1 AS Min_Price,
                   MAX(Price) OVER W1 AS Max_Price,
                   AVG(Price) OVER W1 AS Avg_Price
     FROM   "SOURCE_SQL_STREAM_001"
     WINDOW W1 AS (
        PARTITION BY ticker_symbol
        RANGE INTERVAL '1' MINUTE PRECEDING);
CREATE OR REPLACE STREAM "ROWS_STREAM" (
                           ticker_symbol      VARCHAR(12),
                           price              double,
                           average_last2rows  double,
                           average_last10rows double);
CREATE OR REPLACE PUMP "myPump" AS INSERT INTO "ROWS_STREAM"
SELECT STREAM ticker_symbol,
              price,
              avg(price) over last2rows,
              avg(price) over last10rows
FROM SOURCE_SQL_STREAM_001
WINDOW
    last2rows AS (PARTITION BY ticker_symbol ROWS 2 PRECEDING),
    last10rows AS (PARTITION BY ticker_symbol ROWS 10 PRECEDING);`, schema)
	rows, _ := demoRows(9, 700, ts("10:00:00"))
	var ins []in
	for _, r := range rows {
		ins = append(ins, in{src, r.at, []sqltypes.Value{str(r.ticker), real(r.price)}})
	}
	out := runChecked(t, p, ins, rows[len(rows)-1].at+60000)
	var wantRange, wantRows []string
	for i, r := range rows {
		var win []float64 // same ticker, less than a minute old, arrived up to now
		var same []float64
		for _, o := range rows[:i+1] {
			if o.ticker != r.ticker {
				continue
			}
			same = append(same, o.price)
			if o.at > r.at-60000 {
				win = append(win, o.price)
			}
		}
		mn, mx, sum := win[0], win[0], 0.0
		for _, v := range win {
			mn, mx, sum = min(mn, v), max(mx, v), sum+v
		}
		wantRange = append(wantRange, strings.Join([]string{ttext(r.at), r.ticker, ftext(mn), ftext(mx), ftext(sum / float64(len(win)))}, " | "))
		avgLast := func(n int) float64 {
			s := same[max(0, len(same)-n):]
			t := 0.0
			for _, v := range s {
				t += v
			}
			return t / float64(len(s))
		}
		wantRows = append(wantRows, strings.Join([]string{ttext(r.at), r.ticker, ftext(r.price), ftext(avgLast(3)), ftext(avgLast(11))}, " | "))
	}
	sameRows(t, "range window", rowsOf(out, "DESTINATION_SQL_STREAM"), wantRange)
	sameRows(t, "rows windows", rowsOf(out, "ROWS_STREAM"), wantRows)
}

// Daily weather aggregates: integer SUM and AVG stay integers, and the
// last day waits for a later row or bound.
func TestWeatherAggregate(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("CITY", "VARCHAR(16)"), col("TEMP", "INTEGER")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DAILY" (day_start TIMESTAMP, min_temp INTEGER, max_temp INTEGER);
CREATE OR REPLACE STREAM "PER_CITY" (city VARCHAR(16), sum_temp INTEGER, n INTEGER, avg_temp INTEGER, ratio INTEGER);
CREATE OR REPLACE PUMP "DAILY_PUMP" AS INSERT INTO "DAILY"
  SELECT STREAM FLOOR(s.ROWTIME TO DAY), MIN(TEMP), MAX(TEMP)
  FROM "SOURCE_SQL_STREAM_001" AS s
  GROUP BY FLOOR(s.ROWTIME TO DAY);
CREATE OR REPLACE PUMP "CITY_PUMP" AS INSERT INTO "PER_CITY"
  SELECT STREAM CITY, SUM(TEMP), COUNT(*), AVG(TEMP), SUM(TEMP) / COUNT(*)
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY CITY, FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO DAY)
  HAVING COUNT(*) > 1;`, schema)
	day := ts("2018-11-01 00:00:00")
	readings := [][]any{
		{0, "Denver", 29}, {0, "Anchorage", 2}, {0, "Miami", 71}, {0, "Denver", 32}, {0, "Anchorage", 9}, {0, "Denver", 41},
		{0, "Denver", 52}, {1, "Denver", 15}, {1, "Miami", 56}, {1, "Anchorage", 2}, {1, "Denver", 36}, {1, "Miami", 53},
		{2, "Denver", 33}, {2, "Anchorage", 8}, {2, "Miami", 68}, {2, "Denver", 37}, {2, "Anchorage", 3}, {2, "Miami", 70},
	}
	var ins []in
	for i, r := range readings {
		at := day + int64(r[0].(int))*86400000 + int64(i)*3600000
		ins = append(ins, in{src, at, []sqltypes.Value{str(r[1].(string)), integer(int64(r[2].(int)))}})
	}
	lastDay := day + 2*86400000
	partial := run(t, p, ins, lastDay+3600000*20, 0, false)
	sameRows(t, "days 1 and 2 only", rowsOf(partial, "DAILY"), []string{
		ttext(day+86400000) + " | " + ttext(day) + " | 2 | 71",
		ttext(day+2*86400000) + " | " + ttext(day+86400000) + " | 2 | 56",
	})
	out := runChecked(t, p, ins, lastDay+86400000)
	sameRows(t, "all days", rowsOf(out, "DAILY"), []string{
		ttext(day+86400000) + " | " + ttext(day) + " | 2 | 71",
		ttext(day+2*86400000) + " | " + ttext(day+86400000) + " | 2 | 56",
		ttext(day+3*86400000) + " | " + ttext(day+2*86400000) + " | 3 | 70",
	})
	// Denver day 1: 29+32+41+52 = 154 over 4 = 38 (integer division)
	got := rowsOf(out, "PER_CITY")
	if len(got) == 0 || got[0] != ttext(day+86400000)+" | Denver | 154 | 4 | 38 | 38" {
		t.Fatalf("per-city rows: %v", got)
	}
	for _, r := range got {
		if strings.Contains(r, "Miami | 71") {
			t.Fatalf("HAVING COUNT(*) > 1 let a single reading through: %s", r)
		}
	}
}

func TestExampleThrottledAlerts(t *testing.T) {
	p := mustCompile(t, `CREATE OR REPLACE STREAM "CHANGE_STREAM"
           (ticker_symbol VARCHAR(4),
            sector        VARCHAR(12),
            change        DOUBLE,
            price         DOUBLE);
CREATE OR REPLACE PUMP "change_pump" AS
   INSERT INTO "CHANGE_STREAM"
      SELECT STREAM ticker_symbol, sector, change, price
      FROM   "SOURCE_SQL_STREAM_001"
      WHERE  (ABS(Change / (Price - Change)) * 100) > 1;
-- ** Trigger Count and Limit **
CREATE OR REPLACE STREAM TRIGGER_COUNT_STREAM (
   ticker_symbol VARCHAR(4),
   change REAL,
   trigger_count INTEGER);
CREATE OR REPLACE PUMP trigger_count_pump AS INSERT INTO TRIGGER_COUNT_STREAM
SELECT STREAM ticker_symbol, change, trigger_count
FROM (
    SELECT STREAM ticker_symbol, change, COUNT(*) OVER W1 as trigger_count
    FROM "CHANGE_STREAM"
    --window to perform aggregations over last minute to keep track of triggers
    WINDOW W1 AS (PARTITION BY ticker_symbol RANGE INTERVAL '1' MINUTE PRECEDING)
)
WHERE trigger_count >= 1;`, demoSchema)
	all, _ := demoRows(19, 400, ts("10:00:00"))
	var ins []in
	var want []string
	var alerts []demoRow
	for _, r := range all {
		d := r.price - r.change
		if d == 0 || abs(abs(r.change/d)*100-1) < 0.001 {
			continue
		}
		ins = append(ins, in{src, r.at, []sqltypes.Value{str(r.ticker), str(r.sect), real(r.change), real(r.price)}})
		if abs(r.change/d)*100 <= 1 {
			continue
		}
		n := 1
		for _, a := range alerts {
			if a.ticker == r.ticker && a.at > r.at-60000 {
				n++
			}
		}
		alerts = append(alerts, r)
		want = append(want, fmt.Sprintf("%s | %s | %s | %d", ttext(r.at), r.ticker, ftext(r.change), n))
	}
	out := runChecked(t, p, ins, ts("11:00:00"))
	// the guide's filter (>= 1) keeps every alert; the counts are the
	// per-ticker alerts of the last minute
	sameRows(t, "throttled", rowsOf(out, "TRIGGER_COUNT_STREAM"), want)
}

func TestExampleInputParallelism(t *testing.T) {
	two := []StreamSchema{
		{Name: "SOURCE_SQL_STREAM_001", Columns: demoSchema[0].Columns},
		{Name: "SOURCE_SQL_STREAM_002", Columns: demoSchema[0].Columns},
	}
	p := mustCompile(t, `CREATE OR REPLACE STREAM in_application_stream_001 (
    ticker VARCHAR(64),
    ticker_count INTEGER
);

CREATE OR REPLACE PUMP pump001 AS
INSERT INTO in_application_stream_001
SELECT STREAM ticker_symbol, COUNT(ticker_symbol)
FROM source_sql_stream_001
GROUP BY STEP(source_sql_stream_001.rowtime BY INTERVAL '60' SECOND),
    ticker_symbol;

CREATE OR REPLACE PUMP pump002 AS
INSERT INTO in_application_stream_001
SELECT STREAM ticker_symbol, COUNT(ticker_symbol)
FROM source_sql_stream_002
GROUP BY STEP(source_sql_stream_002.rowtime BY INTERVAL '60' SECOND),
    ticker_symbol;`, two)
	rows, ins := demoRows(20, 600, ts("10:00:00"))
	counts := map[string]int{}
	for i := range ins {
		if i%3 == 0 {
			ins[i].stream = "SOURCE_SQL_STREAM_002"
		}
		counts[fmt.Sprint(rows[i].at/60000, rows[i].ticker)]++
	}
	out := runChecked(t, p, ins, ts("11:00:00"))
	got := map[string]int{}
	for _, r := range pick(out, "IN_APPLICATION_STREAM_001") {
		got[fmt.Sprint(r.Rowtime/60000-1, r.Values[0].S)] += int(r.Values[1].I)
	}
	if fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Fatalf("merged per-minute counts\n got %v\nwant %v", got, counts)
	}
}
