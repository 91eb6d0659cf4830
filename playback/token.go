package playback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Playback modes, selector kinds, containers and discontinuity modes as
// KVS names them.
const (
	ModeLive     = "LIVE"
	ModeReplay   = "LIVE_REPLAY"
	ModeOnDemand = "ON_DEMAND"

	ContainerFMP4 = "FRAGMENTED_MP4"
	ContainerTS   = "MPEG_TS"

	DiscontinuityAlways = "ALWAYS"
	DiscontinuityNever  = "NEVER"
	DiscontinuityOn     = "ON_DISCONTINUITY"
)

// session is what an HLS or DASH session token carries.
type session struct {
	StreamID  string
	Mode      string
	Producer  bool // PRODUCER_TIMESTAMP selector (else SERVER_TIMESTAMP)
	DASH      bool // a DASH session (else HLS): each protocol takes only its own tokens
	Container string
	Disc      string
	ShowTime  bool  // DisplayFragmentTimestamp ALWAYS
	ShowNum   bool  // DisplayFragmentNumber ALWAYS (DASH)
	Start     int64 // ns; 0 when absent (LIVE)
	End       int64 // ns; 0 when absent
	Max       int
	Created   int64 // ns
	Expires   int64 // ns
}

var (
	modes      = []string{ModeLive, ModeReplay, ModeOnDemand}
	containers = []string{ContainerFMP4, ContainerTS}
	discModes  = []string{DiscontinuityAlways, DiscontinuityNever, DiscontinuityOn}
)

func indexOf(list []string, v string) byte {
	for i, s := range list {
		if s == v {
			return byte(i)
		}
	}
	return 0
}

// Token layout (before base64url): version 1 | mode | flags (bit 0
// producer, bit 1 show time, bit 2 DASH, bit 3 show fragment number; the
// tokens sealed before DASH existed are HLS ones, bits 2 and 3 clear) | container | discontinuity mode | max (4) |
// start (8) | end (8) | created (8) | expires (8) | stream id length (1) |
// stream id | HMAC-SHA256 of all that, first 16 bytes.
const (
	tokenVersion = 1
	macLen       = 16
)

func sealSession(key []byte, s session) string {
	b := []byte{tokenVersion, indexOf(modes, s.Mode), 0, indexOf(containers, s.Container), indexOf(discModes, s.Disc)}
	if s.Producer {
		b[2] |= 1
	}
	if s.ShowTime {
		b[2] |= 2
	}
	if s.DASH {
		b[2] |= 4
	}
	if s.ShowNum {
		b[2] |= 8
	}
	b = binary.BigEndian.AppendUint32(b, uint32(s.Max))
	for _, v := range []int64{s.Start, s.End, s.Created, s.Expires} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = append(b, byte(len(s.StreamID)))
	b = append(b, s.StreamID...)
	m := hmac.New(sha256.New, key)
	m.Write(b)
	b = append(b, m.Sum(nil)[:macLen]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openSession checks a token of the protocol (dash or HLS) and returns its
// session.
func openSession(key []byte, token string, now time.Time, dash bool) (session, error) {
	bad := errorf(ErrNotAuthorized, "The streaming session token is not valid.")
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	// The decoder skips CR and LF even in Strict mode: only the exact text
	// we sealed is the token, so anything that re-encodes differently is not.
	const fixed = 5 + 4 + 32 + 1
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != token || len(b) < fixed+macLen || b[0] != tokenVersion {
		return session{}, bad
	}
	body, mac := b[:len(b)-macLen], b[len(b)-macLen:]
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(mac, m.Sum(nil)[:macLen]) {
		return session{}, bad
	}
	if int(body[fixed-1]) != len(body)-fixed || body[2]&^15 != 0 || body[1] >= byte(len(modes)) || body[3] >= byte(len(containers)) || body[4] >= byte(len(discModes)) {
		return session{}, bad
	}
	s := session{Mode: modes[body[1]], Producer: body[2]&1 != 0, ShowTime: body[2]&2 != 0, DASH: body[2]&4 != 0, ShowNum: body[2]&8 != 0,
		Container: containers[body[3]], Disc: discModes[body[4]], Max: int(binary.BigEndian.Uint32(body[5:]))}
	p := body[9:]
	s.Start, s.End = int64(binary.BigEndian.Uint64(p)), int64(binary.BigEndian.Uint64(p[8:]))
	s.Created, s.Expires = int64(binary.BigEndian.Uint64(p[16:])), int64(binary.BigEndian.Uint64(p[24:]))
	s.StreamID = string(body[fixed:])
	if s.DASH != dash {
		// A token of the other protocol is as foreign as a forged one.
		return session{}, bad
	}
	if now.UnixNano() >= s.Expires {
		return session{}, errorf(ErrNotAuthorized, "Streaming session token is expired.")
	}
	return s, nil
}
