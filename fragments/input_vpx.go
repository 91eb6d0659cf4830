package fragments

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// The inputs of the codecs WebRTC brings besides H.264: VP9 and AV1. A
// browser announces no codec parameters, so they come from the stream:
// the VP9 uncompressed header of a keyframe, the AV1 sequence header. Both
// codecs present frames in decode order (hidden frames travel inside the
// frame or temporal unit shown next), so decode time is presentation time.

// WriteVP9 adds a VP9 frame (one RTP-depacketized frame, superframes
// whole) with its presentation time in the track's clock. The fragmenter
// keeps frame as the stored sample: the caller must not modify it after.
func (f *Fragmenter) WriteVP9(track int, ntp time.Time, pts int64, frame []byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	c, ok := t.Codec.(*codecs.VP9)
	if !ok {
		return fmt.Errorf("fragments: track %d is not VP9", track)
	}
	if len(frame) == 0 {
		return nil
	}
	var h vp9.Header
	if err := h.Unmarshal(vp9FirstFrame(frame)); err != nil {
		return fmt.Errorf("fragments: VP9 frame header: %w", err)
	}
	random := !h.ShowExistingFrame && !h.NonKeyFrame
	var params codecs.VP9
	if random {
		params = codecs.VP9{Width: h.Width(), Height: h.Height(), Profile: h.Profile, BitDepth: h.ColorConfig.BitDepth,
			ChromaSubsampling: h.ChromaSubsampling(), ColorRange: h.ColorConfig.ColorRange}
	}
	if err := f.videoTime(t, pts); err != nil {
		return err
	}
	if random && params != *c {
		*c, t.paramsNew = params, true
	}
	if !t.ready {
		if !random {
			return nil // wait for a keyframe
		}
		t.ready = true
	}
	t.lastDTS, t.haveLast = pts, true
	s := &sample{Sample: fmp4.Sample{Payload: frame, IsNonSyncSample: !random}, dts: pts, ntp: ntp, arrival: f.opts.Now()}
	return f.writeVideo(t, s, random)
}

// vp9FirstFrame returns the first frame of a superframe (frames joined
// behind an index that ends the buffer), or the buffer when it is a
// single frame. The first frame decides whether a superframe is a keyframe.
func vp9FirstFrame(b []byte) []byte {
	last := b[len(b)-1]
	if last&0xe0 != 0xc0 {
		return b
	}
	frames := int(last&7) + 1
	size := int(last>>3&3) + 1
	index := 2 + size*frames
	if len(b) < index || b[len(b)-index] != last {
		return b
	}
	n := 0
	for i := 0; i < size; i++ {
		n |= int(b[len(b)-index+1+i]) << (8 * i)
	}
	if n == 0 || n > len(b)-index {
		return b
	}
	return b[:n]
}

// videoTime checks that a VP9 or AV1 frame comes after the one before: a
// frame whose time goes back cannot be stored in order, and dropping it
// would leave the frames after it without a reference, so the stream waits
// for the next keyframe as after a loss.
func (f *Fragmenter) videoTime(t *trackState, pts int64) error {
	if !t.haveLast || pts > t.lastDTS {
		return nil
	}
	var err error
	if t.ready && t == f.video {
		err = f.Gap()
	}
	t.ready = false
	return errors.Join(err, fmt.Errorf("fragments: video time %d does not follow %d: waiting for the next keyframe", pts, t.lastDTS))
}

// WriteAV1 adds an AV1 temporal unit given as its OBUs, with or without
// their size fields (as RTP carries them, or as the low-overhead bitstream
// format does; one element may also hold several OBUs that have sizes).
// Temporal delimiters, padding, redundant frame headers and tile lists are
// left out; the stored sample has every OBU with its size, as MP4 wants.
func (f *Fragmenter) WriteAV1(track int, ntp time.Time, pts int64, obus [][]byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	c, ok := t.Codec.(*codecs.AV1)
	if !ok {
		return fmt.Errorf("fragments: track %d is not AV1", track)
	}
	tu, err := splitOBUs(obus)
	if err != nil {
		return err
	}
	if len(tu) == 0 {
		return nil
	}
	// The sequence header in this unit, if any, and the one that applies.
	var seqOBU []byte
	for _, o := range tu {
		if o.typ == av1.OBUTypeSequenceHeader {
			seqOBU = o.plain()
			break
		}
	}
	seq := t.av1Seq
	if seqOBU != nil && (seq == nil || !bytes.Equal(seqOBU, c.SequenceHeader)) {
		var sh av1.SequenceHeader
		if err := sh.Unmarshal(seqOBU); err != nil {
			return fmt.Errorf("fragments: AV1 sequence header: %w", err)
		}
		seq = &sh
	}
	random := false
	if seqOBU != nil {
		if random, err = av1KeyFrame(tu, seq); err != nil {
			return err
		}
	}
	if err := f.videoTime(t, pts); err != nil {
		return err
	}
	if random && !bytes.Equal(seqOBU, c.SequenceHeader) {
		c.SequenceHeader, t.av1Seq, t.paramsNew = seqOBU, seq, true
	}
	if !t.ready {
		if !random {
			return nil // wait for a keyframe
		}
		t.ready = true
	}
	t.lastDTS, t.haveLast = pts, true
	n := 0
	for _, o := range tu {
		n += o.sizedLen()
	}
	payload := make([]byte, 0, n)
	for _, o := range tu {
		payload = o.appendSized(payload)
	}
	s := &sample{Sample: fmp4.Sample{Payload: payload, IsNonSyncSample: !random}, dts: pts, ntp: ntp, arrival: f.opts.Now()}
	return f.writeVideo(t, s, random)
}

