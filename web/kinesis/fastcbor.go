package kinesis

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// The CBOR twins of the hot paths: PutRecords decoding and the PutRecords
// and GetRecords answers, in application/x-amz-cbor-1.1.

// decodePutRecordsCBOR parses a CBOR PutRecords body. The shape the Java
// SDKs send (a map of text strings and a Records array of maps of text
// strings and one byte string, of definite or indefinite length) is parsed
// in one pass without reflection, the data left in one copy of the body; anything
// else goes to the general decoder, so results and error messages are the
// same either way.
func decodePutRecordsCBOR(body []byte, in *putRecordsInput) error {
	if fastPutRecordsCBOR(body, in) {
		return nil
	}
	*in = putRecordsInput{}
	return awsapi.DecodeCBOR(body, in)
}

// cborReader reads the CBOR items the fast path knows.
type cborReader struct {
	b []byte
	i int
}

// head reads an item's head: its major type and argument; indef reports a
// map, array or string of indefinite length.
func (c *cborReader) head() (major byte, arg uint64, indef, ok bool) {
	if c.i >= len(c.b) {
		return 0, 0, false, false
	}
	ib := c.b[c.i]
	c.i++
	major, ai := ib>>5, ib&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), false, true
	case ai == 31:
		return major, 0, true, major >= 2 && major <= 5
	case ai > 27:
		return 0, 0, false, false
	}
	n := 1 << (ai - 24)
	if len(c.b)-c.i < n {
		return 0, 0, false, false
	}
	p := c.b[c.i : c.i+n]
	c.i += n
	switch n {
	case 1:
		arg = uint64(p[0])
	case 2:
		arg = uint64(binary.BigEndian.Uint16(p))
	case 4:
		arg = uint64(binary.BigEndian.Uint32(p))
	default:
		arg = binary.BigEndian.Uint64(p)
	}
	return major, arg, false, true
}

// str reads a definite string of the given major type (2 bytes, 3 text)
// and returns its bytes, which alias the body.
func (c *cborReader) str(major byte) ([]byte, bool) {
	m, n, indef, ok := c.head()
	if !ok || indef || m != major || n > uint64(len(c.b)-c.i) {
		return nil, false
	}
	v := c.b[c.i : c.i+int(n)]
	c.i += int(n)
	return v, true
}

// text reads a definite text string of valid UTF-8.
func (c *cborReader) text() ([]byte, bool) {
	v, ok := c.str(3)
	if !ok {
		return nil, false
	}
	for _, x := range v {
		if x >= utf8.RuneSelf {
			return v, utf8.Valid(v)
		}
	}
	return v, true
}

// container reads the head of a map (5) or array (4): the count, or -1
// for an indefinite one.
func (c *cborReader) container(major byte) (int, bool) {
	m, n, indef, ok := c.head()
	if !ok || m != major {
		return 0, false
	}
	if indef {
		return -1, true
	}
	if n > uint64(len(c.b)-c.i) { // every member takes at least a byte
		return 0, false
	}
	return int(n), true
}

// more reports whether the container whose count is n (-1: indefinite)
// has an item after the k read so far, consuming the break of an
// indefinite one.
func (c *cborReader) more(n, k int) bool {
	if n >= 0 {
		return k < n
	}
	if c.i < len(c.b) && c.b[c.i] == 0xff {
		c.i++
		return false
	}
	return true
}

func fastPutRecordsCBOR(body []byte, in *putRecordsInput) bool {
	c := cborReader{b: body}
	n, ok := c.container(5)
	if !ok {
		return false
	}
	var keys []byte
	type span struct{ dataOff, dataLen, pkOff, pkLen, ehkOff, ehkLen int }
	var spans []span
	var hasData, hasPK, hasEHK []bool
	for k := 0; c.more(n, k); k++ {
		if c.i >= len(c.b) {
			return false
		}
		key, ok := c.text()
		if !ok {
			return false
		}
		switch string(key) {
		case "StreamName", "StreamARN":
			v, ok := c.text()
			if !ok {
				return false
			}
			str := string(v)
			if string(key) == "StreamName" {
				in.StreamName = &str
			} else {
				in.StreamARN = &str
			}
		case "Records":
			if spans != nil {
				return false
			}
			m, ok := c.container(4)
			if !ok {
				return false
			}
			spans = []span{}
			keys = make([]byte, 0, 64)
			for j := 0; c.more(m, j); j++ {
				fields, ok := c.container(5)
				if !ok {
					return false
				}
				var sp span
				var gotData, gotPK, gotEHK bool
				for f := 0; c.more(fields, f); f++ {
					k, ok := c.text()
					if !ok {
						return false
					}
					switch string(k) {
					case "Data":
						v, ok := c.str(2)
						if !ok || gotData {
							return false
						}
						sp.dataOff, sp.dataLen = c.i-len(v), len(v)
						gotData = true
					case "PartitionKey":
						v, ok := c.text()
						if !ok || gotPK {
							return false
						}
						sp.pkOff, sp.pkLen = len(keys), len(v)
						keys = append(keys, v...)
						gotPK = true
					case "ExplicitHashKey":
						v, ok := c.text()
						if !ok || gotEHK {
							return false
						}
						sp.ehkOff, sp.ehkLen = len(keys), len(v)
						keys = append(keys, v...)
						gotEHK = true
					default:
						return false
					}
				}
				spans = append(spans, sp)
				hasData, hasPK, hasEHK = append(hasData, gotData), append(hasPK, gotPK), append(hasEHK, gotEHK)
			}
		default:
			return false
		}
	}
	if c.i != len(c.b) {
		return false
	}
	if spans != nil {
		// The data stays where it is in one copy of the body (the body's
		// buffer goes back to a pool after the request).
		data := bytes.Clone(body)
		all := string(keys)
		in.Records = make([]putRecordsEntry, len(spans))
		for i, sp := range spans {
			r := &in.Records[i]
			if hasData[i] {
				r.Data = awsapi.Blob{Bytes: data[sp.dataOff : sp.dataOff+sp.dataLen : sp.dataOff+sp.dataLen], Set: true}
			}
			if hasPK[i] {
				pk := all[sp.pkOff : sp.pkOff+sp.pkLen]
				r.PartitionKey = &pk
			}
			if hasEHK[i] {
				ehk := all[sp.ehkOff : sp.ehkOff+sp.ehkLen]
				r.ExplicitHashKey = &ehk
			}
		}
	}
	return true
}

