package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// noResultOps lists the Kinesis operations whose output, in the AWS SDK
// for Go's model, holds nothing but the SDK's own metadata (and is not an
// event stream): the operations AWS answers with an empty body.
func noResultOps(t *testing.T) []string {
	t.Helper()
	var ops []string
	ct := reflect.TypeOf(&kinesis.Client{})
	for i := 0; i < ct.NumMethod(); i++ {
		m := ct.Method(i)
		if m.Type.NumOut() != 2 {
			continue
		}
		out := m.Type.Out(0)
		if out.Kind() != reflect.Pointer || out.Elem().Kind() != reflect.Struct || out.Elem().Name() != m.Name+"Output" {
			continue
		}
		if _, stream := out.MethodByName("GetStream"); stream {
			continue // SubscribeToShard: its result is an event stream
		}
		empty := true
		for j := 0; j < out.Elem().NumField(); j++ {
			if f := out.Elem().Field(j); f.IsExported() && f.Name != "ResultMetadata" {
				empty = false
			}
		}
		if empty {
			ops = append(ops, m.Name)
		}
	}
	sort.Strings(ops)
	if len(ops) < 10 {
		t.Fatalf("the SDK's model names only %v as operations without a result", ops)
	}
	return ops
}

// TestEmptyResultOperations: every operation that AWS answers without a
// result answers 200 with an empty body, Content-Length 0 and the JSON
// protocol's Content-Type, over raw HTTP. The operations come from the
// SDK's model; one the server serves but this table lacks fails the test,
// and one it does not serve must answer UnsupportedOperationException.
func TestEmptyResultOperations(t *testing.T) {
	srv := startServer(t, testConfig(t))
	url := srv.URL()
	const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/"
	// In the order they run: each body acts on the stream "e" as the
	// earlier ones left it.
	steps := []struct {
		op, body string
		setup    bool // a call that prepares the next; its answer is not checked
	}{
		{"CreateStream", `{"StreamName":"e","ShardCount":2}`, false},
		{"AddTagsToStream", `{"StreamName":"e","Tags":{"team":"video"}}`, false},
		{"RemoveTagsFromStream", `{"StreamName":"e","TagKeys":["team"]}`, false},
		{"TagResource", `{"ResourceARN":"` + arn + `e","Tags":{"team":"audio"}}`, false},
		{"UntagResource", `{"ResourceARN":"` + arn + `e","TagKeys":["team"]}`, false},
		{"IncreaseStreamRetentionPeriod", `{"StreamName":"e","RetentionPeriodHours":48}`, false},
		{"DecreaseStreamRetentionPeriod", `{"StreamName":"e","RetentionPeriodHours":24}`, false},
		{"StartStreamEncryption", `{"StreamName":"e","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}`, false},
		{"StopStreamEncryption", `{"StreamName":"e","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}`, false},
		{"SplitShard", `{"StreamName":"e","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"100"}`, false},
		{"MergeShards", `{"StreamName":"e","ShardToMerge":"shardId-000000000002","AdjacentShardToMerge":"shardId-000000000003"}`, false},
		{"UpdateStreamMode", `{"StreamARN":"` + arn + `e","StreamModeDetails":{"StreamMode":"ON_DEMAND"}}`, false},
		{"PutResourcePolicy", `{"ResourceARN":"` + arn + `e","Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`, false},
		{"DeleteResourcePolicy", `{"ResourceARN":"` + arn + `e"}`, false},
		{"DeleteStream", `{"StreamName":"e"}`, false},
		// A consumer of its own stream, registered when the server has
		// consumers.
		{"CreateStream", `{"StreamName":"c","ShardCount":1}`, true},
		{"RegisterStreamConsumer", `{"StreamARN":"` + arn + `c","ConsumerName":"k"}`, true},
		{"DeregisterStreamConsumer", `{"StreamARN":"` + arn + `c","ConsumerName":"k"}`, false},
	}
	unsupported := func(a wireAnswer) bool {
		var e struct {
			Type string `json:"__type"`
		}
		return a.status == http.StatusBadRequest && json.Unmarshal([]byte(a.body), &e) == nil && e.Type == "UnsupportedOperationException"
	}
	covered := map[string]bool{}
	for _, s := range steps {
		a := kinesisCall(t, url, s.op, jsonType, s.body)
		if s.setup {
			continue
		}
		covered[s.op] = true
		if unsupported(a) {
			// Not served (yet): it must then be in the "unsupported" list,
			// which the loop below checks for every operation.
			continue
		}
		if a.status != http.StatusOK || a.body != "" {
			t.Fatalf("%s: %d %q, want 200 and an empty body", s.op, a.status, a.body)
		}
		if ct := a.header.Get("Content-Type"); ct != jsonType {
			t.Fatalf("%s: Content-Type %q, want %q", s.op, ct, jsonType)
		}
		if cl := a.header.Get("Content-Length"); cl != "0" {
			t.Fatalf("%s: Content-Length %q, want 0", s.op, cl)
		}
	}
	var missing []string
	for _, op := range noResultOps(t) {
		if covered[op] {
			continue
		}
		// Not in the table: the server must not serve it.
		if a := kinesisCall(t, url, op, jsonType, "{}"); !unsupported(a) {
			missing = append(missing, op+" ("+strings.TrimSpace(a.body)+")")
		}
	}
	if len(missing) > 0 {
		t.Fatalf("operations without a result that the server serves but this test does not check: %v", missing)
	}
}
