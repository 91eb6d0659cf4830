package kinesis

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// maxDataBytes is the model's bound on a record's Data; the stream's own
// maximum (1 MiB unless raised) is checked by the engine.
const maxDataBytes = 10 << 20

// maxPutRecordsBytes bounds a PutRecords request's data plus partition keys.
const maxPutRecordsBytes = 10 << 20

// dryRun is the DryRun member of the data-plane operations: check the
// request fully, then answer DryRunOperationException instead of acting.
type dryRun struct {
	DryRun *bool `json:"DryRun"`
}

func (d dryRun) set() bool { return d.DryRun != nil && *d.DryRun }

// errDryRun answers a request that would have succeeded.
var errDryRun = &awsapi.APIError{Type: "DryRunOperationException", Status: http.StatusBadRequest,
	Message: "Request would have succeeded, but DryRun flag is set."}

type putRecordInput struct {
	streamInput
	dryRun
	Data                      awsapi.Blob `json:"Data"`
	PartitionKey              *string     `json:"PartitionKey"`
	ExplicitHashKey           *string     `json:"ExplicitHashKey"`
	SequenceNumberForOrdering *string     `json:"SequenceNumberForOrdering"`
}

// tooLarge turns the engine's size refusal into AWS's ValidationException:
// the data's length against what the stream's limit leaves it beside the
// partition key.
func tooLarge(err error, path func(int) string) error {
	var tl *datastreams.RecordTooLargeError
	if !errors.As(err, &tl) {
		return err
	}
	var v awsapi.Validator
	v.Custom(awsapi.BlobValue(tl.Size), path(tl.Index), fmt.Sprintf("Member must have length less than or equal to %d", tl.Limit))
	return v.Err()
}

func (in *putRecordInput) Check(v *awsapi.Validator) {
	v.String("sequenceNumberForOrdering", in.SequenceNumberForOrdering, seqPattern, 0, -1)
	if v.Required("partitionKey", in.PartitionKey != nil) {
		v.String("partitionKey", in.PartitionKey, nil, 1, 256)
	}
	v.String("explicitHashKey", in.ExplicitHashKey, hashPattern, 0, -1)
	if v.Required("data", in.Data.Set) {
		v.BlobMax("data", in.Data.Bytes, maxDataBytes)
	}
	in.streamInput.Check(v)
}

func (h *Handler) putRecord(r *http.Request, body []byte) (any, error) {
	in, err := decode[putRecordInput](r, body)
	if err != nil {
		return nil, err
	}
	entry := datastreams.PutEntry{PartitionKey: *in.PartitionKey, ExplicitHashKey: deref(in.ExplicitHashKey), Data: in.Data.Bytes}
	if in.set() {
		if err := h.engine.CheckPut(in.ref(), []datastreams.PutEntry{entry}); err != nil {
			return nil, tooLarge(err, func(int) string { return "data" })
		}
		return nil, errDryRun
	}
	res, encrypted, err := h.engine.PutRecord(r.Context(), in.ref(), entry, deref(in.SequenceNumberForOrdering))
	if err != nil {
		return nil, tooLarge(err, func(int) string { return "data" })
	}
	out := struct {
		ShardID        string `json:"ShardId"`
		SequenceNumber string `json:"SequenceNumber"`
		EncryptionType string `json:"EncryptionType,omitempty"`
	}{res.ShardID, res.SequenceNumber, ""}
	if encrypted {
		out.EncryptionType = datastreams.EncryptionKMS
	}
	return out, nil
}

type putRecordsEntry struct {
	Data            awsapi.Blob `json:"Data"`
	PartitionKey    *string     `json:"PartitionKey"`
	ExplicitHashKey *string     `json:"ExplicitHashKey"`
}

type putRecordsInput struct {
	streamInput
	dryRun
	Records []putRecordsEntry `json:"Records"`
}

