package sqlengine

import (
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The log-parsing examples: row-valued results read through a
// sub-query's alias (T.REC.COLUMN1, l.r.COLUMN1, t.r."COL_1").

func TestExampleW3CLogParse(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("log", "VARCHAR(256)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
column1 VARCHAR(16),
column2 VARCHAR(16),
column3 VARCHAR(16),
column4 VARCHAR(16),
column5 VARCHAR(16),
column6 VARCHAR(16),
column7 VARCHAR(16));

CREATE OR REPLACE PUMP "myPUMP" AS
INSERT INTO "DESTINATION_SQL_STREAM"
        SELECT STREAM
            l.r.COLUMN1,
            l.r.COLUMN2,
            l.r.COLUMN3,
            l.r.COLUMN4,
            l.r.COLUMN5,
            l.r.COLUMN6,
            l.r.COLUMN7
        FROM (SELECT STREAM W3C_LOG_PARSE("log", 'COMMON')
              FROM "SOURCE_SQL_STREAM_001") AS l(r);`, schema)
	line := `192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /icons/apache_pb.gif HTTP/1.1" 304 0`
	out := runChecked(t, p, []in{{src, 1000, []sqltypes.Value{str(line)}}}, 2000)
	// VARCHAR(16) truncates the bracketed time and the request line
	sameRows(t, "w3c", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{
		ttext(1000) + " | 192.168.254.30 | - | John | [24/May/2004:22: | GET /icons/apach | 304 | 0"})
}

func TestExampleRegexLogParse(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("LOGENTRY", "VARCHAR(512)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (logentry VARCHAR(24), match1 VARCHAR(24), match2 VARCHAR(24));

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM T.LOGENTRY, T.REC.COLUMN1, T.REC.COLUMN2
    FROM
         (SELECT STREAM LOGENTRY,
             REGEX_LOG_PARSE(LOGENTRY, '(\w.+) (\d.+) (\w.+) (\w.+)') AS REC
             FROM SOURCE_SQL_STREAM_001) AS T;`, schema)
	line := `203.0.113.24 - - [25/Mar/2018:15:25:37 -0700] "GET /index.php HTTP/1.1" 200 125 "-" "Mozilla/5.0 [en] Gecko/20100101 Firefox/52.0"`
	out := runChecked(t, p, []in{{src, 1000, []sqltypes.Value{str(line)}}}, 2000)
	got := rowsOf(out, "DESTINATION_SQL_STREAM")
	if len(got) != 1 {
		t.Fatalf("rows: %v (errors: %v)", got, rowsOf(out, ErrorStream))
	}
	parts := strings.Split(got[0], " | ")
	if parts[1] != line[:24] || !strings.HasPrefix(parts[2], "203.0.113.24 - - [25/Mar") || !strings.HasPrefix(parts[3], "125 ") {
		t.Fatalf("row %q", got[0])
	}
}

func TestExampleVariableColumnLogParse(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{
		col("Col_A", "VARCHAR(16)"), col("Col_B", "VARCHAR(16)"), col("Col_C", "VARCHAR(16)"), col("Col_E_Unstructured", "VARCHAR(64)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM"(
            "column_A" VARCHAR(16),
            "column_B" VARCHAR(16),
            "column_C" VARCHAR(16),
            "COL_1" VARCHAR(16),
            "COL_2" VARCHAR(16),
            "COL_3" VARCHAR(16));

CREATE OR REPLACE PUMP "SECOND_STREAM_PUMP" AS
INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM  t."Col_A", t."Col_B", t."Col_C",
                  t.r."COL_1", t.r."COL_2", t.r."COL_3"
   FROM (SELECT STREAM
           "Col_A", "Col_B", "Col_C",
           VARIABLE_COLUMN_LOG_PARSE ("Col_E_Unstructured",
                                     'COL_1 TYPE VARCHAR(16), COL_2 TYPE VARCHAR(16), COL_3 TYPE VARCHAR(16)',
                                     ',') AS r
         FROM "SOURCE_SQL_STREAM_001") as t;`, schema)
	out := runChecked(t, p, []in{{src, 1000, []sqltypes.Value{str("a"), str("b"), str("c"), str("x,y,z")}}}, 2000)
	sameRows(t, "variable columns", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{ttext(1000) + " | a | b | c | x | y | z"})
}

func TestExampleDateTime(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("EVENT_TIME", "TIMESTAMP"), col("TICKER", "VARCHAR(4)"), col("PRICE", "REAL")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    TICKER VARCHAR(4),
    event_time TIMESTAMP,
    five_minutes_before TIMESTAMP,
    event_unix_timestamp BIGINT,
    event_timestamp_as_char VARCHAR(50),
    event_second INTEGER);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"

SELECT STREAM
    TICKER,
    EVENT_TIME,
    EVENT_TIME - INTERVAL '5' MINUTE,
    UNIX_TIMESTAMP(EVENT_TIME),
    TIMESTAMP_TO_CHAR('yyyy-MM-dd hh:mm:ss', EVENT_TIME),
    EXTRACT(SECOND FROM EVENT_TIME)
FROM "SOURCE_SQL_STREAM_001"`, schema)
	ev := ts("2018-05-09 18:50:41.000")
	out := runChecked(t, p, []in{{src, 1000, []sqltypes.Value{sqltypes.TimestampMs(ev), str("AMZN"), real(84.5)}}}, 2000)
	sameRows(t, "datetime", rowsOf(out, "DESTINATION_SQL_STREAM"), []string{strings.Join([]string{ttext(1000), "AMZN", ttext(ev),
		ttext(ev - 300000), "1525891841000", "2018-05-09 06:50:41", "41"}, " | ")})
}
