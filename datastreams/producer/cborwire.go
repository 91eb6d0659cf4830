package producer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/fxamacker/cbor/v2"
)

// The PutRecords request and answer in application/x-amz-cbor-1.1, the
// encoding the Java SDKs (and so the KPL and KCL) use with Kinesis: the
// awsJson1.1 shapes as CBOR maps, with Data a byte string rather than
// base64 text.

// CBOR major types.
const (
	cborBytes = 2 << 5
	cborText  = 3 << 5
	cborArray = 4 << 5
	cborMap   = 5 << 5
)

// cborHeadLen is the length of an item head whose argument is n.
func cborHeadLen(n int) int {
	switch {
	case n < 24:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffffff:
		return 5
	}
	return 9
}

// appendCBORHead appends the head of an item of major type major (shifted)
// with argument n.
func appendCBORHead(b []byte, major byte, n int) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major|27), uint64(n))
}

func cborStringLen(s int) int { return cborHeadLen(s) + s }

func appendCBORText(b []byte, s string) []byte {
	return append(appendCBORHead(b, cborText, len(s)), s...)
}

// putRecordsCBORLen is the exact length appendPutRecordsCBOR writes.
func putRecordsCBORLen(in *kinesis.PutRecordsInput) int {
	n := 1 + cborStringLen(len("Records")) + cborHeadLen(len(in.Records))
	if in.StreamARN != nil {
		n += cborStringLen(len("StreamARN")) + cborStringLen(len(*in.StreamARN))
	}
	if in.StreamName != nil {
		n += cborStringLen(len("StreamName")) + cborStringLen(len(*in.StreamName))
	}
	for i := range in.Records {
		e := &in.Records[i]
		n += 1 + cborStringLen(len("Data")) + cborStringLen(len(e.Data)) +
			cborStringLen(len("PartitionKey")) + cborStringLen(len(aws.ToString(e.PartitionKey)))
		if e.ExplicitHashKey != nil {
			n += cborStringLen(len("ExplicitHashKey")) + cborStringLen(len(*e.ExplicitHashKey))
		}
	}
	return n
}

// appendPutRecordsCBOR appends a PutRecords request: a map of the stream
// (StreamName and/or StreamARN) and Records, an array of maps of Data,
// PartitionKey and, when set, ExplicitHashKey.
func appendPutRecordsCBOR(b []byte, in *kinesis.PutRecordsInput) []byte {
	members := 1
	if in.StreamARN != nil {
		members++
	}
	if in.StreamName != nil {
		members++
	}
	b = appendCBORHead(b, cborMap, members)
	if in.StreamARN != nil {
		b = appendCBORText(appendCBORText(b, "StreamARN"), *in.StreamARN)
	}
	if in.StreamName != nil {
		b = appendCBORText(appendCBORText(b, "StreamName"), *in.StreamName)
	}
	b = appendCBORHead(appendCBORText(b, "Records"), cborArray, len(in.Records))
	for i := range in.Records {
		e := &in.Records[i]
		if e.ExplicitHashKey != nil {
			b = append(b, cborMap|3)
		} else {
			b = append(b, cborMap|2)
		}
		b = appendCBORHead(appendCBORText(b, "Data"), cborBytes, len(e.Data))
		b = append(b, e.Data...)
		b = appendCBORText(appendCBORText(b, "PartitionKey"), aws.ToString(e.PartitionKey))
		if e.ExplicitHashKey != nil {
			b = appendCBORText(appendCBORText(b, "ExplicitHashKey"), *e.ExplicitHashKey)
		}
	}
	return b
}

// putRecordsAnswer is a PutRecords answer as either encoding carries it.
type putRecordsAnswer struct {
	FailedRecordCount *int32 `cbor:"FailedRecordCount" json:"FailedRecordCount"`
	EncryptionType    string `cbor:"EncryptionType" json:"EncryptionType"`
	Records           []struct {
		SequenceNumber *string `cbor:"SequenceNumber" json:"SequenceNumber"`
		ShardID        *string `cbor:"ShardId" json:"ShardId"`
		ErrorCode      *string `cbor:"ErrorCode" json:"ErrorCode"`
		ErrorMessage   *string `cbor:"ErrorMessage" json:"ErrorMessage"`
	} `cbor:"Records" json:"Records"`
}

// decodePutRecordsAnswer parses a successful PutRecords answer, CBOR or
// (when isJSON) JSON.
func decodePutRecordsAnswer(body []byte, isJSON bool) (*kinesis.PutRecordsOutput, error) {
	var a putRecordsAnswer
	var err error
	if isJSON {
		err = json.Unmarshal(body, &a)
	} else {
		err = cbor.Unmarshal(body, &a)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding the PutRecords answer: %w", err)
	}
	if a.Records == nil {
		return nil, errors.New("decoding the PutRecords answer: no Records")
	}
	out := &kinesis.PutRecordsOutput{FailedRecordCount: a.FailedRecordCount, EncryptionType: types.EncryptionType(a.EncryptionType),
		Records: make([]types.PutRecordsResultEntry, len(a.Records))}
	for i, r := range a.Records {
		out.Records[i] = types.PutRecordsResultEntry{SequenceNumber: r.SequenceNumber, ShardId: r.ShardID, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
	}
	return out, nil
}

// decodeErrorAnswer reads an error answer: the code from the
// X-Amzn-ErrorType header or the body's __type (either may carry a
// namespace or a suffix, which are dropped), the body's message or
// Message. It returns the SDK's typed error for the codes PutRecords
// declares, a generic API error for the others.
func decodeErrorAnswer(status int, headerType string, body []byte, isJSON bool) smithy.APIError {
	var m map[string]any
	if isJSON {
		_ = json.Unmarshal(body, &m)
	} else {
		_ = cbor.Unmarshal(body, &m)
	}
	text := func(k string) string { s, _ := m[k].(string); return s }
	code := headerType
	if code == "" {
		code = text("__type")
	}
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = fmt.Sprintf("HTTP%d", status)
	}
	msg := text("message")
	if msg == "" {
		msg = text("Message")
	}
	var pm *string
	if msg != "" {
		pm = aws.String(msg)
	}
	switch code {
	case "ResourceNotFoundException":
		return &types.ResourceNotFoundException{Message: pm}
	case "ProvisionedThroughputExceededException":
		return &types.ProvisionedThroughputExceededException{Message: pm}
	case "InvalidArgumentException":
		return &types.InvalidArgumentException{Message: pm}
	case "AccessDeniedException":
		return &types.AccessDeniedException{Message: pm}
	case "KMSAccessDeniedException":
		return &types.KMSAccessDeniedException{Message: pm}
	case "KMSDisabledException":
		return &types.KMSDisabledException{Message: pm}
	case "KMSInvalidStateException":
		return &types.KMSInvalidStateException{Message: pm}
	case "KMSNotFoundException":
		return &types.KMSNotFoundException{Message: pm}
	case "KMSThrottlingException":
		return &types.KMSThrottlingException{Message: pm}
	}
	fault := smithy.FaultClient
	if status >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}
