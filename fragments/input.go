package fragments

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// The fragmenter's inputs, one per codec: they check and normalize access
// units (parameter sets in band at keyframes, decode times from
// presentation times) and hand samples to the cutting logic.

// WriteH264 adds an access unit (NAL units without start codes) of an H.264
// track with its presentation time in the track's clock and the producer's
// wall-clock time of it.
func (f *Fragmenter) WriteH264(track int, ntp time.Time, pts int64, au [][]byte) error {
	return f.writeH264(track, ntp, pts, au, nil)
}

// WriteH264AVCC adds an H.264 access unit in AVCC form (each NAL unit behind
// a 4-byte length); the buffer becomes the sample's payload when it needs no
// change, saving a copy of every frame. The fragmenter owns it afterwards.
func (f *Fragmenter) WriteH264AVCC(track int, ntp time.Time, pts int64, buf []byte) error {
	au, err := splitAVCC(buf)
	if err != nil {
		return err
	}
	return f.writeH264(track, ntp, pts, au, buf)
}

// splitAVCC slices an AVCC buffer into its NAL units, without copying.
func splitAVCC(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("fragments: truncated AVCC length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			return nil, errors.New("fragments: AVCC unit longer than its buffer")
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}

func (f *Fragmenter) writeH264(track int, ntp time.Time, pts int64, au [][]byte, payload []byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	c, ok := t.Codec.(*codecs.H264)
	if !ok {
		return fmt.Errorf("fragments: track %d is not H.264", track)
	}
	filtered := au[:0:0]
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeSPS:
			if !bytes.Equal(nalu, c.SPS) {
				c.SPS, t.paramsNew = clone(nalu), true
			}
		case h264.NALUTypePPS:
			if !bytes.Equal(nalu, c.PPS) {
				c.PPS, t.paramsNew = clone(nalu), true
			}
		case h264.NALUTypeAccessUnitDelimiter:
			payload = nil // the unit changes: build a new payload
			continue
		}
		filtered = append(filtered, nalu)
	}
	if len(filtered) == 0 {
		return nil
	}
	random := h264.IsRandomAccess(filtered)
	if random {
		withPS := withParams(filtered, func(n []byte) int { return int(h264.NALUType(n[0] & 0x1f)) },
			[]int{int(h264.NALUTypeSPS), int(h264.NALUTypePPS)}, [][]byte{c.SPS, c.PPS})
		if len(withPS) != len(filtered) {
			filtered, payload = withPS, nil
		}
	}
	if !t.ready {
		if !random || c.SPS == nil || c.PPS == nil {
			return nil // wait for a keyframe we can decode
		}
		t.h264DTS = &h264.DTSExtractor{}
		t.h264DTS.Initialize()
		t.ready = true
	}
	dts, err := t.h264DTS.Extract(filtered, pts)
	if err != nil {
		t.ready = false // resynchronize at the next keyframe
		return fmt.Errorf("fragments: H.264 timestamps: %w", err)
	}
	s := &sample{dts: dts, ntp: ntp, arrival: f.opts.Now()}
	if payload != nil {
		s.Payload, s.PTSOffset, s.IsNonSyncSample = payload, int32(pts-dts), !random
	} else if s.Payload, err = h264.AVCC(filtered).Marshal(); err != nil {
		return fmt.Errorf("fragments: H.264 sample: %w", err)
	} else {
		s.PTSOffset, s.IsNonSyncSample = int32(pts-dts), !random
	}
	return f.writeVideo(t, s, random)
}

// withParams prepends the parameter sets a keyframe access unit lacks, as
// cameras that announce them only in the SDP leave them out; decoders (and
// the DTS extractor) need them in band at every random-access point.
func withParams(au [][]byte, typ func([]byte) int, types []int, params [][]byte) [][]byte {
	var missing [][]byte
	for i, want := range types {
		if len(params[i]) == 0 {
			continue
		}
		found := false
		for _, n := range au {
			if typ(n) == want {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, params[i])
		}
	}
	if len(missing) == 0 {
		return au
	}
	return append(missing, au...)
}

// WriteH265 adds an access unit of an H.265 track.
func (f *Fragmenter) WriteH265(track int, ntp time.Time, pts int64, au [][]byte) error {
	return f.writeH265(track, ntp, pts, au, nil)
}

