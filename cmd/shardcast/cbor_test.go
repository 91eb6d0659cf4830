package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	kinesisapi "github.com/shardcast/shardcast/web/kinesis"
)

const cborType = "application/x-amz-cbor-1.1"

// blobV and tsV are the request values whose shape differs between JSON
// (base64 text, epoch seconds) and CBOR (a byte string, tag 1 and epoch
// milliseconds, as the Java SDKs send them).
type (
	blobV []byte
	tsV   time.Time
)

// wireValue turns a request value into what encoding/json or
// fxamacker/cbor writes in the given format.
func wireValue(v any, asCBOR bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = wireValue(x, asCBOR)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = wireValue(x, asCBOR)
		}
		return out
	case blobV:
		if asCBOR {
			return []byte(v)
		}
		return base64.StdEncoding.EncodeToString(v)
	case tsV:
		ms := time.Time(v).UnixMilli()
		if asCBOR {
			return cbor.Tag{Number: 1, Content: ms}
		}
		return json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
	}
	return v
}

func encodeRequest(t *testing.T, v any, asCBOR bool) string {
	t.Helper()
	var b []byte
	var err error
	if asCBOR {
		b, err = cbor.Marshal(wireValue(v, true))
	} else {
		b, err = json.Marshal(wireValue(v, false))
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cborWorld is one of the two sets of streams the comparison runs on: the
// same requests, one set in JSON, the other in CBOR. Names differ only in
// the prefix, which normalization maps to the JSON one.
type cborWorld struct {
	prefix string
	cbor   bool
	vals   map[string]string
}

func (w *cborWorld) n(s string) string { return w.prefix + s }
func (w *cborWorld) arn(s string) string {
	return "arn:aws:kinesis:us-east-1:000000000000:stream/" + w.n(s)
}

// normAnswer decodes an answer body into plain values in JSON's terms:
// blobs as base64, timestamps as epoch seconds, numbers as float64, names
// of the CBOR world as those of the JSON world.
func normAnswer(t *testing.T, body string, asCBOR bool) any {
	t.Helper()
	if body == "" {
		return nil
	}
	var v any
	if asCBOR {
		if err := cbor.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("CBOR answer %x: %v", body, err)
		}
	} else {
		d := json.NewDecoder(strings.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("JSON answer %s: %v", body, err)
		}
	}
	return normValue(t, v)
}

func normValue(t *testing.T, v any) any {
	switch v := v.(type) {
	case map[any]any:
		out := map[string]any{}
		for k, x := range v {
			ks, ok := k.(string)
			if !ok {
				t.Fatalf("CBOR map key %v is not text", k)
			}
			out[ks] = normValue(t, x)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = normValue(t, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normValue(t, x)
		}
		return out
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		// fxamacker reads tag 1 as seconds; AWS's content is integer
		// milliseconds, so the "seconds" are the milliseconds.
		if v.Nanosecond() != 0 {
			t.Fatalf("a CBOR timestamp is not integer epoch milliseconds: %v", v)
		}
		return float64(v.Unix()) / 1000
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	case uint64:
		return float64(v)
	case int64:
		return float64(v)
	case float64:
		return v
	case string:
		return strings.ReplaceAll(v, "cborw", "jsonw")
	}
	return v
}

// volatileKeys name members whose values differ between two equal
// requests made a moment apart (sequence numbers, iterators, times): only
// their presence and type are compared.
var volatileKeys = map[string]bool{
	"SequenceNumber": true, "StartingSequenceNumber": true, "EndingSequenceNumber": true,
	"ShardIterator": true, "NextShardIterator": true, "NextToken": true,
	"StreamCreationTimestamp": true, "ApproximateArrivalTimestamp": true, "MillisBehindLatest": true,
	// A consumer's ARN holds its creation second; its status moves from
	// CREATING to ACTIVE on its own.
	"ConsumerARN": true, "ConsumerCreationTimestamp": true, "ConsumerStatus": true,
}

// sameAnswer compares two normalized answers field by field.
func sameAnswer(t *testing.T, path string, j, c any) {
	t.Helper()
	if reflect.TypeOf(j) != reflect.TypeOf(c) {
		t.Errorf("%s: JSON has %T %v, CBOR has %T %v", path, j, j, c, c)
		return
	}
	switch jv := j.(type) {
	case map[string]any:
		cv := c.(map[string]any)
		var keys []string
		for k := range jv {
			keys = append(keys, k)
		}
		for k := range cv {
			if _, ok := jv[k]; !ok {
				t.Errorf("%s.%s: only in the CBOR answer (%v)", path, k, cv[k])
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			x, ok := cv[k]
			if !ok {
				t.Errorf("%s.%s: missing from the CBOR answer (JSON: %v)", path, k, jv[k])
				continue
			}
			if volatileKeys[k] {
				if reflect.TypeOf(jv[k]) != reflect.TypeOf(x) {
					t.Errorf("%s.%s: JSON has %T, CBOR has %T", path, k, jv[k], x)
				}
				continue
			}
			sameAnswer(t, path+"."+k, jv[k], x)
		}
	case []any:
		cv := c.([]any)
		if len(jv) != len(cv) {
			t.Errorf("%s: JSON has %d items, CBOR %d", path, len(jv), len(cv))
			return
		}
		for i := range jv {
			sameAnswer(t, path+"["+strconv.Itoa(i)+"]", jv[i], cv[i])
		}
	default:
		if !reflect.DeepEqual(j, c) {
			t.Errorf("%s: JSON has %v, CBOR has %v", path, j, c)
		}
	}
}

// cborStep is one request of the comparison, made in both worlds.
type cborStep struct {
	op  string
	req func(w *cborWorld) map[string]any
	// keep records values of a world's answer for later steps.
	keep func(w *cborWorld, ans map[string]any)
}

func cborSteps(start time.Time) []cborStep {
	streamOf := func(s string) func(w *cborWorld) map[string]any {
		return func(w *cborWorld) map[string]any { return map[string]any{"StreamName": w.n(s)} }
	}
	return []cborStep{
		{op: "CreateStream", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardCount": 2}
		}},
		{op: "CreateStream", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("del"), "ShardCount": 1}
		}},
		{op: "DescribeStream", req: streamOf("a")},
		{op: "DescribeStreamSummary", req: streamOf("a")},
		{op: "ListStreams", req: func(*cborWorld) map[string]any { return map[string]any{"Limit": 100} }},
		{op: "ListShards", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardFilter": map[string]any{"Type": "FROM_TRIM_HORIZON"}}
		}},
		{op: "DescribeLimits", req: func(*cborWorld) map[string]any { return map[string]any{} }},
		{op: "IncreaseStreamRetentionPeriod", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "RetentionPeriodHours": 48}
		}},
		{op: "DecreaseStreamRetentionPeriod", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamARN": w.arn("a"), "RetentionPeriodHours": 24}
		}},
		{op: "AddTagsToStream", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "Tags": map[string]any{"team": "java", "env": "test"}}
		}},
		{op: "RemoveTagsFromStream", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "TagKeys": []any{"env"}}
		}},
		{op: "ListTagsForStream", req: func(w *cborWorld) map[string]any { return map[string]any{"StreamName": w.n("a"), "Limit": 10} }},
		{op: "TagResource", req: func(w *cborWorld) map[string]any {
			return map[string]any{"ResourceARN": w.arn("a"), "Tags": map[string]any{"kcl": "3"}}
		}},
		{op: "UntagResource", req: func(w *cborWorld) map[string]any {
			return map[string]any{"ResourceARN": w.arn("a"), "TagKeys": []any{"team"}}
		}},
		{op: "ListTagsForResource", req: func(w *cborWorld) map[string]any { return map[string]any{"ResourceARN": w.arn("a")} }},
		{op: "StartStreamEncryption", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
		}},
		{op: "PutRecord", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "PartitionKey": "k1", "Data": blobV{0, 1, 2, 0xff}}
		}},
		{op: "PutRecords", req: func(w *cborWorld) map[string]any {
			recs := []any{}
			for i := range 5 {
				recs = append(recs, map[string]any{"PartitionKey": "k1", "Data": blobV(bytes.Repeat([]byte{byte(i)}, 100*i))})
			}
			recs = append(recs, map[string]any{"PartitionKey": "ü", "ExplicitHashKey": "1", "Data": blobV("x")})
			return map[string]any{"StreamName": w.n("a"), "Records": recs}
		}},
		{op: "StopStreamEncryption", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
		}},
		{op: "PutRecord", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "PartitionKey": "k1", "Data": blobV{}}
		}},
		{op: "GetShardIterator", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": tsV(start)}
		}, keep: func(w *cborWorld, ans map[string]any) { w.vals["iter0"], _ = ans["ShardIterator"].(string) }},
		{op: "GetShardIterator", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardId": "shardId-000000000001", "ShardIteratorType": "TRIM_HORIZON"}
		}, keep: func(w *cborWorld, ans map[string]any) { w.vals["iter1"], _ = ans["ShardIterator"].(string) }},
		{op: "GetRecords", req: func(w *cborWorld) map[string]any {
			return map[string]any{"ShardIterator": w.vals["iter0"], "Limit": 100}
		}},
		{op: "GetRecords", req: func(w *cborWorld) map[string]any { return map[string]any{"ShardIterator": w.vals["iter1"]} }},
		// Resharding, then the end of the closed parent: no next
		// iterator, and ChildShards.
		{op: "SplitShard", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "85070591730234615865843651857942052864"}
		}},
		{op: "GetShardIterator", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"}
		}, keep: func(w *cborWorld, ans map[string]any) { w.vals["iterEnd"], _ = ans["ShardIterator"].(string) }},
		{op: "GetRecords", req: func(w *cborWorld) map[string]any { return map[string]any{"ShardIterator": w.vals["iterEnd"]} }},
		{op: "MergeShards", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "ShardToMerge": "shardId-000000000002", "AdjacentShardToMerge": "shardId-000000000003"}
		}},
		{op: "UpdateShardCount", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamName": w.n("a"), "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}
		}},
		{op: "ListShards", req: func(w *cborWorld) map[string]any { return map[string]any{"StreamName": w.n("a")} }},
		{op: "RegisterStreamConsumer", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamARN": w.arn("a"), "ConsumerName": "app", "Tags": map[string]any{"team": "java"}}
		}, keep: func(w *cborWorld, ans map[string]any) {
			c, _ := ans["Consumer"].(map[string]any)
			w.vals["consumer"], _ = c["ConsumerARN"].(string)
		}},
		{op: "DescribeStreamConsumer", req: func(w *cborWorld) map[string]any { return map[string]any{"ConsumerARN": w.vals["consumer"]} }},
		{op: "ListStreamConsumers", req: func(w *cborWorld) map[string]any { return map[string]any{"StreamARN": w.arn("a"), "MaxResults": 5} }},
		{op: "DeregisterStreamConsumer", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamARN": w.arn("a"), "ConsumerName": "app"}
		}},
		{op: "UpdateStreamMode", req: func(w *cborWorld) map[string]any {
			return map[string]any{"StreamARN": w.arn("del"), "StreamModeDetails": map[string]any{"StreamMode": "ON_DEMAND"}}
		}},
		{op: "DescribeStreamSummary", req: streamOf("del")},
		{op: "DeleteStream", req: streamOf("del")},
	}
}

