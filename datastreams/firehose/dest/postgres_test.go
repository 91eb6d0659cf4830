package dest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/dest"
	"github.com/shardcast/shardcast/datastreams/firehose/dest/pgtest"
)

// TestPostgres runs against one real PostgreSQL; each subtest has its own
// table.
func TestPostgres(t *testing.T) {
	srv := pgtest.StartServer(t)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(ctx) })
	exec := func(t *testing.T, sql string) {
		t.Helper()
		if _, err := db.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// query returns rows as text, NULL as <nil>.
	query := func(t *testing.T, sql string) []string {
		t.Helper()
		r, err := db.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			vals, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, v := range vals {
				fields = append(fields, fmt.Sprint(v))
			}
			out = append(out, strings.Join(fields, "|"))
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// rows returns the table's rows, ordered by the first column.
	rows := func(t *testing.T, table string) []string {
		t.Helper()
		return query(t, "SELECT * FROM "+table+" ORDER BY 1")
	}
	newDest := func(t *testing.T, cfg dest.PostgresConfig) *dest.Postgres {
		t.Helper()
		if cfg.ConnString == "" {
			cfg.ConnString = srv.DSN
		}
		d, err := dest.NewPostgres(cfg)
		if err != nil {
			t.Fatalf("NewPostgres: %v", err)
		}
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	deliver := func(t *testing.T, d *dest.Postgres, records ...string) error {
		t.Helper()
		b := delivery.Batch{RequestID: "req-1", StreamName: "s"}
		for i, r := range records {
			b.Records = append(b.Records, delivery.Record{ID: fmt.Sprint(i), Data: []byte(r)})
		}
		return d.Deliver(ctx, b)
	}
	want := func(t *testing.T, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	t.Run("DelimitedDefault", func(t *testing.T) {
		exec(t, "CREATE TABLE delim (id int, name text, note text)")
		d := newDest(t, dest.PostgresConfig{Table: "DELIM", Columns: "id, name, note"})
		// Redshift's default delimiter is '|'; without ESCAPE a backslash
		// is an ordinary character; \N is NULL.
		if err := deliver(t, d, "1|alice|a\\b\n", "2|bob|\\N\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "delim"), `1|alice|a\b`, "2|bob|<nil>")
	})

	t.Run("DelimitedEscapeNull", func(t *testing.T) {
		exec(t, "CREATE TABLE esc (id int, note text)")
		d := newDest(t, dest.PostgresConfig{Table: "esc", CopyOptions: `delimiter '\t' escape null as 'NIL'`})
		if err := deliver(t, d, "1\tx\\\ty\n", "2\tNIL\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "esc"), "1|x\ty", "2|<nil>")

		exec(t, "CREATE TABLE rq (id int, note text)")
		d = newDest(t, dest.PostgresConfig{Table: "rq", CopyOptions: "removequotes"})
		if err := deliver(t, d, "1|\"a|b\nc\"\n", "2|plain\"quote\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "rq"), "1|a|b\nc", "2|plain\"quote")
	})

	t.Run("CSVHeaderQuote", func(t *testing.T) {
		exec(t, "CREATE TABLE csvt (id int, name text, city text)")
		d := newDest(t, dest.PostgresConfig{Table: "public.csvt", Columns: "id,name,city", CopyOptions: "CSV IGNOREHEADER 1"})
		if err := deliver(t, d, "id,name,city\n", "1,\"Smith, J\",Paris\n", "2,,\"\"\n"); err != nil {
			t.Fatal(err)
		}
		// As in Redshift, an empty field in a character column is an empty
		// string (EMPTYASNULL makes it NULL).
		want(t, rows(t, "csvt"), "1|Smith, J|Paris", "2||")

		exec(t, "CREATE TABLE csv2 (id int, name text)")
		d2 := newDest(t, dest.PostgresConfig{Table: "csv2", CopyOptions: "format as csv quote as '%' delimiter ';' null as 'NULL'"})
		if err := deliver(t, d2, "1;%a;b%\n2;NULL\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "csv2"), "1|a;b", "2|<nil>")
	})

	t.Run("TypedOptions", func(t *testing.T) {
		exec(t, "CREATE TABLE typed (id int, code varchar(3), note text, at timestamptz, day date)")
		d := newDest(t, dest.PostgresConfig{Table: "typed",
			CopyOptions: "delimiter ',' EMPTYASNULL BLANKSASNULL TRUNCATECOLUMNS FILLRECORD IGNOREBLANKLINES TIMEFORMAT 'epochsecs' ACCEPTINVCHARS AS '^'"})
		err := deliver(t, d,
			"1,abcdef,,1784052309,1784052309\n",
			"\n",
			",ab, ,1784052309.5\n",
			"3,x\xffy\n")
		if err != nil {
			t.Fatal(err)
		}
		want(t, query(t, "SELECT id, code, note, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), day FROM typed ORDER BY id NULLS LAST"),
			"1|abc|<nil>|2026-07-14 18:05:09.000|2026-07-14 00:00:00 +0000 UTC",
			"3|x^y|<nil>|<nil>|<nil>",
			"<nil>|ab|<nil>|2026-07-14 18:05:09.500|<nil>")

		exec(t, "CREATE TABLE millis (at timestamp)")
		d = newDest(t, dest.PostgresConfig{Table: "millis", CopyOptions: "timeformat 'epochmillisecs'"})
		if err := deliver(t, d, "1784052309123\n"); err != nil {
			t.Fatal(err)
		}
		want(t, query(t, "SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS') FROM millis"), "2026-07-14 18:05:09.123")

		// Without FILLRECORD a short row fails the batch; so does a long one.
		d = newDest(t, dest.PostgresConfig{Table: "millis", CopyOptions: "delimiter ','"})
		wantCode(t, deliver(t, d, "2026-07-14 18:05:09,extra\n"), "Redshift.DataLoadFailed")
		d = newDest(t, dest.PostgresConfig{Table: "typed", Columns: "id,code"})
		wantCode(t, deliver(t, d, "4\n"), "Redshift.DataLoadFailed")
		// Empty fields in non-character columns load as NULL.
		if err := deliver(t, d, "|\n"); err != nil {
			t.Fatal(err)
		}
		want(t, query(t, "SELECT count(*) FROM typed WHERE id IS NULL AND code = ''"), "1")
	})

	t.Run("JSONAuto", func(t *testing.T) {
		exec(t, "CREATE TABLE js (id int, name text, tags text, ok boolean, amount numeric)")
		d := newDest(t, dest.PostgresConfig{Table: "js", CopyOptions: "json 'auto'"})
		err := deliver(t, d,
			`{"id":1,"name":"tab\there\\","tags":["x", {"y":1}],"ok":true,"amount":12.50,"extra":"ignored"}`,
			`{"id":2,"Name":"not matched: keys are case-sensitive","ok":null}`+"\n",
			`{"id":3}`)
		if err != nil {
			t.Fatal(err)
		}
		want(t, query(t, "SELECT id, name, tags, ok, amount::text FROM js ORDER BY 1"),
			"1|tab\there\\|[\"x\",{\"y\":1}]|true|12.50",
			"2|<nil>|<nil>|<nil>|<nil>",
			"3|<nil>|<nil>|<nil>|<nil>")
		// The values land typed: the numeric column holds a number.
		var sum float64
		if err := db.QueryRow(ctx, "SELECT sum(amount)::float8 FROM js").Scan(&sum); err != nil || sum != 12.5 {
			t.Errorf("sum(amount) = %v, %v", sum, err)
		}
	})

	t.Run("JSONIgnoreCaseColumns", func(t *testing.T) {
		exec(t, "CREATE TABLE jsi (id int, name text, other text DEFAULT 'default')")
		d := newDest(t, dest.PostgresConfig{Table: "jsi", Columns: "id,name", CopyOptions: "FORMAT AS JSON 'auto ignorecase'"})
		if err := deliver(t, d, `{"ID":1,"NAME":"upper"}`, `{"id":2,"name":"lower"}`); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "jsi"), "1|upper|default", "2|lower|default")
	})

	t.Run("Gzip", func(t *testing.T) {
		exec(t, "CREATE TABLE gz (id int, name text)")
		d := newDest(t, dest.PostgresConfig{Table: "gz", CopyOptions: "delimiter ',' gzip"})
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte("1,a\n2,b\n"))
		_ = zw.Close()
		// The staged object is GZIP: split across records as the engine
		// may hand it, and uncompressed records work too.
		z := buf.String()
		if err := deliver(t, d, z[:5], z[5:]); err != nil {
			t.Fatal(err)
		}
		if err := deliver(t, d, "3,c\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "gz"), "1|a", "2|b", "3|c")
	})

	t.Run("FailedCopyLoadsNothing", func(t *testing.T) {
		exec(t, "CREATE TABLE atomic (id int, name text)")
		d := newDest(t, dest.PostgresConfig{Table: "atomic", CopyOptions: "csv"})
		err := deliver(t, d, "1,a\n", "2,b\n", "three,c\n", "4,d\n")
		wantCode(t, err, "Redshift.DataLoadFailed")
		want(t, rows(t, "atomic"))
		// The same destination delivers the next batch on its connection.
		if err := deliver(t, d, "5,e\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "atomic"), "5|e")
		// A bad JSON record fails the batch before anything is sent.
		dj := newDest(t, dest.PostgresConfig{Table: "atomic", CopyOptions: "json 'auto'"})
		wantCode(t, deliver(t, dj, `{"id":6}`, `[1,2]`), "Redshift.DataLoadFailed")
		want(t, rows(t, "atomic"), "5|e")
	})

	t.Run("Errors", func(t *testing.T) {
		d := newDest(t, dest.PostgresConfig{Table: "no_such_table"})
		wantCode(t, deliver(t, d, "1|a\n"), "Redshift.TableNotFound")
		wantCode(t, d.Check(ctx), "Redshift.TableNotFound")

		exec(t, "CREATE TABLE cols (id int, name text NOT NULL)")
		d = newDest(t, dest.PostgresConfig{Table: "cols", Columns: "id,nope"})
		wantCode(t, deliver(t, d, "1|a\n"), "Redshift.ColumnNotFound")
		wantCode(t, d.Check(ctx), "Redshift.ColumnNotFound")
		if err := newDest(t, dest.PostgresConfig{Table: "cols"}).Check(ctx); err != nil {
			t.Errorf("Check on a good table: %v", err)
		}
		d = newDest(t, dest.PostgresConfig{Table: "cols", Columns: "id"})
		wantCode(t, deliver(t, d, "1\n"), "Redshift.MissingColumn")

		d = newDest(t, dest.PostgresConfig{Table: "cols", Password: "wrong-password"})
		wantCode(t, deliver(t, d, "1|a\n"), "Redshift.AuthenticationFailed")
		want(t, rows(t, "cols"))
	})

	t.Run("Reconnects", func(t *testing.T) {
		exec(t, "CREATE TABLE rc (id int)")
		d := newDest(t, dest.PostgresConfig{Table: "rc", ConnString: srv.DSN + "&application_name=rc-dest"})
		if err := deliver(t, d, "1\n"); err != nil {
			t.Fatal(err)
		}
		// The server ends the destination's session (as a restart would).
		exec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rc-dest'")
		wantRows := []string{"1"}
		if err := deliver(t, d, "2\n"); err != nil {
			wantCode(t, err, "Redshift.ConnectionFailed")
		} else {
			wantRows = append(wantRows, "2")
		}
		if err := deliver(t, d, "3\n"); err != nil {
			t.Fatalf("no new connection after the old one ended: %v", err)
		}
		want(t, rows(t, "rc"), append(wantRows, "3")...)
	})

	t.Run("UsernamePasswordOverride", func(t *testing.T) {
		exec(t, "CREATE TABLE creds (id int)")
		exec(t, "CREATE ROLE loader LOGIN PASSWORD 'loader-secret'")
		exec(t, "GRANT INSERT ON creds TO loader")
		dsn := fmt.Sprintf("postgres://nobody@%s:%d/postgres?sslmode=disable", srv.Host, srv.Port)
		d := newDest(t, dest.PostgresConfig{ConnString: dsn, Username: "loader", Password: "loader-secret", Table: "creds"})
		if err := deliver(t, d, "7\n"); err != nil {
			t.Fatal(err)
		}
		want(t, rows(t, "creds"), "7")
		exec(t, "CREATE TABLE secret_table (id int)")
		d = newDest(t, dest.PostgresConfig{ConnString: dsn, Username: "loader", Password: "loader-secret", Table: "secret_table"})
		wantCode(t, deliver(t, d, "1\n"), "Redshift.InsufficientPrivilege")
	})
}

func TestPostgresConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	d, err := dest.NewPostgres(dest.PostgresConfig{
		ConnString: "postgres://postgres:x@" + addr + "/postgres?sslmode=disable", Table: "t",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Deliver(context.Background(), delivery.Batch{Records: []delivery.Record{{Data: []byte("1\n")}}})
	wantCode(t, err, "Redshift.ConnectionFailed")
}

func TestPostgresRefusesCopyOptions(t *testing.T) {
	for _, tc := range []struct {
		options string
		named   []string
	}{
		{"FIXEDWIDTH 'a:1,b:2' EMPTYASNULL", []string{"FIXEDWIDTH", "EMPTYASNULL"}},
		{"json 's3://bucket/jsonpaths.json'", []string{"jsonpaths"}},
		{"FORMAT AS PARQUET", []string{"PARQUET"}},
		{"csv escape", []string{"ESCAPE or REMOVEQUOTES with CSV"}},
		{"timeformat 'epochsecs' maxerror 10 lzop", []string{"epochsecs", "MAXERROR", "LZOP"}},
		{"delimiter 'unterminated", []string{"unterminated"}},
	} {
		_, err := dest.NewPostgres(dest.PostgresConfig{ConnString: "postgres://localhost/db", Table: "t", CopyOptions: tc.options})
		if !errors.Is(err, dest.ErrCopyOptions) {
			t.Errorf("%q: error %v, want ErrCopyOptions", tc.options, err)
			continue
		}
		for _, n := range tc.named {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%q: error %q does not name %s", tc.options, err, n)
			}
		}
	}
	for _, ok := range []string{"", "json 'auto'", "CSV QUOTE AS '\"' IGNOREHEADER AS 2 GZIP", "delimiter '|' timeformat 'auto' compupdate off statupdate off region 'us-east-1' maxerror 0"} {
		if _, err := dest.NewPostgres(dest.PostgresConfig{ConnString: "postgres://localhost/db", Table: "t", CopyOptions: ok}); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	if _, err := dest.NewPostgres(dest.PostgresConfig{ConnString: "postgres://localhost/db", Table: ""}); err == nil {
		t.Error("an empty DataTableName was accepted")
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *delivery.Error", err, err)
	}
	if de.Code != code {
		t.Errorf("code %q, want %q: %v", de.Code, code, err)
	}
	if de.Permanent {
		t.Errorf("Redshift failures must stay retryable: %v", err)
	}
}