// check validates the request; records are checked in full only when one
// fails a quick test, so that no per-record path strings are built.
func (in *putRecordsInput) Check(v *awsapi.Validator) {
	if v.Required("records", in.Records != nil) {
		if n := len(in.Records); n < 1 || n > 500 {
			printed := "[]"
			if n > 0 {
				printed = fmt.Sprintf("[%d PutRecordsRequestEntry]", n)
			}
			v.Len("records", n, printed, 1, 500)
		}
	}
	for i, rec := range in.Records {
		if rec.PartitionKey == nil || len(*rec.PartitionKey) == 0 || len(*rec.PartitionKey) > 256 ||
			(rec.ExplicitHashKey != nil && !hashPattern.MatchString(*rec.ExplicitHashKey)) || !rec.Data.Set || len(rec.Data.Bytes) > maxDataBytes {
			p := "records." + strconv.Itoa(i+1) + ".member."
			if v.Required(p+"partitionKey", rec.PartitionKey != nil) {
				v.String(p+"partitionKey", rec.PartitionKey, nil, 1, 256)
			}
			v.String(p+"explicitHashKey", rec.ExplicitHashKey, hashPattern, 0, -1)
			if v.Required(p+"data", rec.Data.Set) {
				v.BlobMax(p+"data", rec.Data.Bytes, maxDataBytes)
			}
		}
	}
	in.streamInput.Check(v)
}

