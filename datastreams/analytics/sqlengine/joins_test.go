package sqlengine

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

var joinSchema = []StreamSchema{
	{Name: "ORDERS", Columns: []sqltypes.Column{col("orderid", "INTEGER")}},
	{Name: "SHIPMENTS", Columns: []sqltypes.Column{col("orderid", "INTEGER")}},
}

// The join clause's walk-through: orders 101-104 and a late 100, shipments
// 100, 104 and 105, merged in ROWTIME order (orders first at equal times).
func joinFeed() []in {
	o := func(at string, id int64) in { return in{"ORDERS", ts(at), []sqltypes.Value{integer(id)}} }
	s := func(at string, id int64) in { return in{"SHIPMENTS", ts(at), []sqltypes.Value{integer(id)}} }
	return []in{o("10:00:00", 101), s("10:00:00", 100), o("10:00:20", 102), o("10:00:30", 103), o("10:00:40", 104),
		o("10:00:45", 100), s("10:00:45", 104), s("10:00:50", 105)}
}

func joinCode(from string) string {
	return `CREATE OR REPLACE STREAM "OUT" ("order_id" INTEGER, "shipment_id" INTEGER);
CREATE OR REPLACE PUMP "JOIN_PUMP" AS INSERT INTO "OUT"
  SELECT STREAM o."orderid", s."orderid"
  FROM ` + from + `;`
}

func TestStreamJoins(t *testing.T) {
	cases := []struct {
		name, from string
		want       []string
	}{
		{"window on orders", `"ORDERS" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS o
    JOIN "SHIPMENTS" AS s ON o."orderid" = s."orderid"`,
			[]string{ttext(ts("10:00:45")) + " | 104 | 104"}},
		{"windows on both", `"ORDERS" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS o
    JOIN "SHIPMENTS" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS s ON o."orderid" = s."orderid"`,
			[]string{ttext(ts("10:00:45")) + " | 100 | 100", ttext(ts("10:00:45")) + " | 104 | 104"}},
		{"left join", `"ORDERS" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS o
    LEFT JOIN "SHIPMENTS" AS s ON o."orderid" = s."orderid"`,
			[]string{ttext(ts("10:00:45")) + " | 104 | 104", ttext(ts("10:01:00")) + " | 101 | NULL", ttext(ts("10:01:20")) + " | 102 | NULL",
				ttext(ts("10:01:30")) + " | 103 | NULL", ttext(ts("10:01:45")) + " | 100 | NULL"}},
		{"rows window, right join", `"ORDERS" OVER (ROWS 1 PRECEDING) AS o
    RIGHT JOIN "SHIPMENTS" AS s ON o."orderid" = s."orderid"`,
			[]string{ttext(ts("10:00:00")) + " | NULL | 100", ttext(ts("10:00:45")) + " | 104 | 104", ttext(ts("10:00:50")) + " | NULL | 105"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustCompile(t, joinCode(c.from), joinSchema)
			out := runChecked(t, p, joinFeed(), ts("10:05:00"))
			sameRows(t, c.name, rowsOf(out, "OUT"), c.want)
		})
	}
}

// A larger random join checked against a nested-loop reference.
func TestStreamJoinRandom(t *testing.T) {
	p := mustCompile(t, joinCode(`"ORDERS" OVER (RANGE INTERVAL '30' SECOND PRECEDING) AS o
    JOIN "SHIPMENTS" OVER (RANGE INTERVAL '10' SECOND PRECEDING) AS s ON o."orderid" = s."orderid"`), joinSchema)
	rng := rand.New(rand.NewPCG(11, 11))
	var feed []in
	at := ts("10:00:00")
	for range 400 {
		at += int64(rng.IntN(2000))
		stream := []string{"ORDERS", "SHIPMENTS"}[rng.IntN(2)]
		feed = append(feed, in{stream, at, []sqltypes.Value{integer(int64(rng.IntN(20)))}})
	}
	out := runChecked(t, p, feed, at+60000)
	var want []string
	for i, x := range feed {
		for _, y := range feed[:i] {
			if y.stream == x.stream || y.vals[0].I != x.vals[0].I {
				continue
			}
			rangeOf := map[string]int64{"ORDERS": 30000, "SHIPMENTS": 10000}[y.stream]
			if y.at <= x.at-rangeOf {
				continue
			}
			o, s := x, y
			if x.stream == "SHIPMENTS" {
				o, s = y, x
			}
			want = append(want, strings.Join([]string{ttext(x.at), o.vals[0].String(), s.vals[0].String()}, " | "))
		}
	}
	sameRows(t, "random join", rowsOf(out, "OUT"), want)
}

func TestReferenceJoin(t *testing.T) {
	table := Table{Name: "CompanyName", Columns: []sqltypes.Column{col("Ticker", "VARCHAR(4)"), col("Company", "VARCHAR(20)")},
		Rows: [][]sqltypes.Value{{str("AMZN"), str("Amazon")}, {str("XYZ"), str("SomeCompany")}, {str("ABC"), str("SomeCompany2")}, {str("INTC"), str("Intel")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";`, demoSchema, table)
	rows, ins := demoRows(12, 200, ts("10:00:00"))
	names := map[string]string{"AMZN": "Amazon", "INTC": "Intel"}
	out := runChecked(t, p, ins, ts("11:00:00"))
	var want []string
	for _, r := range rows {
		company := "NULL"
		if n, ok := names[r.ticker]; ok {
			company = n
		}
		sect := r.sect
		if len(sect) > 12 {
			sect = sect[:12]
		}
		want = append(want, strings.Join([]string{ttext(r.at), r.ticker, company, sect, ftext(r.change), ftext(r.price)}, " | "))
	}
	sameRows(t, "reference join", rowsOf(out, "DESTINATION_SQL_STREAM"), want)

	// reloaded reference data applies to the rows after it
	r, err := p.NewRunner(nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Push(src, sqltypes.Row{Rowtime: 1, Values: ins[0].vals})
	table.Rows = [][]sqltypes.Value{{ins[0].vals[0], str("Reloaded")}}
	if err := r.SetTable(table); err != nil {
		t.Fatal(err)
	}
	r.Push(src, sqltypes.Row{Rowtime: 2, Values: ins[0].vals})
	got := rowsOf(r.Take(), "DESTINATION_SQL_STREAM")
	if len(got) != 2 || !strings.Contains(got[1], "| Reloaded |") {
		t.Fatalf("after SetTable: %v", got)
	}
}
