package kinesis

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/web/awsapi"
)

func cborSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, v := range []any{
		map[string]any{"Records": []any{map[string]any{"Data": []byte("hello"), "PartitionKey": "a"}, map[string]any{"Data": []byte{}, "PartitionKey": "b", "ExplicitHashKey": "12"}}, "StreamName": "s"},
		map[string]any{"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "Records": []any{}},
		map[string]any{"Records": []any{map[string]any{"Data": nil, "PartitionKey": "a"}}},
		map[string]any{"Records": []any{map[string]any{"Data": "aGk=", "PartitionKey": "a"}}},
		map[string]any{"Records": []any{map[string]any{"PartitionKey": "a"}}, "StreamName": 5},
		map[string]any{"Records": map[string]any{"a": 1}},
		map[string]any{"Records": []any{map[string]any{"Data": []byte("x"), "PartitionKey": "a", "Extra": "x"}}},
		map[string]any{},
		[]any{},
	} {
		b, err := cbor.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	// What Jackson (the Java SDKs) writes: maps and arrays of indefinite
	// length: {_ "StreamName": "s", "Records": [_ {_ "Data": h'6869', "PartitionKey": "k"}]}
	jackson, _ := hex.DecodeString("bf" + "6a53747265616d4e616d65" + "6173" + "675265636f726473" + "9f" +
		"bf" + "6444617461" + "426869" + "6c506172746974696f6e4b6579" + "616b" + "ff" + "ff" + "ff")
	seeds = append(seeds, jackson, []byte{}, []byte{0xa1}, append(jackson, 0))
	return seeds
}

// FuzzPutRecordsCBOR checks that the fast CBOR decoder and the general one
// agree on every input: same result, or both fail with the same error.
func FuzzPutRecordsCBOR(f *testing.F) {
	for _, s := range cborSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, slow putRecordsInput
		errFast := decodePutRecordsCBOR(body, &fast)
		errSlow := awsapi.DecodeCBOR(body, &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%x: fast error %v, general error %v", body, errFast, errSlow)
		}
		if errFast != nil {
			if errFast.Error() != errSlow.Error() {
				t.Fatalf("%x: errors differ: %v / %v", body, errFast, errSlow)
			}
			return
		}
		if !equalInput(fast, slow) {
			t.Fatalf("%x: fast %+v, general %+v", body, fast, slow)
		}
	})
}

func TestFastCBORPathTaken(t *testing.T) {
	seeds := cborSeeds(t)
	for _, i := range []int{0, 9} {
		var in putRecordsInput
		if !fastPutRecordsCBOR(seeds[i], &in) || len(in.Records) == 0 || in.StreamName == nil || *in.StreamName != "s" {
			t.Fatalf("seed %d must take the fast path: %+v", i, in)
		}
	}
}

// TestCBORAnswers decodes the hand-written CBOR answers with the general
// decoder and checks them against the values they were made from.
func TestCBORAnswers(t *testing.T) {
	at := time.UnixMilli(1700000000123).UTC()
	got := encodeGetRecordsCBOR
	b, err := got(datastreams.GetRecordsOutput{
		Records:            []datastreams.Record{{SequenceNumber: "123", Arrival: at, Data: []byte{0, 0xff}, PartitionKey: "k\xff"}},
		NextShardIterator:  "it",
		MillisBehindLatest: 7,
		ChildShards:        []datastreams.ChildShard{{ID: "shardId-000000000002", Parents: []string{"shardId-000000000000"}, StartHash: "0", EndHash: "9"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Records []struct {
			SequenceNumber              string
			ApproximateArrivalTimestamp awsapi.Timestamp
			Data                        awsapi.Blob
			PartitionKey                string
		}
		NextShardIterator  string
		MillisBehindLatest int64
		ChildShards        []childShard
	}
	if err := awsapi.DecodeCBOR(b, &out); err != nil {
		t.Fatal(err)
	}
	r := out.Records[0]
	if r.SequenceNumber != "123" || !r.ApproximateArrivalTimestamp.Equal(at) || !bytes.Equal(r.Data.Bytes, []byte{0, 0xff}) || r.PartitionKey != "k\ufffd" ||
		out.NextShardIterator != "it" || out.MillisBehindLatest != 7 || out.ChildShards[0].ParentShards[0] != "shardId-000000000000" {
		t.Fatalf("decoded %+v", out)
	}
	pb := encodePutRecordsCBOR(datastreams.PutOutput{Failed: 1, Encrypted: true, Results: []datastreams.PutResult{
		{SequenceNumber: "5", ShardID: "shardId-000000000000"}, {ErrorKind: registry.ErrThroughputExceeded, ErrorMessage: "Rate exceeded"}}})
	var pout map[string]any
	if err := cbor.Unmarshal(pb, &pout); err != nil {
		t.Fatal(err)
	}
	recs := pout["Records"].([]any)
	if pout["FailedRecordCount"] != uint64(1) || pout["EncryptionType"] != "KMS" || recs[0].(map[any]any)["ShardId"] != "shardId-000000000000" ||
		recs[1].(map[any]any)["ErrorCode"] != "ProvisionedThroughputExceededException" {
		t.Fatalf("decoded %v", pout)
	}
}

// BenchmarkDecodePutRecords compares the two fast decoders on 500 records
// of 1 KiB, the body the SDKs send.
func BenchmarkDecodePutRecords(b *testing.B) {
	recs := make([]map[string]any, 500)
	for i := range recs {
		recs[i] = map[string]any{"PartitionKey": "pk-" + string(rune('a'+i%26)), "Data": bytes.Repeat([]byte{byte(i)}, 1024)}
	}
	in := map[string]any{"StreamName": "bench", "Records": recs}
	jsonBody, _ := json.Marshal(in)
	cborBody, _ := cbor.Marshal(in)
	for _, c := range []struct {
		name   string
		body   []byte
		decode func([]byte, *putRecordsInput) error
	}{{"json", jsonBody, decodePutRecords}, {"cbor", cborBody, decodePutRecordsCBOR}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var in putRecordsInput
				if err := c.decode(c.body, &in); err != nil || len(in.Records) != 500 {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
		})
	}
}
