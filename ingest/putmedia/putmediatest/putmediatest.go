package putmediatest

import (
	"encoding/binary"
	"math"
	"os"
)

// Element IDs used.
const (
	idEBML            = 0x1A45DFA3
	idEBMLVersion     = 0x4286
	idEBMLReadVersion = 0x42F7
	idEBMLMaxIDLength = 0x42F2
	idEBMLMaxSizeLen  = 0x42F3
	idDocType         = 0x4282
	idDocTypeVersion  = 0x4287
	idDocTypeRead     = 0x4285
	idSegment         = 0x18538067
	idInfo            = 0x1549A966
	idTimecodeScale   = 0x2AD7B1
	idMuxingApp       = 0x4D80
	idWritingApp      = 0x5741
	idTracks          = 0x1654AE6B
	idTrackEntry      = 0xAE
	idTrackNumber     = 0xD7
	idTrackUID        = 0x73C5
	idTrackType       = 0x83
	idCodecID         = 0x86
	idCodecPrivate    = 0x63A2
	idVideo           = 0xE0
	idPixelWidth      = 0xB0
	idPixelHeight     = 0xBA
	idAudio           = 0xE1
	idSamplingFreq    = 0xB5
	idChannels        = 0x9F
	idCluster         = 0x1F43B675
	idTimecode        = 0xE7
	idSimpleBlock     = 0xA3
	idTags            = 0x1254C367
	idTag             = 0x7373
	idSimpleTag       = 0x67C8
	idTagName         = 0x45A3
	idTagString       = 0x4487
)

// Track is a TrackEntry.
type Track struct {
	Number       uint64
	CodecID      string // V_MPEG4/ISO/AVC, A_AAC, ...
	CodecPrivate []byte
	Video        bool
	Width        uint64
	Height       uint64
	SampleRate   float64
	Channels     uint64
}

// Frame is one SimpleBlock.
type Frame struct {
	Track    uint64
	Timecode int16 // relative to the cluster's
	Keyframe bool
	Data     []byte
}

func id(b []byte, v uint32) []byte {
	switch {
	case v >= 1<<24:
		return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	case v >= 1<<16:
		return append(b, byte(v>>16), byte(v>>8), byte(v))
	case v >= 1<<8:
		return append(b, byte(v>>8), byte(v))
	}
	return append(b, byte(v))
}

// size writes an element size in 8 bytes.
func size(b []byte, n int) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(n)|1<<56)
}

