package sqlengine

import (
	"fmt"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func benchRows(n, keys int) []sqltypes.Row {
	rows := make([]sqltypes.Row, n)
	sectors := []string{"TECHNOLOGY", "RETAIL", "HEALTHCARE", "ENERGY"}
	for i := range rows {
		rows[i] = sqltypes.Row{Rowtime: int64(i), ID: inputID(i), Values: []sqltypes.Value{
			str(fmt.Sprintf("K%04d", i%keys)), str(sectors[i%4]), real(float64(i%40) / 4), real(float64(40+i%400) / 4)}}
	}
	return rows
}

func benchRun(b *testing.B, code string, rows []sqltypes.Row, perMs int64) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{
		col("TICKER_SYMBOL", "VARCHAR(8)"), col("SECTOR", "VARCHAR(16)"), col("CHANGE", "REAL"), col("PRICE", "REAL")}}}
	p := mustCompile(b, code, schema)
	r, err := p.NewRunner(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t := int64(0)
	for i := 0; i < b.N; i++ {
		row := rows[i%len(rows)]
		row.Rowtime = t / perMs
		t++
		r.Push(src, row)
		if i%1024 == 0 {
			r.Take()
		}
	}
	r.Advance(t/perMs + 3600000)
	r.Take()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFilterProject: the getting-started pump (a SIMILAR TO filter
// and a projection with CAST on insert).
func BenchmarkFilterProject(b *testing.B) {
	benchRun(b, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (symbol VARCHAR(4), sector VARCHAR(12), CHANGE DOUBLE, price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, sector, CHANGE, price FROM "SOURCE_SQL_STREAM_001"
  WHERE sector SIMILAR TO '%TECH%' OR price > 20;`, benchRows(4096, 100), 100)
}

// BenchmarkTumbling10kKeys: COUNT/MIN/MAX/AVG per key over 10,000
// distinct keys in 10-s tumbling windows (100 rows a ms).
func BenchmarkTumbling10kKeys(b *testing.B) {
	benchRun(b, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(8), n BIGINT, lo REAL, hi REAL, av DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, COUNT(*), MIN(price), MAX(price), AVG(price)
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);`, benchRows(40000, 10000), 100)
}
