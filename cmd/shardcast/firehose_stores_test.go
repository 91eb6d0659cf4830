package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore/s3test"
)

// s3Object is an object read back through the S3 API.
type s3Object struct {
	Key  string
	Body []byte
}

// listS3 reads every object of bucket under prefix through the S3 API, in
// the order they were written (LastModified, then key).
func listS3(t *testing.T, c *s3.Client, bucket, prefix string) []s3Object {
	t.Helper()
	ctx := context.Background()
	type entry struct {
		key string
		at  time.Time
	}
	var es []entry
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			es = append(es, entry{aws.ToString(o.Key), aws.ToTime(o.LastModified)})
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].at.Equal(es[j].at) {
			return es[i].at.Before(es[j].at)
		}
		return es[i].key < es[j].key
	})
	var out []s3Object
	for _, e := range es {
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(e.key)})
		if err != nil {
			t.Fatalf("GetObject %s: %v", e.key, err)
		}
		b, err := io.ReadAll(g.Body)
		g.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s3Object{e.key, b})
	}
	return out
}

// wantRecords checks that the objects' contents, in whatever order they
// were listed (two objects of one second are not ordered by their keys),
// are each a run of consecutive records and together hold every record
// once, in the order put.
func wantRecords(t *testing.T, chunks [][]byte, recs [][]byte) {
	t.Helper()
	start := map[string]int{}
	for i, r := range recs {
		start[string(r)] = i
	}
	type run struct{ from, to int }
	var runs []run
	for ci, c := range chunks {
		line, _, _ := bytes.Cut(c, []byte("\n"))
		i, ok := start[string(line)+"\n"]
		if !ok {
			t.Fatalf("object %d starts with %q, not a record put", ci, head(c))
		}
		j := i
		for rest := c; len(rest) > 0; j++ {
			if j >= len(recs) || !bytes.HasPrefix(rest, recs[j]) {
				t.Fatalf("object %d: after record %d comes %q, not the next record put", ci, j-1, head(rest))
			}
			rest = rest[len(recs[j]):]
		}
		runs = append(runs, run{i, j})
	}
	sort.Slice(runs, func(a, b int) bool { return runs[a].from < runs[b].from })
	next := 0
	for _, r := range runs {
		if r.from != next {
			t.Fatalf("objects hold records %v, want 0 to %d once each", runs, len(recs))
		}
		next = r.to
	}
	if next != len(recs) {
		t.Fatalf("objects hold records %v, want 0 to %d once each", runs, len(recs))
	}
}

