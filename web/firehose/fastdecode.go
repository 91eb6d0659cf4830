package firehose

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// batchScan parses the PutRecordBatch body every SDK sends (an object
// with a plain DeliveryStreamName string and a Records array of {"Data":
// base64}) in one pass, decoding all the data into one buffer. Anything
// else (escapes, nulls, other members, malformed input) answers false and
// goes to encoding/json, so results and errors are the same either way.
type batchScan struct {
	b []byte
	i int
}

func (s *batchScan) skipSpace() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *batchScan) eat(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plain consumes a string without escapes or control characters.
func (s *batchScan) plain() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	n := bytes.IndexByte(s.b[s.i:], '"')
	if n < 0 {
		return nil, false
	}
	v := s.b[s.i : s.i+n]
	for _, c := range v {
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	s.i += n + 1
	return v, utf8.Valid(v)
}

func fastBatch(body []byte) (name string, data [][]byte, ok bool) {
	s := batchScan{b: body}
	if !s.eat('{') {
		return "", nil, false
	}
	var buf []byte
	var lens []int
	gotName, gotRecords := false, false
	for n := 0; !s.eat('}'); n++ {
		if n > 0 && !s.eat(',') {
			return "", nil, false
		}
		k, ok := s.plain()
		if !ok || !s.eat(':') {
			return "", nil, false
		}
		switch string(k) {
		case "DeliveryStreamName":
			v, ok := s.plain()
			if !ok || gotName {
				return "", nil, false
			}
			name, gotName = string(v), true
		case "Records":
			if gotRecords || !s.eat('[') {
				return "", nil, false
			}
			gotRecords = true
			buf = make([]byte, 0, len(body)*3/4)
			for m := 0; !s.eat(']'); m++ {
				if m > 0 && !s.eat(',') {
					return "", nil, false
				}
				if !s.eat('{') {
					return "", nil, false
				}
				dk, ok := s.plain()
				if !ok || string(dk) != "Data" || !s.eat(':') {
					return "", nil, false
				}
				v, ok := s.plain()
				if !ok || !s.eat('}') {
					return "", nil, false
				}
				before := len(buf)
				if before+base64.StdEncoding.DecodedLen(len(v)) > cap(buf) {
					return "", nil, false
				}
				buf = buf[:before+base64.StdEncoding.DecodedLen(len(v))]
				dn, err := base64.StdEncoding.Decode(buf[before:], v)
				if err != nil {
					return "", nil, false
				}
				buf = buf[:before+dn]
				lens = append(lens, dn)
			}
		default:
			return "", nil, false
		}
	}
	s.skipSpace()
	if s.i != len(s.b) || !gotRecords {
		return "", nil, false
	}
	data = make([][]byte, len(lens))
	off := 0
	for i, n := range lens {
		data[i] = buf[off : off+n : off+n]
		off += n
	}
	return name, data, true
}
