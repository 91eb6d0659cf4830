package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	ftypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	ka "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// The web console's tests drive it in headless Chromium with
// playwright-core (testdata/ui/console.mjs, its npm packages pinned and
// installed by make deps), as a user would: clicks, typing, the fake
// camera. A failing scenario leaves screenshots of its pages; the test
// names them.

const consoleDir = "testdata/ui"

// consoleKey is the key the console tests log in with.
var consoleKey = aws.Credentials{AccessKeyID: "AKIDCONSOLE", SecretAccessKey: "console-secret-for-tests"}

// runConsole runs a scenario of console.mjs against base and returns its
// result; env adds NAME=value pairs.
func runConsole(t testing.TB, base, scenario string, env ...string) map[string]any {
	t.Helper()
	need(t, "chromium")
	need(t, "node")
	if _, err := os.Stat(filepath.Join(consoleDir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run make deps (npm ci there)", consoleDir)
	}
	out := t.TempDir()
	cmd := exec.Command("node", "console.mjs", scenario)
	cmd.Dir = consoleDir
	cmd.Env = append(os.Environ(), append([]string{"BASE=" + base, "OUT=" + out}, env...)...)
	output, runErr := runWithin(cmd, 3*time.Minute)
	text := strings.TrimSpace(output)
	last := text[strings.LastIndex(text, "\n")+1:]
	var res struct {
		OK          bool           `json:"ok"`
		Result      map[string]any `json:"result"`
		Error       string         `json:"error"`
		Screenshots []string       `json:"screenshots"`
	}
	if err := json.Unmarshal([]byte(last), &res); err != nil || !res.OK {
		for _, s := range res.Screenshots {
			// Kept where the test's output names them: t.TempDir goes away.
			keep := filepath.Join(os.TempDir(), "shardcast-console-failures", t.Name(), filepath.Base(s))
			os.MkdirAll(filepath.Dir(keep), 0o755)
			if b, err := os.ReadFile(s); err == nil && os.WriteFile(keep, b, 0o644) == nil {
				t.Logf("screenshot: %s", keep)
			}
		}
		t.Fatalf("console scenario %s failed (%v): %s\n%s", scenario, runErr, res.Error, text)
	}
	res.Result["out"] = out
	t.Logf("%s: %v", scenario, res.Result)
	return res.Result
}

// techFilterSQL keeps the TECHNOLOGY sector's tickers and prices.
const techFilterSQL = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), price REAL);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, price FROM "SOURCE_SQL_STREAM_001" WHERE sector = 'TECHNOLOGY';`

// tick is the i-th record of a ticker input (tickerInput's schema).
func tick(i int, sector string) []byte {
	return fmt.Appendf(nil, `{"TICKER_SYMBOL":"T%d","SECTOR":"%s","CHANGE":0.5,"PRICE":%d.25}`, i%10, sector, 100+i%50)
}

// consoleConfig is a test configuration with the console's key.
func consoleConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.Auth.Keys = map[string]keyConfig{consoleKey.AccessKeyID: {Secret: consoleKey.SecretAccessKey},
		testCreds.AccessKeyID: {Secret: testCreds.SecretAccessKey}}
	return cfg
}

var consoleLogin = []string{"KEY=" + consoleKey.AccessKeyID, "SECRET=" + consoleKey.SecretAccessKey}

// TestConsoleVideo: logged in with a configured key, a user creates a video
// stream on the overview, publishes the fake camera to it from the publish
// page (WHIP), watches it live (the player's frames advance), sees its
// fragments on the timeline and a thumbnail on hover (GetImages), clicks
// into the past and plays recorded video (an HLS session, LIVE_REPLAY),
// and downloads a clip of a range (GetClip), which ffprobe reads as H.264.
func TestConsoleVideo(t *testing.T) {
	need(t, "ffprobe")
	srv := videoServer(t, false, func(c *Config) { *c = consoleConfigFrom(t, *c) })
	res := runConsole(t, srv.URL(), "video", append(consoleLogin, "STREAM=console-cam")...)
	if !strings.HasPrefix(fmt.Sprint(res["thumbnail"]), "data:image/jpeg;base64,") {
		t.Fatalf("thumbnail %v", res["thumbnail"])
	}
	if via := res["via"]; via != "WebRTC" && via != "HLS" {
		t.Fatalf("live via %v", via)
	}
	// The clip decodes whole, its timestamps grow, and it holds at least a
	// second of the fake camera's 25 frames/s.
	clip := fmt.Sprint(res["clip"])
	video, audio := probe(t, clip)
	if video < 25 {
		t.Fatalf("the clip holds %d video frames (%d audio)", video, audio)
	}
	t.Logf("clip: %d video frames, %d audio frames", video, audio)
}

// consoleConfigFrom adds the console's keys to a video server's config.
func consoleConfigFrom(t *testing.T, c Config) Config {
	c.Auth.Keys = consoleConfig(t).Auth.Keys
	return c
}

// TestConsoleData: a user creates a data stream, tails it from LATEST,
// puts a record from the page and sees it as text, JSON and hex; then
// splits the shard and sees the parent closed with its two children.
func TestConsoleData(t *testing.T) {
	srv := startServer(t, testConfig(t))
	res := runConsole(t, srv.URL(), "data", "STREAM=console-clicks")
	if res["shown"] != `{"hello":"console","n":7}` || !strings.Contains(fmt.Sprint(res["pretty"]), "\n  \"hello\": \"console\"") ||
		!strings.HasPrefix(fmt.Sprint(res["hex"]), "000000  7b 22 68 65") {
		t.Fatalf("the record as shown: %v", res)
	}
	lineage := fmt.Sprint(res["lineage"])
	for _, want := range []string{"shardId-000000000000 (closed)", "├─ shardId-000000000001", "└─ shardId-000000000002"} {
		if !strings.Contains(lineage, want) {
			t.Fatalf("lineage %q lacks %q", lineage, want)
		}
	}
	// The record is in the stream, as put.
	c := client(srv.URL(), testCreds)
	it, err := c.GetShardIterator(context.Background(), &kinesis.GetShardIteratorInput{StreamName: aws.String("console-clicks"),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: "TRIM_HORIZON"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(got.Records) != 1 || string(got.Records[0].Data) != `{"hello":"console","n":7}` || aws.ToString(got.Records[0].SequenceNumber) != res["seq"] {
		t.Fatalf("GetRecords: %v %+v", err, got)
	}
}

// TestConsoleDelivery: a user puts a record into a delivery stream from its
// page and watches it delivered; the HTTP endpoint receives it.
func TestConsoleDelivery(t *testing.T) {
	srv := startServer(t, testConfig(t))
	rcv := &fhReceiver{attrs: map[string]string{}}
	rcv.start(t)
	fhCreateHTTPStream(t, firehoseClient(srv.URL()), "console-hook", fhHTTPDest(rcv, "console-hook-errors", 60))
	res := runConsole(t, srv.URL(), "delivery", "STREAM=console-hook", `PAYLOAD={"from":"the console"}`)
	if res["lastDeliveryRecords"] != "1" {
		t.Fatalf("the last delivery shown: %v", res)
	}
	reqs := rcv.waitRecords(t, 1)
	if got := string(reqs[0].Records[0]); got != "{\"from\":\"the console\"}\n" {
		t.Fatalf("delivered %q", got)
	}
}

// TestConsoleSQL: a user starts a SQL application from its page and sees
// its output stream's records as the input flows.
func TestConsoleSQL(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	kc, ac := client(srv.URL(), testCreds), analyticsClient(srv.URL())
	createStream(t, kc, "console-ticks", 1)
	createStream(t, kc, "console-tech", 1)
	if _, err := ac.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("console-sql"), ApplicationCode: aws.String(techFilterSQL),
		Inputs:  []ka.Input{tickerInput("console-ticks")},
		Outputs: []ka.Output{streamOutput("DESTINATION_SQL_STREAM", "console-tech", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("console-ticks"), PartitionKey: aws.String("k"), Data: tick(i, "TECHNOLOGY")})
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	defer wg.Wait()
	defer close(stop)
	res := runConsole(t, srv.URL(), "sql", "STREAM=console-sql")
	first := fmt.Sprint(res["first"])
	if !strings.Contains(first, `"TICKER_SYMBOL": "T`) || !strings.Contains(first, `"PRICE"`) {
		t.Fatalf("output record %q", first)
	}
}

