package producer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"
)

// TestPutRecordsCBOR encodes requests whose lengths cross every head size
// and reads them back with a general CBOR decoder.
func TestPutRecordsCBOR(t *testing.T) {
	type entry struct {
		Data            []byte
		PartitionKey    string
		ExplicitHashKey *string
	}
	type request struct {
		StreamName *string
		StreamARN  *string
		Records    []entry
	}
	for _, size := range []int{0, 23, 24, 255, 256, 65535, 65536} {
		in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s")}
		n := 3
		if size < 300 {
			n = 300 // an array count past 255
		}
		for i := range n {
			e := types.PutRecordsRequestEntry{Data: bytes.Repeat([]byte{byte(i)}, size), PartitionKey: aws.String(strings.Repeat("k", 1+i%300))}
			if i%2 == 0 {
				e.ExplicitHashKey = aws.String("340282366920938463463374607431768211455")
			}
			in.Records = append(in.Records, e)
		}
		b := appendPutRecordsCBOR(nil, in)
		if len(b) != putRecordsCBORLen(in) {
			t.Fatalf("size %d: wrote %d, computed %d", size, len(b), putRecordsCBORLen(in))
		}
		var got request
		if err := cbor.Unmarshal(b, &got); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if *got.StreamName != "s" || *got.StreamARN != *in.StreamARN || len(got.Records) != n {
			t.Fatalf("size %d: %+v", size, got)
		}
		for i, e := range got.Records {
			w := in.Records[i]
			if !bytes.Equal(e.Data, w.Data) || e.PartitionKey != *w.PartitionKey || aws.ToString(e.ExplicitHashKey) != aws.ToString(w.ExplicitHashKey) {
				t.Fatalf("size %d: record %d differs", size, i)
			}
		}
	}
}

func TestDecodeAnswers(t *testing.T) {
	body, _ := cbor.Marshal(map[string]any{"FailedRecordCount": 1, "EncryptionType": "NONE", "Records": []map[string]string{
		{"SequenceNumber": "1", "ShardId": "shardId-000000000000"},
		{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}}})
	out, err := decodePutRecordsAnswer(body, false)
	if err != nil || aws.ToInt32(out.FailedRecordCount) != 1 || len(out.Records) != 2 || aws.ToString(out.Records[0].ShardId) != "shardId-000000000000" ||
		aws.ToString(out.Records[1].ErrorCode) != "ProvisionedThroughputExceededException" {
		t.Fatalf("%+v %v", out, err)
	}
	if out, err := decodePutRecordsAnswer([]byte(`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"9","ShardId":"shardId-1"}]}`), true); err != nil || aws.ToString(out.Records[0].SequenceNumber) != "9" {
		t.Fatalf("json: %+v %v", out, err)
	}
	for _, bad := range [][]byte{nil, {0xa0}, {0xff}, []byte("{")} {
		if _, err := decodePutRecordsAnswer(bad, false); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}

	body, _ = cbor.Marshal(map[string]string{"__type": "ResourceNotFoundException", "message": "Stream x not found"})
	var rnf *types.ResourceNotFoundException
	if err := decodeErrorAnswer(400, "", body, false); !errors.As(err, &rnf) || rnf.ErrorMessage() != "Stream x not found" {
		t.Fatalf("%#v", err)
	}
	// AWS's header form and a namespaced __type.
	if err := decodeErrorAnswer(400, "InvalidArgumentException:http://internal.amazon.com/coral/", nil, false); err.ErrorCode() != "InvalidArgumentException" {
		t.Fatalf("%#v", err)
	}
	body, _ = cbor.Marshal(map[string]string{"__type": "com.amazon.coral.service#SerializationException", "Message": "bad"})
	if err := decodeErrorAnswer(400, "", body, false); err.ErrorCode() != "SerializationException" || err.ErrorMessage() != "bad" {
		t.Fatalf("%#v", err)
	}
	if err := decodeErrorAnswer(502, "", []byte("<html>"), true); err.ErrorCode() != "HTTP502" || err.ErrorFault().String() != "server" {
		t.Fatalf("%#v", err)
	}
}

// FuzzDecodeAnswers: no body makes the answer decoders panic, and a
// decoded answer has one entry per record of the body.
func FuzzDecodeAnswers(f *testing.F) {
	ok, _ := cbor.Marshal(map[string]any{"FailedRecordCount": 0, "Records": []map[string]string{{"SequenceNumber": "1", "ShardId": "shardId-0"}}})
	bad, _ := cbor.Marshal(map[string]string{"__type": "ResourceNotFoundException", "message": "gone"})
	f.Add(ok, false)
	f.Add(bad, false)
	f.Add([]byte(`{"Records":[{"ErrorCode":"InternalFailure"}]}`), true)
	f.Add([]byte{0xbf, 0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', 0x9f, 0xff, 0xff}, false)
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		if out, err := decodePutRecordsAnswer(body, isJSON); err == nil && out.Records == nil {
			t.Fatal("an answer without Records decoded")
		}
		if err := decodeErrorAnswer(400, "", body, isJSON); err == nil || err.ErrorCode() == "" {
			t.Fatalf("no code: %v", err)
		}
	})
}