// TestCBOREveryOperation sends every operation the Kinesis handler serves
// in JSON and in CBOR (encoded with fxamacker/cbor, signed with SigV4) to
// twin streams and compares the answers field by field. An operation added
// to the handler without a case here fails the test.
func TestCBOREveryOperation(t *testing.T) {
	srv := startServer(t, testConfig(t))
	url := srv.URL()
	start := time.Now().Add(-time.Second)
	steps := cborSteps(start)
	covered := map[string]bool{}
	for _, s := range steps {
		covered[s.op] = true
	}
	ops := kinesisapi.New(nil, nil, nil).Operations()
	sort.Strings(ops)
	for _, op := range ops {
		if !covered[op] {
			t.Errorf("operation %s has no CBOR case in cborSteps", op)
		}
	}
	worlds := []*cborWorld{{prefix: "jsonw", vals: map[string]string{}}, {prefix: "cborw", cbor: true, vals: map[string]string{}}}
	for i, s := range steps {
		var answers [2]wireAnswer
		var norm [2]any
		for k, w := range worlds {
			ct := jsonType
			if w.cbor {
				ct = cborType
			}
			answers[k] = kinesisCall(t, url, s.op, ct, encodeRequest(t, s.req(w), w.cbor))
			norm[k] = normAnswer(t, answers[k].body, w.cbor)
			if s.keep != nil {
				m, _ := norm[k].(map[string]any)
				s.keep(w, m)
			}
		}
		name := fmt.Sprintf("step %d %s", i, s.op)
		j, c := answers[0], answers[1]
		if j.status != 200 || c.status != 200 {
			t.Fatalf("%s: JSON %d %s; CBOR %d %v", name, j.status, j.body, c.status, norm[1])
		}
		if c.body != "" && c.header.Get("Content-Type") != cborType {
			t.Errorf("%s: CBOR answer's Content-Type %q", name, c.header.Get("Content-Type"))
		}
		if (j.body == "") != (c.body == "") {
			t.Errorf("%s: JSON body %q, CBOR body %x", name, j.body, c.body)
		}
		sameAnswer(t, name, norm[0], norm[1])
	}
	// The records read back in CBOR are the bytes written in CBOR, with
	// AWS's timestamp shape: tag 1 (0xc1) and integer epoch milliseconds.
	found := false
	for _, it := range []string{"iter0", "iter1"} {
		recs := kinesisCall(t, url, "GetRecords", cborType, encodeRequest(t, map[string]any{"ShardIterator": worlds[1].vals[it]}, true))
		var got struct {
			Records []struct {
				Data                        []byte
				ApproximateArrivalTimestamp cbor.RawMessage
			}
		}
		if err := cbor.Unmarshal([]byte(recs.body), &got); err != nil {
			t.Fatalf("GetRecords in CBOR: %v %x", err, recs.body)
		}
		for _, r := range got.Records {
			found = found || bytes.Equal(r.Data, []byte{0, 1, 2, 0xff})
			var ms int64
			ts := r.ApproximateArrivalTimestamp
			if len(ts) < 2 || ts[0] != 0xc1 || cbor.Unmarshal(ts[1:], &ms) != nil || ms < start.UnixMilli() || ms > time.Now().UnixMilli() {
				t.Fatalf("ApproximateArrivalTimestamp %x is not tag 1 + epoch ms around now", ts)
			}
		}
	}
	if !found {
		t.Fatal("the record put in CBOR was not read back in CBOR")
	}

	// Every operation refuses a body that is not a structure with the same
	// error in both formats.
	for _, op := range ops {
		j := kinesisCall(t, url, op, jsonType, `[]`)
		c := kinesisCall(t, url, op, cborType, "\x80")
		compareErrors(t, op+" with a list body", j, c)
	}
	// Errors of the handler and of the engine.
	for _, e := range []struct {
		op   string
		body map[string]any
	}{
		{"DescribeStreamSummary", map[string]any{"StreamName": "no-such-stream"}},
		{"PutRecord", map[string]any{"StreamName": "no-such-stream", "PartitionKey": "k", "Data": blobV("x")}},
		{"CreateStream", map[string]any{"StreamName": strings.Repeat("x", 129), "ShardCount": 0}},
		{"PutRecords", map[string]any{"StreamName": "jsonwa", "Records": []any{map[string]any{"Data": blobV("x")}}}},
		{"GetShardIterator", map[string]any{"StreamName": "jsonwa", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": "yesterday"}},
		{"ListShards", map[string]any{"StreamName": "jsonwa", "MaxResults": "ten"}},
		{"GetRecords", map[string]any{"ShardIterator": "not-an-iterator"}},
		{"PutRecord", map[string]any{"StreamName": "jsonwa", "PartitionKey": "k", "Data": blobV("x"), "DryRun": true}},
	} {
		j := kinesisCall(t, url, e.op, jsonType, encodeRequest(t, e.body, false))
		c := kinesisCall(t, url, e.op, cborType, encodeRequest(t, e.body, true))
		compareErrors(t, fmt.Sprintf("%s %v", e.op, e.body), j, c)
	}
	// Malformed CBOR: a SerializationException that says so.
	for name, body := range map[string]string{
		"truncated":      "\xa1\x6aStreamName\x63ab",
		"trailing bytes": "\xa0\x00",
		"invalid UTF-8":  "\xa1\x6aStreamName\x61\xff",
	} {
		c := kinesisCall(t, url, "DescribeStreamSummary", cborType, body)
		m := cborError(t, c)
		if c.status != 400 || m["__type"] != "SerializationException" || !strings.HasPrefix(fmt.Sprint(m["Message"]), "Malformed CBOR: ") {
			t.Errorf("%s: %d %v", name, c.status, m)
		}
	}
}

// cborError decodes a CBOR error answer, checking its framing.
func cborError(t *testing.T, a wireAnswer) map[string]any {
	t.Helper()
	if a.header.Get("Content-Type") != cborType {
		t.Errorf("CBOR error with Content-Type %q", a.header.Get("Content-Type"))
	}
	var m map[string]any
	if err := cbor.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("CBOR error body %x: %v", a.body, err)
	}
	if a.header.Get("X-Amzn-Errortype") != m["__type"] {
		t.Errorf("x-amzn-ErrorType %q, __type %v", a.header.Get("X-Amzn-Errortype"), m["__type"])
	}
	return m
}

// compareErrors checks that a CBOR error answer says what the JSON one does.
func compareErrors(t *testing.T, name string, j, c wireAnswer) {
	t.Helper()
	var jm map[string]any
	if err := json.Unmarshal([]byte(j.body), &jm); err != nil {
		t.Fatalf("%s: JSON error body %q: %v", name, j.body, err)
	}
	cm := cborError(t, c)
	if j.status == 200 || j.status != c.status || !reflect.DeepEqual(jm, cm) {
		t.Errorf("%s:\n JSON %d %v\n CBOR %d %v", name, j.status, jm, c.status, cm)
	}
}
