package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/shardcast/shardcast/datastreams/seqnum"
)

// wireAnswer is an HTTP answer as it came over the wire.
type wireAnswer struct {
	status int
	header http.Header
	body   string
}

// kinesisCall sends one signed Kinesis request with exactly the given
// Content-Type (none when "") and body.
func kinesisCall(t *testing.T, url, op, contentType, body string) wireAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, testCreds, req, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) wireAnswer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return wireAnswer{status: res.StatusCode, header: res.Header, body: string(b)}
}

// decimal turns a sequence number's hexadecimal layout into the decimal a
// client sends.
func decimal(h string) string {
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic(h)
	}
	return n.String()
}

// greater reports whether decimal a > decimal b.
func greater(a, b string) bool {
	x, _ := new(big.Int).SetString(a, 10)
	y, _ := new(big.Int).SetString(b, 10)
	return x != nil && y != nil && x.Cmp(y) > 0
}

const jsonType = "application/x-amz-json-1.1"

// TestKinesisWireDetails checks, byte for byte, answers in which shardcast
// used to differ from AWS: content types and empty bodies, empty results,
// x-amz-id-2, validation of ShardCount, shard ids echoed as given, the
// StartingSequenceNumber of another shard, the size limit a record is held
// to, and SequenceNumberForOrdering (accepted in every AWS layout, refused
// when malformed, and always answered with a greater number).
func TestKinesisWireDetails(t *testing.T) {
	srv := startServer(t, testConfig(t))
	url := srv.URL()
	invalidOrdering := func(n string) string {
		return `{"__type":"InvalidArgumentException","message":"ExclusiveMinimumSequenceNumber ` + n +
			` used in PutRecord on stream wire under account 000000000000 is invalid."}`
	}
	// Results of earlier cases that later ones use.
	var first struct{ ShardId, SequenceNumber string }
	var last struct{ ShardId, SequenceNumber string }
	put := func(pk, extra string) string {
		return `{"StreamName":"wire","PartitionKey":"` + pk + `","Data":"eA=="` + extra + `}`
	}
	ordering := func(n string) string { return put("ordered", `,"SequenceNumberForOrdering":"`+n+`"`) }
	farther := func() string {
		p, err := seqnum.Parse(first.SequenceNumber)
		if err != nil {
			t.Fatal(err)
		}
		p.Counter += 1000
		return seqnum.Format(p)
	}
	var futureSeq string
	future := func() string {
		if futureSeq == "" {
			p, _ := seqnum.Parse(first.SequenceNumber)
			p.Arrival = time.Now().Add(time.Hour).Unix()
			futureSeq = seqnum.Format(p)
		}
		return futureSeq
	}
	oversized := strings.Repeat("x", 1<<20-1) // with the key "ab", one byte over 1 MiB
	exact := func(status int, contentType, body string) func(*testing.T, wireAnswer) {
		return func(t *testing.T, a wireAnswer) {
			t.Helper()
			if a.status != status || a.body != body {
				t.Fatalf("answer %d %q\nwant   %d %q", a.status, a.body, status, body)
			}
			if got, ok := a.header["Content-Type"]; contentType == "" && ok {
				t.Fatalf("Content-Type %q, want none", got)
			} else if contentType != "" && a.header.Get("Content-Type") != contentType {
				t.Fatalf("Content-Type %q, want %q", a.header.Get("Content-Type"), contentType)
			}
		}
	}
	emptyResult := func(t *testing.T, a wireAnswer) {
		t.Helper()
		exact(http.StatusOK, jsonType, "")(t, a)
		if a.header.Get("Content-Length") != "0" {
			t.Fatalf("Content-Length %q, want 0", a.header.Get("Content-Length"))
		}
	}
	stored := func(into *struct{ ShardId, SequenceNumber string }, above func() string) func(*testing.T, wireAnswer) {
		return func(t *testing.T, a wireAnswer) {
			t.Helper()
			if a.status != http.StatusOK {
				t.Fatalf("answer %d %s", a.status, a.body)
			}
			var out struct{ ShardId, SequenceNumber string }
			if err := json.Unmarshal([]byte(a.body), &out); err != nil || out.SequenceNumber == "" {
				t.Fatalf("answer %s: %v", a.body, err)
			}
			if into != nil {
				*into = out
			}
			if above != nil && !greater(out.SequenceNumber, above()) {
				t.Fatalf("answered %s, not above %s", out.SequenceNumber, above())
			}
		}
	}
	awsAllF := decimal("2ffffffffff7fffffffffffffff000000000007fffffff2") // accepted by AWS
	for _, c := range []struct {
		name, op, contentType string
		body                  func() string
		check                 func(*testing.T, wireAnswer)
	}{
		{"CreateStream answers an empty body", "CreateStream", jsonType, func() string { return `{"StreamName":"wire","ShardCount":2}` }, emptyResult},
		{"ShardCount above the maximum", "CreateStream", jsonType, func() string { return `{"StreamName":"huge","ShardCount":100001}` },
			exact(400, jsonType, `{"__type":"ValidationException","message":"1 validation error detected: Value '100001' at 'shardCount' failed to satisfy constraint: Member must have value less than or equal to 100000"}`)},
		{"AddTagsToStream answers an empty body", "AddTagsToStream", jsonType, func() string { return `{"StreamName":"wire","Tags":{"team":"video"}}` }, emptyResult},
		{"IncreaseStreamRetentionPeriod answers an empty body", "IncreaseStreamRetentionPeriod", jsonType, func() string { return `{"StreamName":"wire","RetentionPeriodHours":48}` }, emptyResult},
		{"empty body", "ListStreams", jsonType, func() string { return "" }, exact(400, jsonType, `{"__type":"SerializationException"}`)},
		{"no Content-Type", "ListStreams", "", func() string { return "{}" }, exact(404, "", "<UnknownOperationException/>\n")},
		{"unknown Content-Type", "ListStreams", "text/plain", func() string { return "{}" }, exact(404, "", "<UnknownOperationException/>\n")},
		{"JSON 1.0 Content-Type", "ListStreams", "application/x-amz-json-1.0", func() string { return "{}" }, exact(404, "", "<UnknownOperationException/>\n")},
		{"no Content-Type and no body", "PutRecord", "", func() string { return "" }, exact(404, "", "<UnknownOperationException/>\n")},
		{"older JSON protocol", "ListStreams", "application/json", func() string { return "{}" },
			exact(200, "application/json", `{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException","message":null},"Version":"1.0"}`)},
		{"first record", "PutRecord", jsonType, func() string { return put("ordered", "") }, stored(&first, nil)},
		{"record of the last shard", "PutRecord", jsonType,
			func() string { return put("end", `,"ExplicitHashKey":"340282366920938463463374607431768211455"`) }, stored(&last, nil)},
		{"unknown shard echoed as given", "GetShardIterator", jsonType,
			func() string { return `{"StreamName":"wire","ShardId":"shardId-7","ShardIteratorType":"TRIM_HORIZON"}` },
			exact(400, jsonType, `{"__type":"ResourceNotFoundException","message":"Shard shardId-7 in stream wire under account 000000000000 does not exist"}`)},
		{"unknown shard by number echoed as given", "GetShardIterator", jsonType,
			func() string { return `{"StreamName":"wire","ShardId":"9","ShardIteratorType":"TRIM_HORIZON"}` },
			exact(400, jsonType, `{"__type":"ResourceNotFoundException","message":"Shard 9 in stream wire under account 000000000000 does not exist"}`)},
		{"StartingSequenceNumber of another shard", "GetShardIterator", jsonType,
			func() string {
				return `{"StreamName":"wire","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"` + last.SequenceNumber + `"}`
			},
			exact(400, jsonType, `{"__type":"InvalidArgumentException","message":"Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000"}`)},
		{"StartingSequenceNumber of another shard, older layout", "GetShardIterator", jsonType,
			func() string {
				return `{"StreamName":"wire","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"` +
					decimal("20000000000000000000000000000000000000000000031") + `"}`
			},
			exact(400, jsonType, `{"__type":"InvalidArgumentException","message":"Invalid StartingSequenceNumber. It encodes shardId-000000000003, while it was used in a call to a shard with shardId-000000000000"}`)},
		{"record over the limit by its key", "PutRecord", jsonType,
			func() string {
				return `{"StreamName":"wire","PartitionKey":"ab","Data":"` + base64.StdEncoding.EncodeToString([]byte(oversized)) + `"}`
			},
			exact(400, jsonType, `{"__type":"ValidationException","message":"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048575 cap=1048575]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048574"}`)},
		{"ordering: zero", "PutRecord", jsonType, func() string { return ordering("0") }, stored(nil, func() string { return "0" })},
		{"ordering: version 1, all zeros", "PutRecord", jsonType,
			func() string { return ordering(decimal("20000000000000000000000000000000000000000000001")) },
			stored(nil, func() string { return decimal("20000000000000000000000000000000000000000000001") })},
		{"ordering: version 2, every field at its maximum", "PutRecord", jsonType, func() string { return ordering(awsAllF) }, stored(nil, nil)},
		{"ordering: a later counter of the same shard", "PutRecord", jsonType, func() string { return ordering(farther()) }, stored(nil, farther)},
		{"ordering: the next record stays above", "PutRecord", jsonType, func() string { return put("ordered", "") }, stored(nil, farther)},
		{"ordering: negative shard index", "PutRecord", jsonType,
			func() string { return ordering(decimal("20000000000000000000000000000000000000800000002")) },
			exact(400, jsonType, invalidOrdering(decimal("20000000000000000000000000000000000000800000002")))},
		{"ordering: counter all f", "PutRecord", jsonType,
			func() string { return ordering(decimal("20000000000ffffffffffffffff00000000000000000002")) },
			exact(400, jsonType, invalidOrdering(decimal("20000000000ffffffffffffffff00000000000000000002")))},
		{"ordering: version 3", "PutRecord", jsonType,
			func() string { return ordering(decimal("20000000000000000000000000000000000000000000003")) },
			exact(400, jsonType, invalidOrdering(decimal("20000000000000000000000000000000000000000000003")))},
		{"ordering: wrong length", "PutRecord", jsonType,
			func() string { return ordering("12345678901234567890123456789012345678901234567890") },
			exact(400, jsonType, invalidOrdering("12345678901234567890123456789012345678901234567890"))},
		{"ordering: arrival in the future", "PutRecord", jsonType, func() string { return ordering(future()) },
			func(t *testing.T, a wireAnswer) { exact(400, jsonType, invalidOrdering(future()))(t, a) }},
		{"DeleteStream answers an empty body", "DeleteStream", jsonType, func() string { return `{"StreamName":"wire"}` }, emptyResult},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := kinesisCall(t, url, c.op, c.contentType, c.body())
			c.check(t, a)
			if a.header.Get("X-Amzn-Requestid") == "" {
				t.Fatal("no x-amzn-RequestId")
			}
			if id, err := base64.StdEncoding.DecodeString(a.header.Get("X-Amz-Id-2")); err != nil || len(id) < 72 || len(id) > 80 {
				t.Fatalf("x-amz-id-2 %q", a.header.Get("X-Amz-Id-2"))
			}
		})
	}
}