// appendCBORString appends s as a text string, replacing invalid UTF-8
// as the JSON encoder does.
func appendCBORString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	return awsapi.AppendCBORText(b, s)
}

// encodePutRecordsCBOR writes the PutRecords answer in CBOR by hand.
func encodePutRecordsCBOR(out datastreams.PutOutput) rawCBOR {
	b := make([]byte, 0, 48+len(out.Results)*100)
	members := uint64(2)
	if out.Encrypted {
		members++
	}
	b = awsapi.AppendCBORHead(b, 5, members)
	b = awsapi.AppendCBORText(b, "FailedRecordCount")
	b = awsapi.AppendCBORInt(b, int64(out.Failed))
	b = awsapi.AppendCBORText(b, "Records")
	b = awsapi.AppendCBORHead(b, 4, uint64(len(out.Results)))
	for _, r := range out.Results {
		b = awsapi.AppendCBORHead(b, 5, 2)
		if r.ErrorKind != nil {
			b = awsapi.AppendCBORText(b, "ErrorCode")
			b = appendCBORString(b, putErrorCode(r.ErrorKind))
			b = awsapi.AppendCBORText(b, "ErrorMessage")
			b = appendCBORString(b, r.ErrorMessage)
		} else {
			b = awsapi.AppendCBORText(b, "SequenceNumber")
			b = awsapi.AppendCBORText(b, r.SequenceNumber)
			b = awsapi.AppendCBORText(b, "ShardId")
			b = awsapi.AppendCBORText(b, r.ShardID)
		}
	}
	if out.Encrypted {
		b = awsapi.AppendCBORText(b, "EncryptionType")
		b = awsapi.AppendCBORText(b, datastreams.EncryptionKMS)
	}
	return b
}

// encodeGetRecordsCBOR writes the GetRecords answer in CBOR by hand.
func encodeGetRecordsCBOR(out datastreams.GetRecordsOutput) (rawCBOR, error) {
	size := 96 + len(out.NextShardIterator)
	for _, r := range out.Records {
		size += 140 + len(r.Data) + len(r.PartitionKey)
	}
	b := make([]byte, 0, size)
	members := uint64(2)
	if out.NextShardIterator != "" {
		members++
	}
	if len(out.ChildShards) > 0 {
		members++
	}
	b = awsapi.AppendCBORHead(b, 5, members)
	b = appendRecordsCBOR(b, out.Records)
	if out.NextShardIterator != "" {
		b = awsapi.AppendCBORText(b, "NextShardIterator")
		b = awsapi.AppendCBORText(b, out.NextShardIterator)
	}
	b = awsapi.AppendCBORText(b, "MillisBehindLatest")
	b = awsapi.AppendCBORInt(b, out.MillisBehindLatest)
	if len(out.ChildShards) > 0 {
		b = appendChildShardsCBOR(b, out.ChildShards)
	}
	return b, nil
}

// appendRecordsCBOR writes the Records member's value of GetRecords and
// SubscribeToShardEvent.
func appendRecordsCBOR(b []byte, recs []datastreams.Record) []byte {
	b = awsapi.AppendCBORText(b, "Records")
	b = awsapi.AppendCBORHead(b, 4, uint64(len(recs)))
	for _, r := range recs {
		fields := uint64(4)
		if r.Encrypted {
			fields++
		}
		b = awsapi.AppendCBORHead(b, 5, fields)
		b = awsapi.AppendCBORText(b, "SequenceNumber")
		b = awsapi.AppendCBORText(b, r.SequenceNumber)
		b = awsapi.AppendCBORText(b, "ApproximateArrivalTimestamp")
		b = awsapi.AppendCBORTimestamp(b, r.Arrival)
		b = awsapi.AppendCBORText(b, "Data")
		b = awsapi.AppendCBORBytes(b, r.Data)
		b = awsapi.AppendCBORText(b, "PartitionKey")
		b = appendCBORString(b, r.PartitionKey)
		if r.Encrypted {
			b = awsapi.AppendCBORText(b, "EncryptionType")
			b = awsapi.AppendCBORText(b, datastreams.EncryptionKMS)
		}
	}
	return b
}

// appendChildShardsCBOR writes the ChildShards member.
func appendChildShardsCBOR(b []byte, cs []datastreams.ChildShard) []byte {
	enc, err := awsapi.CodecCBOR.Marshal(childShardsOut(cs))
	if err != nil {
		panic(err) // strings and slices of them always encode
	}
	b = awsapi.AppendCBORText(b, "ChildShards")
	return append(b, enc...)
}