// obu is one OBU of a temporal unit: its header (one byte, or two with the
// extension) without the size flag, and its payload.
type obu struct {
	typ     av1.OBUType
	header  []byte
	payload []byte
}

// plain is the OBU without a size field.
func (o obu) plain() []byte {
	b := make([]byte, 0, len(o.header)+len(o.payload))
	return append(append(b, o.header...), o.payload...)
}

func (o obu) sizedLen() int {
	return len(o.header) + av1.LEB128(uint32(len(o.payload))).MarshalSize() + len(o.payload)
}

// appendSized appends the OBU with its size field.
func (o obu) appendSized(b []byte) []byte {
	b = append(b, o.header[0]|0b10)
	b = append(b, o.header[1:]...)
	var size [8]byte
	n := av1.LEB128(uint32(len(o.payload))).MarshalTo(size[:])
	b = append(b, size[:n]...)
	return append(b, o.payload...)
}

// splitOBUs parses the OBUs of a temporal unit, leaving out those a stored
// sample does not carry.
func splitOBUs(elems [][]byte) ([]obu, error) {
	var out []obu
	for _, b := range elems {
		for len(b) > 0 {
			if b[0]&0x80 != 0 {
				return nil, errors.New("fragments: AV1 OBU with the forbidden bit set")
			}
			hl := 1
			if b[0]&0b100 != 0 {
				hl = 2 // extension header: temporal and spatial layer
			}
			if len(b) < hl {
				return nil, errors.New("fragments: truncated AV1 OBU header")
			}
			o := obu{typ: av1.OBUType(b[0] >> 3 & 0xf), header: append([]byte{b[0] &^ 0b10}, b[1:hl]...)}
			rest := b[hl:]
			if b[0]&0b10 != 0 {
				var size av1.LEB128
				n, err := size.Unmarshal(rest)
				if err != nil {
					return nil, fmt.Errorf("fragments: AV1 OBU size: %w", err)
				}
				if int(size) > len(rest)-n {
					return nil, fmt.Errorf("fragments: AV1 OBU of %d bytes in %d", size, len(rest)-n)
				}
				o.payload, b = rest[n:n+int(size)], rest[n+int(size):]
			} else {
				o.payload, b = rest, nil
			}
			switch o.typ {
			case av1.OBUTypeTemporalDelimiter, av1.OBUTypePadding, obuRedundantFrameHeader, obuTileList:
				continue
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// OBU types the av1 package does not name.
const (
	obuFrameHeader          av1.OBUType = 3
	obuRedundantFrameHeader av1.OBUType = 7
	obuFrame                av1.OBUType = 6
	obuTileList             av1.OBUType = 8
)

// av1KeyFrame reports whether the first frame of a temporal unit is a key
// frame that is shown: where a decoder can start (a sync sample in MP4
// terms, given the sequence header that comes with it).
func av1KeyFrame(tu []obu, seq *av1.SequenceHeader) (bool, error) {
	if seq.ReducedStillPictureHeader {
		return true, nil // a single key frame
	}
	for _, o := range tu {
		if o.typ != obuFrameHeader && o.typ != obuFrame {
			continue
		}
		if len(o.payload) == 0 {
			return false, errors.New("fragments: empty AV1 frame header")
		}
		b := o.payload[0]
		if b&0x80 != 0 {
			return false, nil // show_existing_frame
		}
		frameType, show := b>>5&3, b&0x10 != 0
		return frameType == 0 && show, nil
	}
	return false, nil
}
