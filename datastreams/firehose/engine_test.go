package firehose

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// receiver is a destination that keeps what it is given and fails while
// down (a target going away and coming back).
type receiver struct {
	mu       sync.Mutex
	down     bool
	perm     bool
	attempts int
	batches  [][]string
}

func (r *receiver) Deliver(_ context.Context, b delivery.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.down {
		return &delivery.Error{Code: "HttpEndpoint.ConnectionFailed", Message: "connection refused", Permanent: r.perm}
	}
	var recs []string
	for _, x := range b.Records {
		recs = append(recs, string(x.Data))
	}
	r.batches = append(r.batches, recs)
	return nil
}

func (r *receiver) ErrorOutputType() string { return "http-endpoint-failed" }
func (r *receiver) Close() error            { return nil }

func (r *receiver) set(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *receiver) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []string
	for _, b := range r.batches {
		all = append(all, b...)
	}
	return all
}

func openTest(t *testing.T, root string, cfg Config) *Engine {
	t.Helper()
	key := make([]byte, 32)
	ring, err := envelope.NewStatic(key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Catalog == nil {
		cfg.Catalog, cfg.Store = registry.NewMemCatalog(), shard.NewMemStore(nil)
	}
	cfg.Keyring = ring
	cfg.Account, cfg.Region = "123456789012", "us-east-1"
	cfg.Objects = objstore.NewDir(root)
	cfg.MaxBackoff = 20 * time.Millisecond
	e, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func httpDest(retry int) DestinationConfig {
	return DestinationConfig{Kind: DestHTTPEndpoint, Config: json.RawMessage(fmt.Sprintf(`{"EndpointConfiguration":{"Url":"http://x"},
		"BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0},"RetryOptions":{"DurationInSeconds":%d},
		"S3Configuration":{"BucketARN":"arn:aws:s3:::errs","RoleARN":"arn:aws:iam::123456789012:role/r","ErrorOutputPrefix":"failed/!{firehose:error-output-type}/"}}`, retry))}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func files(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// A destination that is down and comes back: nothing is lost, and no
// record is delivered twice; the failure shows in Describe meanwhile.
func TestDestinationDownThenBack(t *testing.T) {
	rcv := &receiver{down: true}
	e := openTest(t, t.TempDir(), Config{Destinations: func(string, []byte) (delivery.Destination, error) { return rcv, nil }})
	ctx := context.Background()
	if _, err := e.Create(ctx, CreateInput{Name: "h", Destination: httpDest(3600)}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		r := fmt.Sprintf("r%02d", i)
		want = append(want, r)
		if _, _, err := e.Put(ctx, "h", [][]byte{[]byte(r)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "failed attempts", func() bool { rcv.mu.Lock(); defer rcv.mu.Unlock(); return rcv.attempts >= 3 })
	d, _ := e.Describe("h")
	if d.FailureDescription == nil || !strings.Contains(d.FailureDescription.Details, "connection refused") {
		t.Fatalf("FailureDescription: %+v", d.FailureDescription)
	}
	rcv.set(false)
	waitFor(t, "delivery", func() bool { return len(rcv.delivered()) >= len(want) })
	if got := rcv.delivered(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	e.Sync(ctx)
	if d, _ := e.Describe("h"); d.FailureDescription != nil {
		t.Fatalf("FailureDescription after recovery: %+v", d.FailureDescription)
	}
}

// Records a destination gives up on (the retry duration ran out) go to
// the error output under ErrorOutputPrefix, in AWS's error-record JSON.
func TestGiveUpToErrorOutput(t *testing.T) {
	root := t.TempDir()
	rcv := &receiver{down: true}
	e := openTest(t, root, Config{Destinations: func(string, []byte) (delivery.Destination, error) { return rcv, nil }})
	ctx := context.Background()
	if _, err := e.Create(ctx, CreateInput{Name: "h", Destination: httpDest(0)}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "h", [][]byte{[]byte("lost-1"), []byte("lost-2")})
	waitFor(t, "the error output", func() bool { return len(files(root)) > 0 })
	fs := files(root)
	rel, _ := filepath.Rel(root, fs[0])
	if !strings.HasPrefix(filepath.ToSlash(rel), "errs/failed/http-endpoint-failed/h-1-") {
		t.Fatalf("error object %s", rel)
	}
	b, _ := os.ReadFile(fs[0])
	var raw []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var er struct {
			AttemptsMade     int
			ArrivalTimestamp int64
			ErrorCode        string
			RawData          string
		}
		if err := json.Unmarshal([]byte(line), &er); err != nil {
			t.Fatal(err)
		}
		d, _ := base64.StdEncoding.DecodeString(er.RawData)
		raw = append(raw, string(d))
		if er.ErrorCode != "HttpEndpoint.ConnectionFailed" || er.AttemptsMade < 1 || er.ArrivalTimestamp == 0 {
			t.Fatalf("error record %s", line)
		}
	}
	if strings.Join(raw, ",") != "lost-1,lost-2" {
		t.Fatalf("error output holds %v", raw)
	}
	e.Sync(ctx)
	st := e.Stats()
	if len(st) != 1 || st[0].Destinations[0].ErrorRecords != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// Processors, dynamic partitions and the processing-failed output: a
// MetadataExtraction query partitions JSON records; a record that is not
// JSON goes to the error output.
func TestPartitionsAndProcessingFailures(t *testing.T) {
	root := t.TempDir()
	e := openTest(t, root, Config{})
	ctx := context.Background()
	cfg := `{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::123456789012:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0},
		"Prefix":"k=!{partitionKeyFromQuery:k}/","ErrorOutputPrefix":"err/!{firehose:error-output-type}/",
		"DynamicPartitioningConfiguration":{"Enabled":true},
		"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"MetadataExtraction","Parameters":[
			{"ParameterName":"MetadataExtractionQuery","ParameterValue":"{k:.k}"},{"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]}]}}`
	if _, err := e.Create(ctx, CreateInput{Name: "p", Destination: DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(cfg)}}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "p", [][]byte{[]byte(`{"k":"a","v":1}`), []byte(`{"k":"b","v":1}`), []byte("bad"), []byte(`{"k":"a","v":2}`)})
	waitFor(t, "three objects", func() bool { return len(files(root)) == 3 })
	got := map[string]string{}
	for _, f := range files(root) {
		rel, _ := filepath.Rel(filepath.Join(root, "b"), f)
		b, _ := os.ReadFile(f)
		got[strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]+"/"+strings.SplitN(filepath.ToSlash(rel), "/", 3)[1]] = string(b)
	}
	var a, b, bad string
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "k=a/"):
			a = v
		case strings.HasPrefix(k, "k=b/"):
			b = v
		case strings.HasPrefix(k, "err/processing-failed"):
			bad = v
		}
	}
	if a != `{"k":"a","v":1}{"k":"a","v":2}` || b != `{"k":"b","v":1}` || !strings.Contains(bad, base64.StdEncoding.EncodeToString([]byte("bad"))) {
		t.Fatalf("objects: %v", got)
	}
}

// Without factories, what the defaults cannot run is refused at create.
func TestRefusesWhatCannotRun(t *testing.T) {
	e := openTest(t, t.TempDir(), Config{})
	ctx := context.Background()
	for _, c := range []struct{ cfg, msg string }{
		{`"CompressionFormat":"GZIP","DataFormatConversionConfiguration":{"SchemaConfiguration":{"DatabaseName":"d","TableName":"t"},"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"ParquetSerDe":{}}}}`, "UNCOMPRESSED"},
		{`"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:123456789012:function:f"}]}]}`, "arn:aws:lambda:us-east-1:123456789012:function:f"},
		{`"Prefix":"x/!{partitionKeyFromQuery:a}/","ErrorOutputPrefix":"e/!{firehose:error-output-type}/"`, "ynamic"},
		{`"Prefix":"x/!{nope:a}/"`, "nope"},
	} {
		dc := DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(`{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::1:role/r",` + c.cfg + `}`)}
		_, err := e.Create(ctx, CreateInput{Name: "x", Destination: dc})
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Fatalf("%s: %v", c.cfg, err)
		}
	}
	_, err := e.Create(ctx, CreateInput{Name: "x", Destination: httpDest(1)})
	if err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("HttpEndpoint without a factory: %v", err)
	}
}

