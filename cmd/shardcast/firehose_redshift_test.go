package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/jackc/pgx/v5"
	"github.com/shardcast/shardcast/datastreams/firehose/dest/pgtest"
)

const redshiftJDBC = "jdbc:redshift://examplecluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev"

// redshiftDest is a Redshift destination loading table (columns) with
// copyOptions, staging in the directory bucket stage.
func redshiftDest(stage, table, columns, copyOptions string, retrySeconds int32) *types.RedshiftDestinationConfiguration {
	return &types.RedshiftDestinationConfiguration{
		ClusterJDBCURL: aws.String(redshiftJDBC),
		RoleARN:        aws.String("arn:aws:iam::123456789012:role/firehose"),
		Username:       aws.String("postgres"), Password: aws.String(pgtest.Password),
		CopyCommand:  &types.CopyCommand{DataTableName: aws.String(table), DataTableColumns: aws.String(columns), CopyOptions: aws.String(copyOptions)},
		RetryOptions: &types.RedshiftRetryOptions{DurationInSeconds: aws.Int32(retrySeconds)},
		S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::" + stage),
			RoleARN:        aws.String("arn:aws:iam::123456789012:role/firehose"),
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)}},
	}
}

// pgRows returns the rows of query, each as text.
func pgRows(t *testing.T, conn *pgx.Conn, query string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		var cells []string
		for _, v := range vals {
			cells = append(cells, fmt.Sprint(v))
		}
		out = append(out, strings.Join(cells, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Redshift's role played by PostgreSQL: records are staged in the
// intermediate bucket and loaded with COPY, in JSON and in delimited text;
// a COPY that keeps failing ends, after the retry duration, as a manifest
// under errors/ and no rows.
func TestFirehoseRedshiftOnPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, q := range []string{
		"CREATE TABLE orders (id bigint, customer text, amount numeric(10,2))",
		"CREATE TABLE lines (id bigint, sku text, qty int)",
		"CREATE TABLE strict (id int, note text)",
		"CREATE TABLE zipped (id bigint, customer text, amount numeric(10,2))",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t)
	cfg.Firehose.Redshift = map[string]string{redshiftJDBC: pg.DSN}
	cfg.Firehose.MaxBackoff = 200 * time.Millisecond
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	create := func(name string, d *types.RedshiftDestinationConfiguration) {
		t.Helper()
		if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
			RedshiftDestinationConfiguration: d}); err != nil {
			t.Fatal(err)
		}
	}
	create("orders", redshiftDest("stage-orders", "orders", "id,customer,amount", "json 'auto'", 60))
	create("lines", redshiftDest("stage-lines", "lines", "id,sku,qty", "csv delimiter '|'", 60))
	create("strict", redshiftDest("stage-strict", "strict", "id,note", "json 'auto'", 2))
	// GZIP staging, loaded with COPY's GZIP option as Redshift needs.
	zipped := redshiftDest("stage-zipped", "zipped", "id,customer,amount", "json 'auto' gzip", 60)
	zipped.S3Configuration.CompressionFormat = types.CompressionFormatGzip
	create("zipped", zipped)

	var orders, lines [][]byte
	var wantOrders, wantLines []string
	for i := 1; i <= 50; i++ {
		orders = append(orders, []byte(fmt.Sprintf(`{"id":%d,"customer":"c-%d","amount":%d.25}`+"\n", i, i%5, i)))
		wantOrders = append(wantOrders, fmt.Sprintf("%d c-%d %d.25", i, i%5, i))
		lines = append(lines, []byte(fmt.Sprintf("%d|sku \"%d\"|%d\n", i, i, i*3)))
		wantLines = append(wantLines, fmt.Sprintf("%d sku \"%d\" %d", i, i, i*3))
	}
	putBatch(t, c, "orders", orders)
	putBatch(t, c, "lines", lines)
	putBatch(t, c, "zipped", orders)
	// Two good rows and one whose id is not an integer, in one record so
	// that they are one batch: its COPY fails as a whole, on every attempt.
	putBatch(t, c, "strict", [][]byte{[]byte(`{"id":1,"note":"ok"}` + "\n" + `{"id":"two","note":"bad"}` + "\n" + `{"id":3,"note":"ok"}` + "\n")})

	for _, tc := range []struct {
		table, query string
		want         []string
	}{
		{"orders", "SELECT id, customer, amount::text FROM orders ORDER BY id", wantOrders},
		{"lines", "SELECT id, sku, qty FROM lines ORDER BY id", wantLines},
		{"zipped", "SELECT id, customer, amount::text FROM zipped ORDER BY id", wantOrders},
	} {
		var got []string
		waitFor(t, time.Minute, "the rows of "+tc.table, func() bool {
			got = pgRows(t, conn, tc.query)
			return len(got) >= len(tc.want)
		})
		if !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%s rows:\n got %q\nwant %q", tc.table, got, tc.want)
		}
		ext := ""
		if tc.table == "zipped" {
			ext = ".gz"
		}
		sdir := filepath.Join(cfg.DataDir, "s3", "stage-"+tc.table)
		staged := objects(t, sdir)
		if len(staged) == 0 || !objectKey(tc.table, ext).MatchString(staged[0]) {
			t.Fatalf("staged objects of %s: %v", tc.table, staged)
		}
		if tc.table == "zipped" && !strings.HasPrefix(string(readObjects(t, sdir, staged)), string(orders[0])) {
			t.Fatalf("the staged GZIP objects of %s do not hold the records", tc.table)
		}
	}
	// The intermediate bucket's BufferingHints are the stream's.
	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if rd := d.DeliveryStreamDescription.Destinations[0].RedshiftDestinationDescription; rd == nil || rd.S3DestinationDescription == nil ||
		aws.ToInt32(rd.S3DestinationDescription.BufferingHints.IntervalInSeconds) != 0 || aws.ToInt32(rd.S3DestinationDescription.BufferingHints.SizeInMBs) != 1 ||
		aws.ToString(rd.CopyCommand.CopyOptions) != "json 'auto'" || aws.ToString(rd.Username) != "postgres" {
		t.Fatalf("Redshift description: %+v", rd)
	}

	// The failing stream: a manifest under errors/ names the staged object.
	dir := filepath.Join(cfg.DataDir, "s3", "stage-strict")
	var manifests []string
	waitFor(t, time.Minute, "a manifest under errors/ in "+dir, func() bool {
		manifests = nil
		for _, n := range objects(t, dir) {
			if strings.HasPrefix(n, "errors/") {
				manifests = append(manifests, n)
			}
		}
		return len(manifests) > 0
	})
	b, err := os.ReadFile(filepath.Join(dir, manifests[0]))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Entries []struct {
			URL       string `json:"url"`
			Mandatory bool   `json:"mandatory"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(b, &m); err != nil || len(m.Entries) != 1 || !m.Entries[0].Mandatory {
		t.Fatalf("manifest %s: %s", manifests[0], b)
	}
	key, ok := strings.CutPrefix(m.Entries[0].URL, "s3://stage-strict/")
	if !ok || "errors/"+key != manifests[0] {
		t.Fatalf("manifest %s names %s", manifests[0], m.Entries[0].URL)
	}
	staged, err := os.ReadFile(filepath.Join(dir, key))
	if err != nil || strings.Count(string(staged), "\n") != 3 || !strings.Contains(string(staged), `"two"`) {
		t.Fatalf("staged object %s: %q %v", key, staged, err)
	}
	if got := pgRows(t, conn, "SELECT count(*) FROM strict"); len(got) != 1 || got[0] != "0" {
		t.Fatalf("the failed COPY left rows: %v", got)
	}
	d, err = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("strict")})
	if err != nil {
		t.Fatal(err)
	}
	if fd := d.DeliveryStreamDescription.FailureDescription; fd != nil {
		t.Logf("failure description after the give-up: %s %s", fd.Type, aws.ToString(fd.Details))
	}
	t.Logf("manifest %s: %s", manifests[0], b)
}
