package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shardcast/shardcast/datastreams/kpl"
)

// agentProc is `shardcast agent` as a child process.
type agentProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (p *agentProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

func (p *agentProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func startAgentProc(t *testing.T, config, endpoint string) *agentProc {
	t.Helper()
	bin, err := shardcastBinary()
	if err != nil {
		t.Fatalf("build shardcast: %v", err)
	}
	p := &agentProc{}
	p.cmd = exec.Command(bin, "agent", "--config", config, "--endpoint", endpoint,
		"--poll-interval", "10ms", "--rotation-grace", "300ms", "--log-level", "info")
	p.cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+testCreds.SecretAccessKey)
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// kill is kill -9.
func (p *agentProc) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

func writeLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %06d\n", i)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// streamLines reads every shard of the stream from its start,
// de-aggregates, and returns the lines of each shard in order.
func streamLines(t *testing.T, c *kinesis.Client, stream string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, sh := range ls.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId,
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range gr.Records {
				users, _, err := kpl.Deaggregate(r.Data, aws.ToString(r.PartitionKey), "")
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range users {
					out[aws.ToString(sh.ShardId)] = append(out[aws.ToString(sh.ShardId)], string(u.Data))
				}
			}
			iter = gr.NextShardIterator
			if len(gr.Records) == 0 && aws.ToInt64(gr.MillisBehindLatest) == 0 {
				break
			}
		}
	}
	return out
}

// checkOnceInOrder fails unless the stream holds lines [0, n) each once,
// in file order within every shard; done reports whether all are there.
func checkOnceInOrder(t *testing.T, byShard map[string][]string, n int, final bool) bool {
	t.Helper()
	seen := map[int]int{}
	for shard, lines := range byShard {
		prev := -1
		for _, l := range lines {
			v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(l, "line "), "\n"))
			if err != nil || !strings.HasSuffix(l, "\n") {
				t.Fatalf("shard %s: record %q", shard, l)
			}
			if seen[v]++; seen[v] > 1 {
				t.Fatalf("line %d stored twice", v)
			}
			if v < prev {
				t.Fatalf("shard %s: line %d after line %d", shard, v, prev)
			}
			prev = v
		}
	}
	for i := range n {
		if seen[i] == 0 {
			if final {
				t.Fatalf("line %d missing (%d of %d stored)", i, len(seen), n)
			}
			return false
		}
	}
	if len(seen) != n {
		t.Fatalf("%d lines stored, %d written", len(seen), n)
	}
	return true
}

