package firehose

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fastBatch gives what encoding/json gives, or declines.
func TestFastBatchMatchesJSON(t *testing.T) {
	for _, body := range []string{
		`{"DeliveryStreamName":"s","Records":[{"Data":"aGVsbG8="},{"Data":""},{"Data":"eA=="}]}`,
		` { "Records" : [ { "Data" : "aGk=" } ] , "DeliveryStreamName" : "x" } `,
		`{"DeliveryStreamName":"s","Records":[]}`,
		`{"DeliveryStreamName":"s\u0041","Records":[{"Data":"aGk="}]}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":"!!"}]}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":null}]}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":"aGk="}],"Other":1}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":"aGk="}]`,
	} {
		name, data, ok := fastBatch([]byte(body))
		var in struct {
			DeliveryStreamName string
			Records            []struct{ Data []byte }
		}
		err := json.Unmarshal([]byte(body), &in)
		if !ok {
			continue
		}
		if err != nil {
			t.Fatalf("%s: fast path took what encoding/json refuses: %v", body, err)
		}
		var want [][]byte
		for _, r := range in.Records {
			want = append(want, append([]byte{}, r.Data...))
		}
		got := make([][]byte, len(data))
		for i, d := range data {
			got[i] = append([]byte{}, d...)
		}
		if name != in.DeliveryStreamName || (len(want) > 0 || len(got) > 0) && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: fast %q %q, json %q %q", body, name, got, in.DeliveryStreamName, want)
		}
	}
	if _, _, ok := fastBatch([]byte(`{"DeliveryStreamName":"s","Records":[{"Data":"aGk="}]}`)); !ok {
		t.Fatal("the SDK's shape was not taken by the fast path")
	}
}