// Retention trims what every destination delivered.
func TestRetentionTrimsDelivered(t *testing.T) {
	e := openTest(t, t.TempDir(), Config{})
	ctx := context.Background()
	dc := DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(`{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::1:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}`)}
	if _, err := e.Create(ctx, CreateInput{Name: "t", Destination: dc}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "t", [][]byte{[]byte("x"), []byte("y")})
	waitFor(t, "the checkpoint", func() bool { return e.Stats()[0].Destinations[0].Checkpoint == 3 })
	e.EnforceRetention()
	if st := e.Stats()[0]; st.LogFirst != st.LogNext {
		t.Fatalf("log after retention: %d..%d", st.LogFirst, st.LogNext)
	}
}

// S3BackupMode Enabled: the source records go to the backup bucket as
// they were put, the processed ones to the destination.
func TestS3Backup(t *testing.T) {
	root := t.TempDir()
	e := openTest(t, root, Config{})
	ctx := context.Background()
	cfg := `{"BucketARN":"arn:aws:s3:::main","RoleARN":"arn:aws:iam::1:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0},
		"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"AppendDelimiterToRecord"}]},
		"S3BackupMode":"Enabled","S3BackupConfiguration":{"BucketARN":"arn:aws:s3:::backup","RoleARN":"arn:aws:iam::1:role/r","Prefix":"src/","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}}`
	if _, err := e.Create(ctx, CreateInput{Name: "bk", Destination: DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(cfg)}}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "bk", [][]byte{[]byte("a"), []byte("b")})
	waitFor(t, "both objects", func() bool { return len(files(root)) == 2 })
	for _, f := range files(root) {
		b, _ := os.ReadFile(f)
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "main/") && string(b) == "a\nb\n":
		case strings.HasPrefix(rel, "backup/src/") && string(b) == "ab":
		default:
			t.Fatalf("object %s holds %q", rel, b)
		}
	}
}

