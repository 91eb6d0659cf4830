package kinesis

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"github.com/shardcast/shardcast/web/awsapi"
)

// decodePutRecords parses a PutRecords body. The shape every SDK sends (an
// object of plain strings and a Records array of objects of plain strings)
// is parsed in one pass without reflection, with all record data decoded
// into one buffer; anything else (escapes, nulls, other members, malformed
// input) goes to the general decoder, so results and error messages are the
// same either way.
func decodePutRecords(body []byte, in *putRecordsInput) error {
	if fastPutRecords(body, in) {
		return nil
	}
	*in = putRecordsInput{}
	return awsapi.DecodeJSON(body, in)
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// rawStr consumes a string and returns its bytes unchecked; callers that
// validate the content themselves (base64 does) use it to skip the scan.
func (s *scanner) rawStr() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	n := bytes.IndexByte(s.b[s.i:], '"')
	if n < 0 {
		return nil, false
	}
	v := s.b[s.i : s.i+n]
	s.i += n + 1
	return v, true
}

// str consumes a string of valid UTF-8 without escapes or control
// characters and returns its raw bytes.
func (s *scanner) str() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			s.i++
			v := s.b[start : s.i-1]
			return v, ascii || utf8.Valid(v)
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

func fastPutRecords(body []byte, in *putRecordsInput) bool {
	s := scanner{b: body}
	if !s.next('{') {
		return false
	}
	// Everything but the partition keys lands in two shared buffers: one for
	// decoded data, one string holding every partition key.
	var data []byte
	var keys []byte
	type span struct{ dataOff, dataLen, pkOff, pkLen, ehkOff, ehkLen int }
	var spans []span
	var hasData, hasPK, hasEHK []bool
	first := true
	for !s.next('}') {
		if !first && !s.next(',') {
			return false
		}
		first = false
		key, ok := s.str()
		if !ok || !s.next(':') {
			return false
		}
		switch string(key) {
		case "StreamName", "StreamARN":
			v, ok := s.str()
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
			if spans != nil || !s.next('[') {
				return false
			}
			spans = []span{}
			if data == nil {
				data = make([]byte, 0, len(body)*3/4)
				keys = make([]byte, 0, 64)
			}
			for n := 0; !s.next(']'); n++ {
				if n > 0 && !s.next(',') {
					return false
				}
				if !s.next('{') {
					return false
				}
				var sp span
				var gotData, gotPK, gotEHK bool
				for m := 0; !s.next('}'); m++ {
					if m > 0 && !s.next(',') {
						return false
					}
					k, ok := s.str()
					if !ok || !s.next(':') {
						return false
					}
					var v []byte
					if string(k) == "Data" {
						// A backslash or any other non-base64 byte fails the
						// decode below and sends the body to the general decoder.
						v, ok = s.rawStr()
					} else {
						v, ok = s.str()
					}
					if !ok {
						return false
					}
					switch string(k) {
					case "Data":
						if gotData || len(v)%4 != 0 {
							return false
						}
						sp.dataOff = len(data)
						out, err := base64.StdEncoding.AppendDecode(data, v)
						if err != nil {
							return false
						}
						data = out
						sp.dataLen = len(data) - sp.dataOff
						gotData = true
					case "PartitionKey":
						if gotPK {
							return false
						}
						sp.pkOff, sp.pkLen = len(keys), len(v)
						keys = append(keys, v...)
						gotPK = true
					case "ExplicitHashKey":
						if gotEHK {
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
	s.ws()
	if s.i != len(s.b) {
		return false
	}
	if spans != nil {
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