// TestConsoleLogin: with keys configured the console asks for one; a wrong
// secret is refused, the right one opens a session whose cookie is
// HttpOnly and SameSite=Strict; a request with the cookie but without the
// session's CSRF token is refused; logging out ends the session.
func TestConsoleLogin(t *testing.T) {
	srv := startServer(t, consoleConfig(t))
	res := runConsole(t, srv.URL(), "login", consoleLogin...)
	if !strings.Contains(fmt.Sprint(res["refused"]), "NotAuthorizedException") || res["httpOnly"] != true || res["sameSite"] != "Strict" ||
		res["noCSRF"] != float64(403) || res["who"] != consoleKey.AccessKeyID || res["loggedInAfterLogout"] != false {
		t.Fatalf("login: %v", res)
	}
}

// TestConsolePages: every page of the console, over a server with real
// cameras and data flowing, has no serious or critical accessibility
// violation (axe-core), in both themes. With SHARDCAST_SCREENSHOTS=DIR
// (make screenshots) it saves each page at 1280x800 to DIR instead.
func TestConsolePages(t *testing.T) {
	need(t, "ffmpeg")
	cfg := testConfig(t)
	cfg.Auth.Keys = consoleConfig(t).Auth.Keys
	srv := startServer(t, cfg)
	consoleScene(t, srv)
	shots := os.Getenv("SHARDCAST_SCREENSHOTS")
	if shots != "" {
		abs, err := filepath.Abs(filepath.Join("..", "..", shots))
		if err != nil {
			t.Fatal(err)
		}
		res := runConsole(t, srv.URL(), "screenshots", append(consoleLogin, "SHOTS="+strings.Join([]string{
			"overview.png=#/", "video.png=#/video/lobby", "wall.png=#/wall", "publish.png=#/publish/browser", "data.png=#/data/clicks",
			"delivery.png=#/delivery/to-web", "sql.png=#/sql/tech-filter", "overview-light.png=#/=light"}, " "))...)
		for file := range res {
			if file == "out" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(fmt.Sprint(res["out"]), file))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(abs, file), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("screenshots written to %s", abs)
		return
	}
	res := runConsole(t, srv.URL(), "a11y", append(consoleLogin, "ROUTES=#/ #/video/lobby #/wall #/publish/browser #/data/clicks #/delivery/to-web #/sql/tech-filter")...)
	if v, _ := res["violations"].(map[string]any); len(v) > 0 {
		b, _ := json.MarshalIndent(v, "", "  ")
		t.Fatalf("accessibility violations:\n%s", b)
	}
	paint := runConsole(t, srv.URL(), "paint", consoleLogin...)
	t.Logf("overview: first contentful paint %.0f ms on loopback", paint["firstContentfulPaintMs"])
}