// TestKVSWireDetails: an init segment asked for without the non-AWS
// SequenceNumber is the session's, unknown KVS paths answer an AWS-shaped
// JSON error, and an RTSP publish to a path that is no stream name (..) is
// refused with 400 before any stream is made.
func TestKVSWireDetails(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()

	t.Run("unknown KVS path", func(t *testing.T) {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			req, _ := http.NewRequest(method, url+"/getNoSuchThing", strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			a := do(t, req)
			if a.status != 404 || a.header.Get("Content-Type") != "application/json" || a.header.Get("X-Amzn-Errortype") != "UnknownOperationException" ||
				a.body != `{"__type":"UnknownOperationException"}` {
				t.Fatalf("%s: %d %s %q", method, a.status, a.header, a.body)
			}
		}
	})

	t.Run("RTSP publish to ..", func(t *testing.T) {
		for _, name := range []string{"..", "."} {
			conn, err := net.Dial("tcp", srv.rtsp.Addr())
			if err != nil {
				t.Fatal(err)
			}
			sdp := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"
			fmt.Fprintf(conn, "ANNOUNCE rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
				srv.rtsp.Addr(), name, len(sdp), sdp)
			status, err := textproto.NewReader(bufio.NewReader(conn)).ReadLine()
			conn.Close()
			if err != nil || status != "RTSP/1.0 400 Bad Request" {
				t.Fatalf("ANNOUNCE to %s: %q %v", name, status, err)
			}
		}
		out, err := kvsClient(url).ListStreams(ctx, &kinesisvideo.ListStreamsInput{})
		if err != nil || len(out.StreamInfoList) != 0 {
			t.Fatalf("streams after refused publishes: %+v %v", out, err)
		}
	})

	t.Run("init segment without SequenceNumber", func(t *testing.T) {
		const stream = "initcam"
		runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 3, "tcp", "h264"))
		waitIdle(t, srv)
		out, err := archivedClient(t, url, stream).GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
			StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now())}}})
		if err != nil {
			t.Fatal(err)
		}
		pm, mediaURL := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
		if pm.Map == nil {
			t.Fatal("no EXT-X-MAP")
		}
		base := mediaURL[:strings.LastIndexByte(mediaURL, '/')+1]
		want := getBytes(t, base+pm.Map.URI)
		token := strings.SplitN(strings.SplitN(*out.HLSStreamingSessionURL, "SessionToken=", 2)[1], "&", 2)[0]
		a := do(t, mustRequest(t, base+"getMP4InitFragment.mp4?SessionToken="+token))
		if a.status != 200 || a.header.Get("Content-Type") != "video/mp4" || !bytes.Equal([]byte(a.body), want) {
			t.Fatalf("init without SequenceNumber: %d %s, %d bytes (want %d)", a.status, a.header.Get("Content-Type"), len(a.body), len(want))
		}
	})
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func getBytes(t *testing.T, url string) []byte {
	t.Helper()
	a := do(t, mustRequest(t, url))
	if a.status != 200 {
		t.Fatalf("GET %s: %d %s", url, a.status, a.body)
	}
	return []byte(a.body)
}