func gunzip(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// lineRecords makes n newline-terminated records of varied sizes and
// returns them with their concatenation.
func lineRecords(n int) ([][]byte, []byte) {
	var recs [][]byte
	var all []byte
	for i := range n {
		r := []byte(fmt.Sprintf("rec-%05d %s\n", i, strings.Repeat(string(rune('a'+i%26)), 1+(i*37)%2000)))
		recs = append(recs, r)
		all = append(all, r...)
	}
	return recs, all
}

// objectKey is the default key of Firehose's S3 objects: the UTC hour
// as a prefix, then <name>-<version>-<time>-<uuid><ext>.
func objectKey(name, ext string) *regexp.Regexp {
	return regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\d{2}/` + regexp.QuoteMeta(name) +
		`-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}` + regexp.QuoteMeta(ext) + `$`)
}

// s3Config points the server's S3 destinations at the versitygw srv.
func s3Config(t *testing.T, s s3test.Server) Config {
	cfg := testConfig(t)
	cfg.Firehose.S3.Endpoint = s.Endpoint
	cfg.Firehose.S3.Region = s.Region
	cfg.Firehose.S3.AccessKeyID = s.AccessKey
	cfg.Firehose.S3.SecretAccessKey = s.SecretKey
	return cfg
}

// A real S3-compatible server (versitygw): GZIP objects under the default
// keys, read back through the S3 API and listed by aws s3 ls.
func TestFirehoseS3CompatibleServer(t *testing.T) {
	t.Parallel()
	s3srv := s3test.StartServer(t)
	s3srv.CreateBucket(t, "landing")
	srv := startServer(t, s3Config(t, s3srv))
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks"),
		ExtendedS3DestinationConfiguration: s3Dest("landing", 1, 0, types.CompressionFormatGzip)}); err != nil {
		t.Fatal(err)
	}
	recs, want := lineRecords(300)
	putBatch(t, c, "clicks", recs[:150])
	putBatch(t, c, "clicks", recs[150:])

	sc := s3srv.Client()
	var objs []s3Object
	var chunks [][]byte
	waitFor(t, time.Minute, "the records in versitygw", func() bool {
		objs = listS3(t, sc, "landing", "")
		chunks = nil
		n := 0
		for _, o := range objs {
			chunks = append(chunks, gunzip(t, o.Key, o.Body))
			n += len(chunks[len(chunks)-1])
		}
		return n >= len(want)
	})
	wantRecords(t, chunks, recs)
	key := objectKey("clicks", ".gz")
	for _, o := range objs {
		if !key.MatchString(o.Key) {
			t.Fatalf("object key %q", o.Key)
		}
	}
	t.Logf("%d records (%d bytes) in %d GZIP objects", len(recs), len(want), len(objs))

	// The AWS CLI lists them with the S3 server's own keys.
	cmd := exec.Command("/usr/bin/aws", "s3", "ls", "--recursive", "--endpoint-url", s3srv.Endpoint, "s3://landing/")
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=" + s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3srv.SecretKey,
		"AWS_DEFAULT_REGION=" + s3srv.Region, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + home + "/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3 ls: %v: %s", err, out)
	}
	for _, o := range objs {
		if !strings.Contains(string(out), " "+o.Key+"\n") {
			t.Fatalf("aws s3 ls does not list %s:\n%s", o.Key, out)
		}
	}
	if n := strings.Count(strings.TrimSpace(string(out)), "\n") + 1; n != len(objs) {
		t.Fatalf("aws s3 ls lists %d objects, want %d:\n%s", n, len(objs), out)
	}
}

// A KinesisStreamAsSource delivery stream reads a data stream of the same
// server and delivers to versitygw.
func TestFirehoseDataStreamSourceToS3Compatible(t *testing.T) {
	t.Parallel()
	s3srv := s3test.StartServer(t)
	s3srv.CreateBucket(t, "fromstream")
	srv := startServer(t, s3Config(t, s3srv))
	kc := client(srv.URL(), testCreds)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the data stream", func() bool {
		d, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")})
		return err == nil && d.StreamDescriptionSummary.StreamStatus == "ACTIVE"
	})
	d, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	c := firehoseClient(srv.URL())
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("orders-to-s3"),
		DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &types.KinesisStreamSourceConfiguration{KinesisStreamARN: d.StreamDescriptionSummary.StreamARN,
			RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose")},
		ExtendedS3DestinationConfiguration: s3Dest("fromstream", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	recs, want := lineRecords(120)
	in := &kinesis.PutRecordsInput{StreamName: aws.String("orders")}
	for i, r := range recs {
		in.Records = append(in.Records, ktypes.PutRecordsRequestEntry{Data: r, PartitionKey: aws.String(fmt.Sprintf("k%d", i%7))})
	}
	if out, err := kc.PutRecords(ctx, in); err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("PutRecords: %v %v", out, err)
	}
	var chunks [][]byte
	waitFor(t, time.Minute, "the stream's records in versitygw", func() bool {
		chunks = nil
		n := 0
		for _, o := range listS3(t, s3srv.Client(), "fromstream", "") {
			chunks = append(chunks, o.Body)
			n += len(o.Body)
		}
		return n >= len(want)
	})
	wantRecords(t, chunks, recs)
	// Direct puts are refused on a stream-sourced delivery stream.
	_, err = c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("orders-to-s3"), Record: &types.Record{Data: []byte("x")}})
	wantErr(t, err, "InvalidArgumentException", "")
}

func head(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// Snappy, ZIP and HADOOP_SNAPPY objects written through the server
// decompress, with independent readers, to exactly the records put.
func TestFirehoseCompressionFormatsEndToEnd(t *testing.T) {
	t.Parallel()
	recs, want := lineRecords(400)
	cases := []struct {
		format types.CompressionFormat
		ext    string
		read   func(t *testing.T, path string) []byte
	}{
		{types.CompressionFormatSnappy, ".snappy", func(t *testing.T, p string) []byte {
			return pythonFile(t, p, snappyCRC32CFix+"d = snappy.StreamDecompressor()\nout = d.decompress(data)\nd.flush()\nsys.stdout.buffer.write(out)")
		}},
		{types.CompressionFormatHadoopSnappy, ".hsnappy", func(t *testing.T, p string) []byte {
			return pythonFile(t, p, "import io\nfrom snappy import hadoop_snappy\no = io.BytesIO()\nhadoop_snappy.stream_decompress(io.BytesIO(data), o)\nsys.stdout.buffer.write(o.getvalue())")
		}},
		{types.CompressionFormatZip, ".zip", func(t *testing.T, p string) []byte {
			out, err := exec.Command("unzip", "-p", p).Output()
			if err != nil {
				t.Fatalf("unzip -p %s: %v", p, err)
			}
			return out
		}},
	}
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	for _, tc := range cases {
		t.Run(string(tc.format), func(t *testing.T) {
			name := strings.ToLower(strings.ReplaceAll(string(tc.format), "_", "-"))
			if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
				ExtendedS3DestinationConfiguration: s3Dest(name, 1, 0, tc.format)}); err != nil {
				t.Fatal(err)
			}
			putBatch(t, c, name, recs[:200])
			putBatch(t, c, name, recs[200:])
			dir := filepath.Join(cfg.DataDir, "s3", name)
			read := map[string][]byte{}
			var chunks [][]byte
			var names []string
			waitFor(t, time.Minute, "the records under "+dir, func() bool {
				chunks = nil
				names = objects(t, dir)
				n := 0
				for _, name := range names {
					b, ok := read[name]
					if !ok {
						b = tc.read(t, filepath.Join(dir, name))
						read[name] = b
					}
					chunks = append(chunks, b)
					n += len(b)
				}
				return n >= len(want)
			})
			wantRecords(t, chunks, recs)
			key := objectKey(name, tc.ext)
			for _, n := range names {
				if !key.MatchString(n) {
					t.Fatalf("object key %q", n)
				}
			}
			t.Logf("%s: %d bytes in %d objects", tc.format, len(want), len(names))
		})
	}
}

// snappyCRC32CFix replaces python3-snappy's CRC-32C, whose C extension
// fails on Debian bookworm's Python 3.11, with one in Python: the framing
// format's checksums are still verified.
const snappyCRC32CFix = `import snappy, snappy.snappy as _ss
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)
def _crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
_ss._crc32c = _crc32c
`

// pythonFile runs Debian's python3 (which has python3-snappy) with data
// bound to the file's bytes, and returns what the script prints.
func pythonFile(t *testing.T, path, script string) []byte {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("python3 with python3-snappy is needed (make deps installs it): %v", err)
	}
	cmd := exec.Command(py, "-c", "import sys\ndata = open(sys.argv[1], 'rb').read()\n"+script, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 on %s: %v: %s", path, err, stderr.String())
	}
	return out
}

// An S3-compatible server on HTTPS whose certificate a private CA signs:
// firehose.s3.ca_file makes the server trust it.
func TestFirehoseS3CompatibleTLS(t *testing.T) {
	t.Parallel()
	s3srv := s3test.StartServerTLS(t)
	s3srv.CreateBucket(t, "secure")
	cfg := s3Config(t, s3srv)
	cfg.Firehose.S3.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(cfg.Firehose.S3.CAFile, s3srv.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	if _, err := c.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("tls"),
		ExtendedS3DestinationConfiguration: s3Dest("secure", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	recs, want := lineRecords(40)
	putBatch(t, c, "tls", recs)
	var chunks [][]byte
	waitFor(t, time.Minute, "the records in versitygw over HTTPS", func() bool {
		chunks = nil
		n := 0
		for _, o := range listS3(t, s3srv.Client(), "secure", "") {
			chunks = append(chunks, o.Body)
			n += len(o.Body)
		}
		return n >= len(want)
	})
	wantRecords(t, chunks, recs)
}

// A bucket that does not exist yet: delivery retries, Describe says why,
// and once the bucket is created the records land, once each.
func TestFirehoseS3CompatibleMissingBucket(t *testing.T) {
	t.Parallel()
	s3srv := s3test.StartServer(t)
	cfg := s3Config(t, s3srv)
	cfg.Firehose.MaxBackoff = 200 * time.Millisecond
	srv := startServer(t, cfg)
	c := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("late"),
		ExtendedS3DestinationConfiguration: s3Dest("later", 1, 0, types.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	recs, want := lineRecords(30)
	putBatch(t, c, "late", recs)
	var details string
	waitFor(t, time.Minute, "a FailureDescription", func() bool {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("late")})
		if err != nil {
			t.Fatal(err)
		}
		if fd := d.DeliveryStreamDescription.FailureDescription; fd != nil {
			details = aws.ToString(fd.Details)
			return true
		}
		return false
	})
	t.Logf("FailureDescription while the bucket is missing: %s", details)
	if !strings.HasPrefix(details, "S3.NoSuchBucket: ") || !strings.Contains(details, "s3://later/") {
		t.Fatalf("FailureDescription %q", details)
	}
	s3srv.CreateBucket(t, "later")
	var chunks [][]byte
	waitFor(t, time.Minute, "the records once the bucket exists", func() bool {
		chunks = nil
		n := 0
		for _, o := range listS3(t, s3srv.Client(), "later", "") {
			chunks = append(chunks, o.Body)
			n += len(o.Body)
		}
		return n >= len(want)
	})
	wantRecords(t, chunks, recs)
	waitFor(t, time.Minute, "no FailureDescription after recovery", func() bool {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("late")})
		return err == nil && d.DeliveryStreamDescription.FailureDescription == nil
	})
}