// consoleScene fills srv with what a user's server holds: two cameras
// publishing, a data stream with records flowing in and read out, a
// delivery stream delivering to an HTTP endpoint, and a SQL application
// filtering a stream. It stops them when the test ends.
func consoleScene(t *testing.T, srv *testServer) {
	t.Helper()
	for _, cam := range []string{"lobby", "dock"} {
		c := ffmpegCamera(t, "rtsp://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+srv.rtsp.Addr()+"/"+cam, 600, "tcp", "h264")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	kc, fc, ac := client(srv.URL(), testCreds), firehoseClient(srv.URL()), analyticsClient(srv.URL())
	createStream(t, kc, "clicks", 2)
	createStream(t, kc, "ticks", 1)
	createStream(t, kc, "tech", 1)
	rcv := &fhReceiver{attrs: map[string]string{}}
	rcv.start(t)
	fhCreateHTTPStream(t, fc, "to-web", fhHTTPDest(rcv, "to-web-errors", 60))
	if _, err := ac.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("tech-filter"), ApplicationCode: aws.String(techFilterSQL),
		Inputs: []ka.Input{tickerInput("ticks")}, Outputs: []ka.Output{streamOutput("DESTINATION_SQL_STREAM", "tech", "JSON")}}); err != nil {
		t.Fatal(err)
	}
	startApp(t, ac, "tech-filter")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sectors := []string{"TECHNOLOGY", "ENERGY", "RETAIL"}
		for i := 0; ; i++ {
			kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("clicks"), PartitionKey: aws.String(fmt.Sprint("user-", i%7)),
				Data: []byte(fmt.Sprintf(`{"user":"user-%d","page":"/item/%d","ms":%d}`, i%7, i%40, 20+i%90))})
			kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("ticks"), PartitionKey: aws.String("k"), Data: tick(i, sectors[i%3])})
			fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("to-web"),
				Record: &ftypes.Record{Data: []byte(fmt.Sprintf(`{"event":%d}`+"\n", i))}})
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	// A reader of clicks, so its records/s out and iterator age are live.
	wg.Go(func() {
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("clicks"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: "TRIM_HORIZON"})
		if err != nil {
			return
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				return
			}
			iter = out.NextShardIterator
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
		}
	})
	t.Cleanup(func() { close(stop); wg.Wait() })
	// Wait for the cameras' first fragments.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, s := range srv.ingest.Sessions() {
			if s.Fragments >= 2 {
				n++
			}
		}
		if n == 2 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the cameras did not store fragments within 30 s")
}
