package kinesis

import (
	"reflect"
	"testing"

	"github.com/shardcast/shardcast/web/awsapi"
)

var putRecordsSeeds = []string{
	`{"Records":[{"Data":"aGVsbG8=","PartitionKey":"a"},{"Data":"","PartitionKey":"b","ExplicitHashKey":"12"}],"StreamName":"s"}`,
	`{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","Records":[]}`,
	` { "Records" : [ { "PartitionKey" : "ü" , "Data" : "AA==" } ] , "StreamName" : "x" } `,
	`{"Records":[{"Data":"aGVsbG8","PartitionKey":"a"}],"StreamName":"s"}`,
	`{"Records":[{"Data":"a\u0047Vsbg==","PartitionKey":"a\"b"}],"StreamName":"s"}`,
	`{"Records":[{"Data":null,"PartitionKey":"a"}],"StreamName":"s"}`,
	`{"Records":[{"PartitionKey":"a"}],"StreamName":5}`,
	`{"Records":{"a":1}}`,
	`{"Records":[{"Data":"aGk=","PartitionKey":"a","Extra":"x"}]}`,
	`{"Records":[{"Data":"aGk=","PartitionKey":"a"}]}trailing`,
	`{"Records":[{"Data":"aGk=","Data":"aGk=","PartitionKey":"a"}]}`,
	`{}`, ``, `[`, `{"Records":[{"Data":"a=Gk","PartitionKey":"a"}]}`,
}

// FuzzPutRecordsDecode checks that the fast decoder and encoding/json agree
// on every input: same result, or both fail with the same error.
func FuzzPutRecordsDecode(f *testing.F) {
	for _, s := range putRecordsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, slow putRecordsInput
		errFast := decodePutRecords(body, &fast)
		errSlow := awsapi.DecodeJSON(body, &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%q: fast error %v, general error %v", body, errFast, errSlow)
		}
		if errFast != nil {
			if errFast.Error() != errSlow.Error() {
				t.Fatalf("%q: errors differ: %v / %v", body, errFast, errSlow)
			}
			return
		}
		if !equalInput(fast, slow) {
			t.Fatalf("%q: fast %+v, general %+v", body, fast, slow)
		}
	})
}

func equalInput(a, b putRecordsInput) bool {
	if !reflect.DeepEqual(a.StreamName, b.StreamName) || !reflect.DeepEqual(a.StreamARN, b.StreamARN) || len(a.Records) != len(b.Records) || (a.Records == nil) != (b.Records == nil) {
		return false
	}
	for i := range a.Records {
		x, y := a.Records[i], b.Records[i]
		if x.Data.Set != y.Data.Set || string(x.Data.Bytes) != string(y.Data.Bytes) ||
			!reflect.DeepEqual(x.PartitionKey, y.PartitionKey) || !reflect.DeepEqual(x.ExplicitHashKey, y.ExplicitHashKey) {
			return false
		}
	}
	return true
}

func TestFastPathTaken(t *testing.T) {
	var in putRecordsInput
	if !fastPutRecords([]byte(putRecordsSeeds[0]), &in) || len(in.Records) != 2 || string(in.Records[0].Data.Bytes) != "hello" {
		t.Fatalf("the SDK's shape must take the fast path: %+v", in)
	}
}