// Secrets are kept but never described; the description uses the
// description member names.
func TestDescribeHidesSecrets(t *testing.T) {
	e := openTest(t, t.TempDir(), Config{Destinations: func(string, []byte) (delivery.Destination, error) { return &receiver{}, nil }})
	ctx := context.Background()
	dc := DestinationConfig{Kind: DestHTTPEndpoint, Config: json.RawMessage(`{"EndpointConfiguration":{"Url":"http://x","Name":"n","AccessKey":"sekrit"},
		"S3Configuration":{"BucketARN":"arn:aws:s3:::errs","RoleARN":"arn:aws:iam::1:role/r"}}`)}
	if _, err := e.Create(ctx, CreateInput{Name: "s", Destination: dc}); err != nil {
		t.Fatal(err)
	}
	d, err := e.Describe("s")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d)
	if strings.Contains(string(b), "sekrit") || !strings.Contains(string(b), `"HttpEndpointDestinationDescription"`) || !strings.Contains(string(b), `"S3DestinationDescription"`) {
		t.Fatalf("description %s", b)
	}
	st := mustStored(e.reg.Get("s").Def())
	if !strings.Contains(string(st.Destinations[0].Config), "sekrit") {
		t.Fatal("the access key was not kept")
	}
}

// UpdateDestination restarts delivery with the new configuration: later
// objects go under the new prefix with the new version in their names,
// and nothing delivered before is delivered again.
func TestUpdateDestinationApplies(t *testing.T) {
	root := t.TempDir()
	e := openTest(t, root, Config{})
	ctx := context.Background()
	dc := DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(`{"BucketARN":"arn:aws:s3:::u","RoleARN":"arn:aws:iam::1:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}`)}
	if _, err := e.Create(ctx, CreateInput{Name: "u", Destination: dc}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "u", [][]byte{[]byte("one")})
	waitFor(t, "the first object", func() bool { return len(files(root)) == 1 })
	if err := e.Update(ctx, UpdateInput{Name: "u", CurrentVersion: "1", DestinationID: firstDestinationID, Kind: DestExtendedS3,
		Update: json.RawMessage(`{"Prefix":"v2/"}`)}); err != nil {
		t.Fatal(err)
	}
	e.Put(ctx, "u", [][]byte{[]byte("two")})
	waitFor(t, "the second object", func() bool { return len(files(root)) == 2 })
	e.Sync(ctx)
	var newer string
	for _, f := range files(root) {
		rel, _ := filepath.Rel(filepath.Join(root, "u"), f)
		if strings.HasPrefix(filepath.ToSlash(rel), "v2/") {
			newer = filepath.ToSlash(rel)
			if b, _ := os.ReadFile(f); string(b) != "two" {
				t.Fatalf("%s holds %q", rel, b)
			}
		}
	}
	if !strings.Contains(newer, "/u-2-") {
		t.Fatalf("objects %v", files(root))
	}
	if len(files(root)) != 2 {
		t.Fatalf("objects %v", files(root))
	}
}

// A destination's stats keep its last deliveries, newest first, at most
// recentDeliveries of them.
func TestStatsKeepRecentDeliveries(t *testing.T) {
	e := openTest(t, t.TempDir(), Config{})
	ctx := context.Background()
	dc := DestinationConfig{Kind: DestExtendedS3, Config: json.RawMessage(`{"BucketARN":"arn:aws:s3:::b","RoleARN":"arn:aws:iam::1:role/r","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}`)}
	if _, err := e.Create(ctx, CreateInput{Name: "r", Destination: dc}); err != nil {
		t.Fatal(err)
	}
	for i := range recentDeliveries + 2 {
		e.Put(ctx, "r", [][]byte{bytes.Repeat([]byte("z"), i+1)})
		want := uint64(i + 2)
		waitFor(t, "the delivery", func() bool { return e.Stats()[0].Destinations[0].Checkpoint == want })
	}
	recent := e.Stats()[0].Destinations[0].Recent
	if len(recent) != recentDeliveries {
		t.Fatalf("%d recent deliveries kept", len(recent))
	}
	for i, d := range recent {
		// Newest first: the last put was recentDeliveries+2 bytes.
		if d.Records != 1 || d.Bytes != recentDeliveries+2-i || d.Attempts != 1 || d.RequestID == "" || d.At.IsZero() {
			t.Fatalf("delivery %d: %+v", i, d)
		}
	}
}