// WriteH265AVCC adds an H.265 access unit in length-prefixed form, as
// WriteH264AVCC does for H.264.
func (f *Fragmenter) WriteH265AVCC(track int, ntp time.Time, pts int64, buf []byte) error {
	au, err := splitAVCC(buf)
	if err != nil {
		return err
	}
	return f.writeH265(track, ntp, pts, au, buf)
}

func (f *Fragmenter) writeH265(track int, ntp time.Time, pts int64, au [][]byte, payload []byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	c, ok := t.Codec.(*codecs.H265)
	if !ok {
		return fmt.Errorf("fragments: track %d is not H.265", track)
	}
	filtered := au[:0:0]
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			if !bytes.Equal(nalu, c.VPS) {
				c.VPS, t.paramsNew = clone(nalu), true
			}
		case h265.NALUType_SPS_NUT:
			if !bytes.Equal(nalu, c.SPS) {
				c.SPS, t.paramsNew = clone(nalu), true
			}
		case h265.NALUType_PPS_NUT:
			if !bytes.Equal(nalu, c.PPS) {
				c.PPS, t.paramsNew = clone(nalu), true
			}
		case h265.NALUType_AUD_NUT:
			payload = nil
			continue
		}
		filtered = append(filtered, nalu)
	}
	if len(filtered) == 0 {
		return nil
	}
	random := h265.IsRandomAccess(filtered)
	if random {
		withPS := withParams(filtered, func(n []byte) int { return int((n[0] >> 1) & 0x3f) },
			[]int{int(h265.NALUType_VPS_NUT), int(h265.NALUType_SPS_NUT), int(h265.NALUType_PPS_NUT)}, [][]byte{c.VPS, c.SPS, c.PPS})
		if len(withPS) != len(filtered) {
			filtered, payload = withPS, nil
		}
	}
	if !t.ready {
		if !random || c.VPS == nil || c.SPS == nil || c.PPS == nil {
			return nil
		}
		t.h265DTS = &h265.DTSExtractor{}
		t.h265DTS.Initialize()
		t.ready = true
	}
	dts, err := t.h265DTS.Extract(filtered, pts)
	if err != nil {
		t.ready = false
		return fmt.Errorf("fragments: H.265 timestamps: %w", err)
	}
	s := &sample{dts: dts, ntp: ntp, arrival: f.opts.Now()}
	if payload != nil {
		s.Payload, s.PTSOffset, s.IsNonSyncSample = payload, int32(pts-dts), !random
	} else if s.Payload, err = h264.AVCC(filtered).Marshal(); err != nil { // H.265 uses the same length-prefixed layout
		return fmt.Errorf("fragments: H.265 sample: %w", err)
	} else {
		s.PTSOffset, s.IsNonSyncSample = int32(pts-dts), !random
	}
	return f.writeVideo(t, s, random)
}

// WriteMPEG4Audio adds AAC access units; au i has time pts + i*1024.
func (f *Fragmenter) WriteMPEG4Audio(track int, ntp time.Time, pts int64, aus [][]byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	if _, ok := t.Codec.(*codecs.MPEG4Audio); !ok {
		return fmt.Errorf("fragments: track %d is not AAC", track)
	}
	now := f.opts.Now()
	for i, au := range aus {
		d := int64(i) * 1024
		f.addAudio(t, &sample{Sample: fmp4.Sample{Payload: clone(au)}, dts: pts + d, ntp: ntp.Add(time.Duration(t.ns(d))), arrival: now})
	}
	return f.afterAudio(now)
}

// WriteOpus adds Opus packets, each following the previous.
func (f *Fragmenter) WriteOpus(track int, ntp time.Time, pts int64, packets [][]byte) error {
	t, err := f.track(track)
	if err != nil {
		return err
	}
	if _, ok := t.Codec.(*codecs.Opus); !ok {
		return fmt.Errorf("fragments: track %d is not Opus", track)
	}
	now := f.opts.Now()
	for _, p := range packets {
		f.addAudio(t, &sample{Sample: fmp4.Sample{Payload: clone(p)}, dts: pts, ntp: ntp, arrival: now})
		d := opus.PacketDuration2(p) * int64(t.ClockRate) / 48000
		pts += d
		ntp = ntp.Add(time.Duration(t.ns(d)))
	}
	return f.afterAudio(now)
}

func (f *Fragmenter) track(track int) (*trackState, error) {
	if track < 0 || track >= len(f.tracks) {
		return nil, fmt.Errorf("fragments: no track %d", track)
	}
	return f.tracks[track], nil
}