func waitStream(t *testing.T, c *kinesis.Client, stream string, n int, agent *agentProc) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !checkOnceInOrder(t, streamLines(t, c, stream), n, time.Now().After(deadline)) {
		if agent != nil && agent.cmd.ProcessState != nil {
			t.Fatalf("agent exited: %s", agent.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAgentExactlyOnceAcrossKills ships a file into a two-shard stream
// through rotations by rename and a truncation while the agent process is
// killed with SIGKILL at random moments and started again: every line is
// stored once, in file order per shard. The configuration is an agent.json
// indented with tabs, as the Kinesis Agent's users write it.
func TestAgentExactlyOnceAcrossKills(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("logs"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	config := filepath.Join(dir, "agent.json")
	os.WriteFile(config, []byte("{\n\t\"checkpointFile\": \""+filepath.Join(dir, "cp.json")+"\",\n\t\"flows\": [\n\t\t{\n"+
		"\t\t\t\"filePattern\": \""+log+"*\",\n\t\t\t\"kinesisStream\": \"logs\",\n\t\t\t\"initialPosition\": \"START_OF_FILE\",\n"+
		"\t\t\t\"maxBufferAgeMillis\": 20,\n\t\t\t\"maxBufferSizeRecords\": 40\n\t\t}\n\t],\n\t\"cloudwatch.emitMetrics\": false,\n"+
		"\t\"kinesis.endpoint\": \""+srv.URL()+"\"\n}\n"), 0o644)
	// The configuration's kinesis.endpoint wins over --endpoint.
	const nowhere = "http://127.0.0.1:1"

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 1))
	agent := startAgentProc(t, config, nowhere)
	defer func() { agent.kill() }()
	var logs strings.Builder
	killAt := func() {
		time.Sleep(time.Duration(rnd.IntN(150)) * time.Millisecond)
		agent.kill()
		logs.WriteString(agent.log())
		agent = startAgentProc(t, config, nowhere)
	}
	defer func() {
		logs.WriteString(agent.log())
		t.Logf("%d restarts found a batch in flight", strings.Count(logs.String(), "recovered an unconfirmed batch"))
	}()
	// Writing, with rotations by rename, and kills at random moments.
	n := 0
	for round := range 6 {
		for range 5 {
			writeLines(t, log, n, n+40)
			n += 40
			time.Sleep(time.Duration(rnd.IntN(20)) * time.Millisecond)
		}
		if round%2 == 1 {
			if err := os.Rename(log, fmt.Sprintf("%s.%d", log, round)); err != nil {
				t.Fatal(err)
			}
		}
		killAt()
	}
	writeLines(t, log, n, n+40)
	n += 40
	waitStream(t, kc, "logs", n, agent)

	// copytruncate: once what was written is stored, the file starts over.
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	writeLines(t, log, n, n+100)
	n += 100
	killAt()
	writeLines(t, log, n, n+100)
	n += 100
	waitStream(t, kc, "logs", n, agent)

	// A clean stop exits 0.
	agent.cmd.Process.Signal(syscall.SIGTERM)
	if err := agent.cmd.Wait(); err != nil {
		t.Fatalf("agent: %v\n%s", err, agent.log())
	}
	checkOnceInOrder(t, streamLines(t, kc, "logs"), n, true)
}

// TestAgentFirehose ships a YAML-configured flow with CSVTOJSON into a
// delivery stream; the objects in its bucket hold every converted line in
// order. The agent runs in-process until its context ends.
func TestAgentFirehose(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	fc := firehoseClient(srv.URL())
	ctx := context.Background()
	if _, err := fc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("fh"),
		ExtendedS3DestinationConfiguration: s3Dest("fh", 1, 1, fhtypes.CompressionFormatUncompressed)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "data.csv")
	os.WriteFile(csv, []byte("name,count\n"), 0o644)
	config := filepath.Join(dir, "agent.yaml")
	os.WriteFile(config, []byte(`flows:
  - filePattern: `+csv+`
    deliveryStream: fh
    initialPosition: START_OF_FILE
    skipHeaderLines: 1
    maxBufferAgeMillis: 20
    dataProcessingOptions:
      - optionName: CSVTOJSON
        customFieldNames: [name, count]
log.statusReportingPeriodSeconds: 1
`), 0o644)
	var want strings.Builder
	f, _ := os.OpenFile(csv, os.O_WRONLY|os.O_APPEND, 0)
	for i := range 200 {
		fmt.Fprintf(f, "item-%d,%d\n", i, i*i)
		fmt.Fprintf(&want, `{"name":"item-%d","count":"%d"}`+"\n", i, i*i)
	}
	f.Close()

	actx, cancel := context.WithCancel(ctx)
	var stderr syncBuffer
	done := make(chan int, 1)
	env := map[string]string{"AWS_ACCESS_KEY_ID": testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": testCreds.SecretAccessKey}
	go func() {
		done <- runAgent(actx, []string{"--config", config, "--endpoint", srv.URL(), "--poll-interval", "10ms"},
			func(k string) string { return env[k] }, &stderr)
	}()
	bucket := filepath.Join(cfg.DataDir, "s3", "fh")
	names := waitObjects(t, bucket, want.Len())
	if got := readObjects(t, bucket, names); string(got) != want.String() {
		t.Fatalf("bucket holds\n%s\nwant\n%s", got, want.String())
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "agent status") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	status := stderr.String()
	if !strings.Contains(status, "sent=200") || !strings.Contains(status, "behind_bytes=0") {
		t.Fatalf("no status line with the counts:\n%s", status)
	}
}

// TestAgentFlags refuses a missing or broken configuration with exit 2.
func TestAgentFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"flows": [{"filePattern": "/tmp/x", "kinesisStream": "a", "deliveryStream": "b"}]}`), 0o644)
	for _, args := range [][]string{{}, {"--config", filepath.Join(dir, "missing.yaml")}, {"--config", bad}} {
		var stderr syncBuffer
		if code := runAgent(context.Background(), args, func(string) string { return "" }, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr.String())
		}
	}
}

// TestAgentRecoversDeliveredBatch makes the case a kill -9 rarely hits on
// purpose: a batch stored in the stream whose checkpoint still holds it
// as in flight (the agent died between delivery and the checkpoint). A
// copy of the checkpoint taken while the last batch was in flight is put
// back after the agent is killed; the restarted agent finds the batch in
// the stream and sends none of it again. The agent starts before its
// stream exists and waits for it.
func TestAgentRecoversDeliveredBatch(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	dir := t.TempDir()
	log, cp := filepath.Join(dir, "app.log"), filepath.Join(dir, "cp.json")
	config := filepath.Join(dir, "agent.yaml")
	os.WriteFile(config, []byte("checkpointFile: "+cp+"\nflows:\n  - filePattern: "+log+"\n    kinesisStream: logs\n"+
		"    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 20\n"), 0o644)
	// The agent starts before its stream exists, and waits for it.
	agent := startAgentProc(t, config, srv.URL())
	defer func() { agent.kill() }()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(agent.log(), "cannot start sending") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := kc.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String("logs"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}

	// inFlight returns a checkpoint content whose intent ends at size.
	inFlight := func(b []byte, size int64) bool {
		var c struct {
			Flows map[string]struct {
				Intent *struct {
					Ends []int64 `json:"ends"`
				} `json:"intent"`
			} `json:"flows"`
		}
		if json.Unmarshal(b, &c) != nil {
			return false
		}
		for _, f := range c.Flows {
			if f.Intent != nil && len(f.Intent.Ends) > 0 && f.Intent.Ends[len(f.Intent.Ends)-1] == size {
				return true
			}
		}
		return false
	}
	n := 0
	var snapshot []byte
	for attempt := 0; snapshot == nil; attempt++ {
		if attempt == 20 {
			t.Fatal("never saw the checkpoint with the last batch in flight")
		}
		stop := make(chan struct{})
		var copies [][]byte
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if b, err := os.ReadFile(cp); err == nil && bytes.Contains(b, []byte(`"intent"`)) {
					copies = append(copies, b)
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
		writeLines(t, log, n, n+30)
		n += 30
		waitStream(t, kc, "logs", n, agent)
		close(stop)
		<-done
		fi, _ := os.Stat(log)
		for _, b := range copies {
			if inFlight(b, fi.Size()) {
				snapshot = b
			}
		}
	}
	agent.kill()
	if err := os.WriteFile(cp, snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	writeLines(t, log, n, n+20)
	n += 20
	agent = startAgentProc(t, config, srv.URL())
	waitStream(t, kc, "logs", n, agent)
	recovered := regexp.MustCompile(`records=(\d+) already_stored=(\d+)`)
	deadline = time.Now().Add(time.Minute)
	for recovered.FindStringSubmatch(agent.log()) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if m := recovered.FindStringSubmatch(agent.log()); m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("no recovery of the whole delivered batch in the log:\n%s", agent.log())
	}
	checkOnceInOrder(t, streamLines(t, kc, "logs"), n, true)
}

// TestAgentConfigJSONAndYAML reads an agent.json as the Kinesis Agent's
// users write it (tabs, dotted top-level keys, string booleans) and the
// same settings in YAML into one configuration.
func TestAgentConfigJSONAndYAML(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "agent.json")
	os.WriteFile(js, []byte("{\n\t\"cloudwatch.emitMetrics\": true,\n\t\"kinesis.endpoint\": \"kinesis.us-east-1.amazonaws.com\",\n"+
		"\t\"firehose.endpoint\": \"http://127.0.0.1:8080\",\n\t\"awsAccessKeyId\": \"AKID\",\n\t\"awsSecretAccessKey\": \"S\",\n"+
		"\t\"flows\": [{\n\t\t\"filePattern\": \"/var/log/app/*.log\",\n\t\t\"kinesisStream\": \"s\",\n\t\t\"partitionKeyOption\": \"DETERMINISTIC\",\n"+
		"\t\t\"multiLineStartPattern\": \"\\\\[\",\n\t\t\"truncatedRecordTerminator\": \"...\",\n\t\t\"maxBufferAgeMillis\": 1000,\n"+
		"\t\t\"dataProcessingOptions\": [{\"optionName\": \"ADDMETADATA\", \"timestamp\": \"true\", \"metadata\": {\"a\": 1}},\n"+
		"\t\t\t{\"optionName\": \"CSVTOJSON\", \"customFieldNames\": [\"x\", \"y\"], \"delimiter\": \"\\\\t\"}]\n\t}]\n}\n"), 0o644)
	yml := filepath.Join(dir, "agent.yaml")
	os.WriteFile(yml, []byte(`cloudwatch.emitMetrics: true
kinesis.endpoint: kinesis.us-east-1.amazonaws.com
firehose.endpoint: http://127.0.0.1:8080
awsAccessKeyId: AKID
awsSecretAccessKey: S
flows:
  - filePattern: /var/log/app/*.log
    kinesisStream: s
    partitionKeyOption: DETERMINISTIC
    multiLineStartPattern: '\['
    truncatedRecordTerminator: '...'
    maxBufferAgeMillis: 1000
    dataProcessingOptions:
      - {optionName: ADDMETADATA, timestamp: "true", metadata: {a: 1}}
      - {optionName: CSVTOJSON, customFieldNames: [x, y], delimiter: '\t'}
`), 0o644)
	a, err := readAgentConfig(js)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readAgentConfig(yml)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("JSON and YAML differ:\n%s\n%s", ja, jb)
	}
	f := a.Flows[0]
	if a.KinesisEndpoint != "kinesis.us-east-1.amazonaws.com" || a.AccessKeyID != "AKID" || f.MultiLineStartPattern != `\[` ||
		f.TruncatedRecordTerm == nil || *f.TruncatedRecordTerm != "..." || f.MaxBufferAgeMillis != 1000 ||
		len(f.DataProcessingOptions) != 2 || *f.DataProcessingOptions[1].Delimiter != `\t` ||
		a.CheckpointFile != filepath.Join(dir, "agent-checkpoint.json") || a.Ignored["cloudwatch.emitMetrics"] != true {
		t.Fatalf("config %+v", a)
	}
	if endpointURL(a.KinesisEndpoint) != "https://kinesis.us-east-1.amazonaws.com" {
		t.Fatal(endpointURL(a.KinesisEndpoint))
	}
}