func (h *Handler) putRecords(r *http.Request, body []byte) (any, error) {
	var in putRecordsInput
	cbor := awsapi.CodecOf(r) == awsapi.CodecCBOR
	decodeBody := decodePutRecords
	if cbor {
		decodeBody = decodePutRecordsCBOR
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	in.Check(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	total := 0
	entries := make([]datastreams.PutEntry, len(in.Records))
	for i, rec := range in.Records {
		entries[i] = datastreams.PutEntry{PartitionKey: *rec.PartitionKey, ExplicitHashKey: deref(rec.ExplicitHashKey), Data: rec.Data.Bytes}
		total += len(rec.Data.Bytes) + len(*rec.PartitionKey)
	}
	if total > maxPutRecordsBytes {
		return nil, &awsapi.APIError{Type: "InvalidArgumentException", Status: http.StatusBadRequest, Message: "Records size exceeds 10 MB limit"}
	}
	path := func(i int) string { return "records." + strconv.Itoa(i+1) + ".member.data" }
	if in.set() {
		if err := h.engine.CheckPut(in.ref(), entries); err != nil {
			return nil, tooLarge(err, path)
		}
		return nil, errDryRun
	}
	out, err := h.engine.PutRecords(r.Context(), in.ref(), entries)
	if err != nil {
		return nil, tooLarge(err, path)
	}
	if cbor {
		return encodePutRecordsCBOR(out), nil
	}
	return encodePutRecords(out), nil
}

// putErrorCode names the kind of a record that PutRecords failed, as the
// error table names the same kind for a whole request.
func putErrorCode(kind error) string {
	if m := errorTable.Lookup(kind); m != nil {
		return m.Type
	}
	return "InternalFailure"
}

// encodePutRecords writes the PutRecords answer by hand: it is on the hot path.
func encodePutRecords(out datastreams.PutOutput) rawJSON {
	b := make([]byte, 0, 64+len(out.Results)*110)
	b = append(b, `{"FailedRecordCount":`...)
	b = strconv.AppendInt(b, int64(out.Failed), 10)
	b = append(b, `,"Records":[`...)
	for i, r := range out.Results {
		if i > 0 {
			b = append(b, ',')
		}
		if r.ErrorKind != nil {
			b = append(b, `{"ErrorCode":`...)
			b = appendString(b, putErrorCode(r.ErrorKind))
			b = append(b, `,"ErrorMessage":`...)
			b = appendString(b, r.ErrorMessage)
		} else {
			b = append(b, `{"SequenceNumber":"`...)
			b = append(b, r.SequenceNumber...)
			b = append(b, `","ShardId":"`...)
			b = append(b, r.ShardID...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if out.Encrypted {
		b = append(b, `,"EncryptionType":"KMS"`...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

type getShardIteratorInput struct {
	streamInput
	dryRun
	ShardID                *string           `json:"ShardId"`
	ShardIteratorType      *string           `json:"ShardIteratorType"`
	StartingSequenceNumber *string           `json:"StartingSequenceNumber"`
	Timestamp              *awsapi.Timestamp `json:"Timestamp"`
}

func (in *getShardIteratorInput) Check(v *awsapi.Validator) {
	if v.Required("shardId", in.ShardID != nil) {
		v.String("shardId", in.ShardID, namePattern, 1, 128)
	}
	if v.Required("shardIteratorType", in.ShardIteratorType != nil) {
		// AWS prints this set in its own order, not the model's.
		v.Enum("shardIteratorType", in.ShardIteratorType, "AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON")
	}
	v.String("startingSequenceNumber", in.StartingSequenceNumber, seqPattern, 0, -1)
	in.streamInput.Check(v)
}

func (h *Handler) getShardIterator(r *http.Request, body []byte) (any, error) {
	in, err := decode[getShardIteratorInput](r, body)
	if err != nil {
		return nil, err
	}
	var ts *time.Time
	if in.Timestamp != nil {
		ts = &in.Timestamp.Time
	}
	it, err := h.engine.GetShardIterator(r.Context(), in.ref(), *in.ShardID, *in.ShardIteratorType, deref(in.StartingSequenceNumber), ts)
	if err != nil {
		return nil, err
	}
	if in.set() {
		return nil, errDryRun
	}
	return struct {
		ShardIterator string `json:"ShardIterator"`
	}{it}, nil
}

type getRecordsInput struct {
	dryRun
	ShardIterator *string `json:"ShardIterator"`
	Limit         *int    `json:"Limit"`
	StreamARN     *string `json:"StreamARN"`
}

func (in *getRecordsInput) Check(v *awsapi.Validator) {
	v.Int("limit", in.Limit, 1, 10000)
	if v.Required("shardIterator", in.ShardIterator != nil) {
		v.String("shardIterator", in.ShardIterator, nil, 1, 512)
	}
	v.String("streamARN", in.StreamARN, arnPattern, 1, 2048)
}

func (h *Handler) getRecords(r *http.Request, body []byte) (any, error) {
	in, err := decode[getRecordsInput](r, body)
	if err != nil {
		return nil, err
	}
	if in.set() {
		if err := h.engine.CheckIterator(*in.ShardIterator); err != nil {
			return nil, err
		}
		return nil, errDryRun
	}
	out, err := h.engine.GetRecords(r.Context(), *in.ShardIterator, deref(in.Limit))
	if err != nil {
		return nil, err
	}
	if awsapi.CodecOf(r) == awsapi.CodecCBOR {
		return encodeGetRecordsCBOR(out)
	}
	return encodeGetRecords(out), nil
}

// encodeGetRecords writes the GetRecords answer by hand: it is on the hot path.
func encodeGetRecords(out datastreams.GetRecordsOutput) rawJSON {
	size := 96 + len(out.NextShardIterator)
	for _, r := range out.Records {
		size += 160 + base64.StdEncoding.EncodedLen(len(r.Data)) + len(r.PartitionKey)
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	b = appendRecordsJSON(b, out.Records)
	if out.NextShardIterator != "" {
		b = append(b, `,"NextShardIterator":"`...)
		b = append(b, out.NextShardIterator...)
		b = append(b, '"')
	}
	b = append(b, `,"MillisBehindLatest":`...)
	b = strconv.AppendInt(b, out.MillisBehindLatest, 10)
	if len(out.ChildShards) > 0 {
		b = appendChildShardsJSON(b, out.ChildShards)
	}
	return append(b, '}')
}

// appendRecordsJSON writes the Records member of GetRecords and
// SubscribeToShardEvent.
func appendRecordsJSON(b []byte, recs []datastreams.Record) []byte {
	b = append(b, `"Records":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"SequenceNumber":"`...)
		b = append(b, r.SequenceNumber...)
		b = append(b, `","ApproximateArrivalTimestamp":`...)
		b = append(b, awsapi.EpochSeconds(r.Arrival)...)
		b = append(b, `,"Data":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Data)
		b = append(b, `","PartitionKey":`...)
		b = appendString(b, r.PartitionKey)
		if r.Encrypted {
			b = append(b, `,"EncryptionType":"KMS"`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendChildShardsJSON writes the ChildShards member after another.
func appendChildShardsJSON(b []byte, cs []datastreams.ChildShard) []byte {
	enc, _ := json.Marshal(childShardsOut(cs))
	b = append(b, `,"ChildShards":`...)
	return append(b, enc...)
}

// childShard is a ChildShards entry of GetRecords and SubscribeToShard.
type childShard struct {
	ShardID      string       `json:"ShardId"`
	ParentShards []string     `json:"ParentShards"`
	HashKeyRange hashKeyRange `json:"HashKeyRange"`
}

func childShardsOut(in []datastreams.ChildShard) []childShard {
	out := make([]childShard, 0, len(in))
	for _, c := range in {
		out = append(out, childShard{ShardID: c.ID, ParentShards: c.Parents, HashKeyRange: hashKeyRange{c.StartHash, c.EndHash}})
	}
	return out
}
