package datastreams

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Shard iterators and list tokens are stateless: the position is in the
// token, signed so it cannot be forged or altered.
//
// Iterator: 0x01 | issued unix ms (8) | stream created unix ns (8) |
// shard index (4) | next sequence (8) | name length (1) | name | HMAC (16).
// List token: 0x02 | issued unix ms (8) | stream created unix ns (8) |
// payload length (2) | payload | HMAC (16).
const (
	iterVersion  = 1
	tokenVersion = 2
	macSize      = 16
)

var errBadToken = errors.New("bad token")

type iterator struct {
	issued  time.Time
	created int64 // stream incarnation (creation, unix ns)
	shard   uint32
	seq     uint64 // next sequence number to read
	stream  string
}

func (e *Engine) mac(b []byte) []byte {
	m := hmac.New(sha256.New, e.iterKey)
	m.Write(b)
	return m.Sum(nil)[:macSize]
}

func (e *Engine) encodeIterator(it iterator) string {
	b := make([]byte, 0, 30+len(it.stream)+macSize)
	b = append(b, iterVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(it.issued.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(it.created))
	b = binary.BigEndian.AppendUint32(b, it.shard)
	b = binary.BigEndian.AppendUint64(b, it.seq)
	b = append(b, byte(len(it.stream)))
	b = append(b, it.stream...)
	b = append(b, e.mac(b)...)
	return base64.StdEncoding.EncodeToString(b)
}

func (e *Engine) decodeIterator(s string) (iterator, error) {
	// AWS accepts an iterator wrapped in double quotes, as shells leave it:
	// both quotes, or none.
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	b, err := decodeCanonical(base64.StdEncoding, s)
	if err != nil || len(b) < 30+macSize || b[0] != iterVersion {
		return iterator{}, errBadToken
	}
	body, sum := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(e.mac(body), sum) {
		return iterator{}, errBadToken
	}
	n := int(body[29])
	if len(body) != 30+n {
		return iterator{}, errBadToken
	}
	return iterator{
		issued:  time.UnixMilli(int64(binary.BigEndian.Uint64(body[1:]))),
		created: int64(binary.BigEndian.Uint64(body[9:])),
		shard:   binary.BigEndian.Uint32(body[17:]),
		seq:     binary.BigEndian.Uint64(body[21:]),
		stream:  string(body[30:]),
	}, nil
}

// decodeCanonical decodes s only when it is exactly how enc writes the
// bytes it holds. Go's decoders accept other spellings of the same bytes:
// set bits in the unused low bits of the last character, and CR or LF
// anywhere (skipped even by Strict). A token is refused unless every byte of
// it is the byte we issued.
func decodeCanonical(enc *base64.Encoding, s string) ([]byte, error) {
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if enc.EncodeToString(b) != s {
		return nil, errBadToken
	}
	return b, nil
}

// listToken is a signed page position for ListStreams and ListShards.
type listToken struct {
	issued  time.Time
	created int64
	payload string
}

func (e *Engine) encodeToken(t listToken) string {
	b := make([]byte, 0, 19+len(t.payload)+macSize)
	b = append(b, tokenVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(t.issued.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(t.created))
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.payload)))
	b = append(b, t.payload...)
	b = append(b, e.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (e *Engine) decodeToken(s string) (listToken, error) {
	b, err := decodeCanonical(base64.RawURLEncoding, s)
	if err != nil || len(b) < 19+macSize || b[0] != tokenVersion {
		return listToken{}, errBadToken
	}
	body, sum := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(e.mac(body), sum) {
		return listToken{}, errBadToken
	}
	n := int(binary.BigEndian.Uint16(body[17:]))
	if len(body) != 19+n {
		return listToken{}, errBadToken
	}
	return listToken{
		issued:  time.UnixMilli(int64(binary.BigEndian.Uint64(body[1:]))),
		created: int64(binary.BigEndian.Uint64(body[9:])),
		payload: string(body[19:]),
	}, nil
}