// TestSDKWireDetails: the AWS SDK for Go sees the same answers, and takes
// the empty results of operations without output.
func TestSDKWireDetails(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := client(srv.URL(), testCreds)
	createStream(t, c, "sdkwire", 2)
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("huge"), ShardCount: aws.Int32(100001)})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '100001' at 'shardCount' failed to satisfy constraint: Member must have value less than or equal to 100000")
	if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("sdkwire"), Tags: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("sdkwire"), ShardId: aws.String("shardId-5"), ShardIteratorType: "TRIM_HORIZON"})
	wantErr(t, err, "ResourceNotFoundException", "Shard shardId-5 in stream sdkwire under account 000000000000 does not exist")

	first, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("sdkwire"), PartitionKey: aws.String("pk"), Data: []byte("1")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := seqnum.Parse(*first.SequenceNumber)
	if err != nil {
		t.Fatal(err)
	}
	p.Counter += 5000
	ahead := seqnum.Format(p)
	for _, given := range []string{decimal("20000000000000000000000000000000000000000000001"), "0", ahead, *first.SequenceNumber} {
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("sdkwire"), PartitionKey: aws.String("pk"), Data: []byte("2"),
			SequenceNumberForOrdering: aws.String(given)})
		if err != nil {
			t.Fatalf("ordering after %s: %v", given, err)
		}
		if !greater(*out.SequenceNumber, given) || (given == *first.SequenceNumber && !greater(*out.SequenceNumber, ahead)) {
			t.Fatalf("ordering after %s: answered %s", given, *out.SequenceNumber)
		}
	}
	bad := decimal("20000000000000000000000000000000000000800000002")
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("sdkwire"), PartitionKey: aws.String("pk"), Data: []byte("3"), SequenceNumberForOrdering: aws.String(bad)})
	wantErr(t, err, "InvalidArgumentException", "ExclusiveMinimumSequenceNumber "+bad+" used in PutRecord on stream sdkwire under account 000000000000 is invalid.")
	// Reading the shard back passes over the numbers skipped.
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("sdkwire"), ShardId: first.ShardId, ShardIteratorType: "TRIM_HORIZON"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 5 {
		t.Fatalf("read back: %v %v", recs, err)
	}
	for i := 1; i < len(recs.Records); i++ {
		if !greater(*recs.Records[i].SequenceNumber, *recs.Records[i-1].SequenceNumber) {
			t.Fatalf("records out of order: %s after %s", *recs.Records[i].SequenceNumber, *recs.Records[i-1].SequenceNumber)
		}
	}
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("sdkwire")}); err != nil {
		t.Fatal(err)
	}
}
