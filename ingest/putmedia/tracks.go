package putmedia

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/matroska"
)

// Matroska codec ids of the tracks that are stored.
const (
	codecH264 = "V_MPEG4/ISO/AVC"
	codecH265 = "V_MPEGH/ISO/HEVC"
	codecAAC  = "A_AAC"
	codecOpus = "A_OPUS"
)

type trackKind uint8

const (
	kindH264 trackKind = iota + 1
	kindH265
	kindAAC
	kindOpus
)

// mapped is a Matroska track that is stored.
type mapped struct {
	index   int // in the fragmenter's tracks
	kind    trackKind
	rate    int64 // clock rate of its timestamps
	nalSize int   // NAL unit length size of H.264/H.265 blocks (1, 2 or 4)
}

// trackMap is what a document's header says about its tracks.
type trackMap struct {
	tracks []fragments.Track
	byNum  map[uint64]*mapped
	// declared are the numbers of every track of the header, stored or not.
	declared map[uint64]struct{}
	sig      []byte // identity of the stored tracks: a change means a new init segment
}

var errNoTracks = errors.New("no H.264, H.265, AAC or Opus track")

// mapTracks turns a header's tracks into fragmenter tracks.
func mapTracks(h *matroska.Header) (*trackMap, error) {
	tm := &trackMap{byNum: map[uint64]*mapped{}, declared: map[uint64]struct{}{}}
	for _, t := range h.Tracks {
		tm.declared[t.Number] = struct{}{}
		var ft fragments.Track
		m := &mapped{index: len(tm.tracks)}
		var err error
		switch t.CodecID {
		case codecH264:
			var sps, pps [][]byte
			sps, pps, m.nalSize, err = parseAVCC(t.CodecPrivate)
			c := &codecs.H264{}
			if len(sps) > 0 {
				c.SPS = sps[0]
			}
			if len(pps) > 0 {
				c.PPS = pps[0]
			}
			ft, m.kind, m.rate = fragments.Track{Codec: c, ClockRate: 90000}, kindH264, 90000
		case codecH265:
			var ps map[byte][]byte
			ps, m.nalSize, err = parseHVCC(t.CodecPrivate)
			ft = fragments.Track{Codec: &codecs.H265{VPS: ps[32], SPS: ps[33], PPS: ps[34]}, ClockRate: 90000}
			m.kind, m.rate = kindH265, 90000
		case codecAAC:
			var asc mpeg4audio.AudioSpecificConfig
			if err = asc.Unmarshal(t.CodecPrivate); err == nil && asc.SampleRate <= 0 {
				err = errors.New("no sample rate")
			}
			ft = fragments.Track{Codec: &codecs.MPEG4Audio{Config: asc}, ClockRate: asc.SampleRate}
			m.kind, m.rate = kindAAC, int64(asc.SampleRate)
		case codecOpus:
			ch := int(t.Channels)
			if len(t.CodecPrivate) >= 10 && bytes.HasPrefix(t.CodecPrivate, []byte("OpusHead")) {
				ch = int(t.CodecPrivate[9])
			}
			if ch <= 0 {
				ch = 2
			}
			ft = fragments.Track{Codec: &codecs.Opus{ChannelCount: ch}, ClockRate: 48000}
			m.kind, m.rate = kindOpus, 48000
		default:
			continue // not stored
		}
		if err != nil {
			return nil, fmt.Errorf("track %d (%s): codec private data: %w", t.Number, t.CodecID, err)
		}
		tm.tracks = append(tm.tracks, ft)
		tm.byNum[t.Number] = m
		tm.sig = binary.BigEndian.AppendUint64(tm.sig, t.Number)
		tm.sig = append(tm.sig, t.CodecID...)
		tm.sig = binary.BigEndian.AppendUint32(tm.sig, uint32(len(t.CodecPrivate)))
		tm.sig = append(tm.sig, t.CodecPrivate...)
	}
	if len(tm.tracks) == 0 {
		return nil, errNoTracks
	}
	return tm, nil
}

// parseAVCC reads an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// 5.3.3.1): its parameter sets and NAL unit length size. Empty codec
// private data is accepted: the parameter sets then come in band.
func parseAVCC(b []byte) (sps, pps [][]byte, nalSize int, err error) {
	if len(b) == 0 {
		return nil, nil, 4, nil
	}
	if len(b) < 6 || b[0] != 1 {
		return nil, nil, 0, errors.New("not an AVCDecoderConfigurationRecord")
	}
	nalSize = int(b[4]&3) + 1
	if nalSize == 3 {
		return nil, nil, 0, errors.New("NAL unit length size 3")
	}
	rest := b[6:]
	sps, rest, err = paramSets(rest, int(b[5]&0x1f))
	if err != nil {
		return nil, nil, 0, err
	}
	if len(rest) < 1 {
		return nil, nil, 0, errors.New("truncated record")
	}
	pps, _, err = paramSets(rest[1:], int(rest[0]))
	return sps, pps, nalSize, err
}

// paramSets reads n parameter sets, each behind a 2-byte length.
func paramSets(b []byte, n int) ([][]byte, []byte, error) {
	var out [][]byte
	for i := 0; i < n; i++ {
		if len(b) < 2 {
			return nil, nil, errors.New("truncated parameter set")
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l || l == 0 {
			return nil, nil, errors.New("truncated parameter set")
		}
		out = append(out, append([]byte(nil), b[2:2+l]...))
		b = b[2+l:]
	}
	return out, b, nil
}

// parseHVCC reads an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
// 8.3.3.1): the first parameter set of each NAL unit type, and the NAL unit
// length size.
func parseHVCC(b []byte) (map[byte][]byte, int, error) {
	ps := map[byte][]byte{}
	if len(b) == 0 {
		return ps, 4, nil
	}
	if len(b) < 23 || b[0] != 1 {
		return nil, 0, errors.New("not an HEVCDecoderConfigurationRecord")
	}
	nalSize := int(b[21]&3) + 1
	if nalSize == 3 {
		return nil, 0, errors.New("NAL unit length size 3")
	}
	n := int(b[22])
	rest := b[23:]
	for i := 0; i < n; i++ {
		if len(rest) < 3 {
			return nil, 0, errors.New("truncated record")
		}
		typ := rest[0] & 0x3f
		sets, r, err := paramSets(rest[3:], int(binary.BigEndian.Uint16(rest[1:])))
		if err != nil {
			return nil, 0, err
		}
		if len(sets) > 0 && ps[typ] == nil {
			ps[typ] = sets[0]
		}
		rest = r
	}
	return ps, nalSize, nil
}

// toAVCC4 rewrites NAL units behind lengths of size bytes to lengths of 4
// bytes, the form the fragmenter stores; with 4 the frame is checked and
// returned as it is.
func toAVCC4(b []byte, size int) ([]byte, error) {
	if size == 4 {
		for rest := b; len(rest) > 0; {
			if len(rest) < 4 {
				return nil, errors.New("truncated NAL unit length")
			}
			n := binary.BigEndian.Uint32(rest)
			if uint64(n) > uint64(len(rest)-4) {
				return nil, errors.New("NAL unit longer than its frame")
			}
			rest = rest[4+n:]
		}
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(b)/8+8)
	for len(b) > 0 {
		if len(b) < size {
			return nil, errors.New("truncated NAL unit length")
		}
		var n int
		for i := 0; i < size; i++ {
			n = n<<8 | int(b[i])
		}
		if n > len(b)-size {
			return nil, errors.New("NAL unit longer than its frame")
		}
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = append(out, b[size:size+n]...)
		b = b[size+n:]
	}
	return out, nil
}