// Element is an element with its body.
func Element(eid uint32, body ...[]byte) []byte {
	n := 0
	for _, p := range body {
		n += len(p)
	}
	b := size(id(nil, eid), n)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

func uintEl(eid uint32, v uint64) []byte {
	return Element(eid, binary.BigEndian.AppendUint64(nil, v))
}

func strEl(eid uint32, s string) []byte { return Element(eid, []byte(s)) }

// Header is the start of a PutMedia body: the EBML header, a Segment of
// unknown size, Info (timecodeScale ns per unit) and Tracks.
func Header(timecodeScale uint64, tracks ...Track) []byte {
	b := Element(idEBML, uintEl(idEBMLVersion, 1), uintEl(idEBMLReadVersion, 1), uintEl(idEBMLMaxIDLength, 4),
		uintEl(idEBMLMaxSizeLen, 8), strEl(idDocType, "matroska"), uintEl(idDocTypeVersion, 2), uintEl(idDocTypeRead, 2))
	b = id(b, idSegment)
	b = append(b, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF) // unknown size
	b = append(b, Element(idInfo, uintEl(idTimecodeScale, timecodeScale), strEl(idMuxingApp, "putmediatest"), strEl(idWritingApp, "putmediatest"))...)
	var entries [][]byte
	for _, t := range tracks {
		e := [][]byte{uintEl(idTrackNumber, t.Number), uintEl(idTrackUID, t.Number), strEl(idCodecID, t.CodecID)}
		if t.Video {
			e = append(e, uintEl(idTrackType, 1), Element(idVideo, uintEl(idPixelWidth, t.Width), uintEl(idPixelHeight, t.Height)))
		} else {
			e = append(e, uintEl(idTrackType, 2), Element(idAudio,
				Element(idSamplingFreq, binary.BigEndian.AppendUint64(nil, math.Float64bits(t.SampleRate))), uintEl(idChannels, t.Channels)))
		}
		if len(t.CodecPrivate) > 0 {
			e = append(e, Element(idCodecPrivate, t.CodecPrivate))
		}
		entries = append(entries, Element(idTrackEntry, e...))
	}
	return append(b, Element(idTracks, entries...)...)
}

// Cluster is a Cluster of known size.
func Cluster(timecode uint64, frames ...Frame) []byte {
	return Element(idCluster, clusterBody(timecode, frames)...)
}

// ClusterUnknownSize is a Cluster of unknown size, as the KVS producer
// libraries write it: it ends where the next top-level element starts.
func ClusterUnknownSize(timecode uint64, frames ...Frame) []byte {
	b := id(nil, idCluster)
	b = append(b, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	for _, p := range clusterBody(timecode, frames) {
		b = append(b, p...)
	}
	return b
}

func clusterBody(timecode uint64, frames []Frame) [][]byte {
	parts := [][]byte{uintEl(idTimecode, timecode)}
	for _, f := range frames {
		h := []byte{0x80 | byte(f.Track), byte(uint16(f.Timecode) >> 8), byte(f.Timecode), 0}
		if f.Keyframe {
			h[3] = 0x80
		}
		parts = append(parts, Element(idSimpleBlock, h, f.Data))
	}
	return parts
}

// Tags is a Tags element of one Tag with the given name/value pairs.
func Tags(pairs ...string) []byte {
	var st [][]byte
	for i := 0; i+1 < len(pairs); i += 2 {
		st = append(st, Element(idSimpleTag, strEl(idTagName, pairs[i]), strEl(idTagString, pairs[i+1])))
	}
	return Element(idTags, Element(idTag, st...))
}

// AVCConfig is the AVCDecoderConfigurationRecord of an SPS and a PPS
// (4-byte NAL unit lengths).
func AVCConfig(sps, pps []byte) []byte {
	b := []byte{1, sps[1], sps[2], sps[3], 0xFF, 0xE1}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...)
}

// AVCC joins NAL units, each behind its 4-byte length.
func AVCC(nalus [][]byte) []byte {
	var b []byte
	for _, n := range nalus {
		b = binary.BigEndian.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
	}
	return b
}

// AccessUnit is one H.264 access unit.
type AccessUnit struct {
	NALUs    [][]byte
	Keyframe bool
}

// ReadH264 reads an H.264 Annex B file into access units (split where a
// picture's first slice starts, or at an access unit delimiter), with the
// stream's first SPS and PPS.
func ReadH264(path string) (aus []AccessUnit, sps, pps []byte, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	aus, sps, pps = SplitH264(raw)
	return aus, sps, pps, nil
}

// SplitH264 is ReadH264 on bytes.
func SplitH264(raw []byte) (aus []AccessUnit, sps, pps []byte) {
	var cur *AccessUnit
	var sawSlice bool
	for _, n := range splitAnnexB(raw) {
		if len(n) == 0 {
			continue
		}
		typ := n[0] & 0x1f
		switch typ {
		case 7:
			if sps == nil {
				sps = n
			}
		case 8:
			if pps == nil {
				pps = n
			}
		}
		// A new access unit starts at a delimiter, at parameter sets or SEI
		// after a slice, or at a slice whose first_mb_in_slice is 0 after a
		// slice.
		newAU := cur == nil || typ == 9 ||
			(sawSlice && (typ == 6 || typ == 7 || typ == 8)) ||
			(sawSlice && (typ == 1 || typ == 5) && len(n) > 1 && n[1]&0x80 != 0)
		if newAU {
			aus = append(aus, AccessUnit{})
			cur = &aus[len(aus)-1]
			sawSlice = false
		}
		if typ == 9 {
			continue
		}
		if typ == 1 || typ == 5 {
			sawSlice = true
		}
		if typ == 5 {
			cur.Keyframe = true
		}
		cur.NALUs = append(cur.NALUs, n)
	}
	// Drop empty units (a delimiter alone).
	out := aus[:0]
	for _, au := range aus {
		if len(au.NALUs) > 0 {
			out = append(out, au)
		}
	}
	return out, sps, pps
}

func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}
