package getmedia

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	amp4 "github.com/abema/go-mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// ErrTracksChanged is returned by MP4Writer.Write for a fragment whose
// tracks cannot continue the file's init segment (another track layout,
// another codec, another audio configuration) when MP4Options.NewFile is
// nil.
var ErrTracksChanged = errors.New("getmedia: the fragment's tracks differ from the file's init segment")

// ErrUnsupportedCodec is returned for a fragment none of whose tracks can
// go into an MP4 (only H.264, H.265, AAC and Opus are written).
var ErrUnsupportedCodec = errors.New("getmedia: no track with a codec the MP4 writer supports (H.264, H.265, AAC, Opus)")

// Stats counts what an MP4Writer wrote.
type Stats struct {
	Fragments int   // fragments written
	Frames    int   // frames written, all tracks
	Bytes     int64 // bytes written, all files
	Files     int   // init segments started (files, with MP4Options.NewFile)
	Errors    int   // fragments KVS reported an error for (WriteMP4)
}

// MP4Options tunes an MP4Writer.
type MP4Options struct {
	// NewFile, when set, is called when a fragment's tracks cannot continue
	// the current file (see ErrTracksChanged); the writer finishes the
	// current file and starts a new one, ftyp and moov first, on the
	// writer NewFile returns.
	NewFile func() (io.Writer, error)
}

// MP4Writer turns fragments into one continuous fragmented MP4: ftyp and
// moov from the first fragment's tracks, then one moof and mdat per
// fragment. Decode times run on from fragment to fragment (a sample's
// duration reaches to the next sample, also across fragments, so each
// fragment is written when the next one arrives or at Close). Times start
// at zero at the first frame written; a gap in the stream stays a gap.
//
// When a video track's codec private data changes (a camera restarted at
// another resolution) the new parameter sets are written in-band, at the
// start of each keyframe, so the file goes on and decoders such as ffmpeg
// switch at that keyframe (the moov keeps the first configuration). Any
// other change of tracks ends the file: see MP4Options.NewFile.
type MP4Writer struct {
	w       io.Writer
	opts    MP4Options
	tracks  []*outTrack // the moov's tracks, nil before the first fragment
	pending *Fragment
	origin  time.Duration
	seq     uint32
	stats   Stats
}

// outTrack is a track of the moov.
type outTrack struct {
	id        int
	number    uint64 // the Matroska track number it takes frames from
	src       Track
	codec     codecs.Codec
	timescale uint32
	lenSize   int    // NAL length size of the source frames (video)
	inband    []byte // parameter sets to put before keyframes (length-prefixed), nil if none
	next      int64  // decode time of the next sample, in timescale units; -1 before the first
}

// NewMP4Writer returns a writer to w.
func NewMP4Writer(w io.Writer, opts MP4Options) *MP4Writer {
	return &MP4Writer{w: w, opts: opts}
}

// Stats returns what was written so far.
func (m *MP4Writer) Stats() Stats { return m.stats }

// Write adds a fragment. Fragments with an error or without frames are
// passed over.
func (m *MP4Writer) Write(f *Fragment) error {
	if f == nil || f.Err != nil || len(f.Frames) == 0 {
		return nil
	}
	if m.tracks == nil {
		if err := m.start(f); err != nil {
			return err
		}
		m.pending = f
		return nil
	}
	if err := m.flush(f); err != nil {
		return err
	}
	if err := m.adapt(f); err != nil {
		if !errors.Is(err, ErrTracksChanged) || m.opts.NewFile == nil {
			return err
		}
		w, err := m.opts.NewFile()
		if err != nil {
			return err
		}
		m.w = w
		if err := m.start(f); err != nil {
			return err
		}
	}
	m.pending = f
	return nil
}

// Close writes the last fragment held back. It does not close the
// underlying writer.
func (m *MP4Writer) Close() error {
	return m.flush(nil)
}

// WriteMP4 reads r to its end and writes the fragments to w as one
// fragmented MP4. Fragments KVS reported an error for are counted in
// Stats.Errors and passed over.
func WriteMP4(w io.Writer, r *Reader) (Stats, error) {
	m := NewMP4Writer(w, MP4Options{})
	for {
		f, err := r.Next()
		var kvsErr *Error
		if errors.As(err, &kvsErr) {
			m.stats.Errors++
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			m.Close()
			return m.stats, err
		}
		if err := m.Write(f); err != nil {
			return m.stats, err
		}
	}
	err := m.Close()
	return m.stats, err
}

// start writes ftyp and moov for the tracks of f.
func (m *MP4Writer) start(f *Fragment) error {
	var init fmp4.Init
	m.tracks = nil
	for _, t := range f.Tracks {
		ot, err := newOutTrack(t)
		if err != nil {
			return err
		}
		if ot == nil {
			continue
		}
		ot.id = len(m.tracks) + 1
		m.tracks = append(m.tracks, ot)
		init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: ot.id, TimeScale: ot.timescale, Codec: ot.codec})
	}
	if len(m.tracks) == 0 {
		return ErrUnsupportedCodec
	}
	m.origin = earliest(f)
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		return fmt.Errorf("getmedia: mp4 init: %w", err)
	}
	m.stats.Files++
	return m.write(buf.Bytes())
}

func earliest(f *Fragment) time.Duration {
	t := f.Frames[0].Time
	for _, fr := range f.Frames {
		t = min(t, fr.Time)
	}
	return t
}

// adapt checks that f's tracks continue the moov, noting new video
// parameter sets to send in-band.
func (m *MP4Writer) adapt(f *Fragment) error {
	n := 0
	for _, t := range f.Tracks {
		if supported(t.CodecID) {
			n++
		}
	}
	if n != len(m.tracks) {
		return fmt.Errorf("%w: %d tracks, the file has %d", ErrTracksChanged, n, len(m.tracks))
	}
	for _, ot := range m.tracks {
		t := f.Track(ot.number)
		if t == nil || t.CodecID != ot.src.CodecID {
			return fmt.Errorf("%w: track %d", ErrTracksChanged, ot.number)
		}
		if bytes.Equal(t.CodecPrivate, ot.src.CodecPrivate) {
			ot.inband = nil
			continue
		}
		if t.Type != 1 || !(t.CodecID == codecAVC || t.CodecID == codecHEVC) {
			return fmt.Errorf("%w: track %d has another configuration", ErrTracksChanged, ot.number)
		}
		sets, lenSize, err := parameterSets(t.CodecID, t.CodecPrivate)
		if err != nil {
			return err
		}
		if lenSize != ot.lenSize {
			return fmt.Errorf("%w: track %d changed its NAL length size", ErrTracksChanged, ot.number)
		}
		ot.inband = nil
		for _, s := range sets {
			ot.inband = binary.BigEndian.AppendUint32(ot.inband, uint32(len(s)))
			ot.inband = append(ot.inband, s...)
		}
	}
	return nil
}

// flush writes the held fragment, its last samples lasting until next's
// first ones (or as long as the samples before them, at the end).
func (m *MP4Writer) flush(next *Fragment) error {
	f := m.pending
	if f == nil {
		return nil
	}
	m.pending = nil
	m.seq++
	part := fmp4.Part{SequenceNumber: m.seq}
	frames := 0
	for _, ot := range m.tracks {
		pt, err := ot.part(m, f, next)
		if err != nil {
			return err
		}
		if pt != nil {
			part.Tracks = append(part.Tracks, pt)
			frames += len(pt.Samples)
		}
	}
	if len(part.Tracks) == 0 {
		return nil
	}
	var buf seekablebuffer.Buffer
	if err := part.Marshal(&buf); err != nil {
		return fmt.Errorf("getmedia: mp4 fragment: %w", err)
	}
	if err := m.write(buf.Bytes()); err != nil {
		return err
	}
	m.stats.Fragments++
	m.stats.Frames += frames
	return nil
}

func (m *MP4Writer) write(b []byte) error {
	n, err := m.w.Write(b)
	m.stats.Bytes += int64(n)
	return err
}

const (
	codecAVC  = "V_MPEG4/ISO/AVC"
	codecHEVC = "V_MPEGH/ISO/HEVC"
	codecAAC  = "A_AAC"
	codecOpus = "A_OPUS"
)

func supported(id string) bool {
	switch id {
	case codecAVC, codecHEVC, codecAAC, codecOpus:
		return true
	}
	return false
}

// newOutTrack describes a Matroska track as an MP4 track; nil for a codec
// the writer does not carry.
func newOutTrack(t Track) (*outTrack, error) {
	ot := &outTrack{number: t.Number, src: t, next: -1}
	switch t.CodecID {
	case codecAVC, codecHEVC:
		sets, lenSize, err := parameterSets(t.CodecID, t.CodecPrivate)
		if err != nil {
			return nil, err
		}
		ot.lenSize, ot.timescale = lenSize, 90000
		if t.CodecID == codecAVC {
			c := &codecs.H264{}
			for _, s := range sets {
				switch s[0] & 0x1f {
				case 7:
					c.SPS = s
				case 8:
					c.PPS = s
				}
			}
			if c.SPS == nil || c.PPS == nil {
				return nil, fmt.Errorf("%w: track %d: the AVC configuration lacks an SPS or a PPS", ErrInvalid, t.Number)
			}
			ot.codec = c
		} else {
			c := &codecs.H265{}
			for _, s := range sets {
				switch (s[0] >> 1) & 0x3f {
				case 32:
					c.VPS = s
				case 33:
					c.SPS = s
				case 34:
					c.PPS = s
				}
			}
			if c.VPS == nil || c.SPS == nil || c.PPS == nil {
				return nil, fmt.Errorf("%w: track %d: the HEVC configuration lacks a VPS, SPS or PPS", ErrInvalid, t.Number)
			}
			ot.codec = c
		}
	case codecAAC:
		var asc mpeg4audio.AudioSpecificConfig
		if err := asc.Unmarshal(t.CodecPrivate); err != nil {
			return nil, fmt.Errorf("%w: track %d: AAC configuration: %w", ErrInvalid, t.Number, err)
		}
		ot.codec = &codecs.MPEG4Audio{Config: asc}
		ot.timescale = uint32(asc.SampleRate)
	case codecOpus:
		ch := int(t.Channels)
		if len(t.CodecPrivate) >= 10 && string(t.CodecPrivate[:8]) == "OpusHead" {
			ch = int(t.CodecPrivate[9])
		}
		if ch <= 0 {
			ch = 2
		}
		ot.codec = &codecs.Opus{ChannelCount: ch}
		ot.timescale = 48000
	default:
		return nil, nil
	}
	if ot.timescale == 0 {
		return nil, fmt.Errorf("%w: track %d has no sample rate", ErrInvalid, t.Number)
	}
	return ot, nil
}

// parameterSets reads an AVC or HEVC decoder configuration record.
func parameterSets(codecID string, private []byte) ([][]byte, int, error) {
	if len(private) == 0 {
		return nil, 0, fmt.Errorf("%w: a video track without codec private data", ErrInvalid)
	}
	r := bytes.NewReader(private)
	var sets [][]byte
	var lenSize int
	if codecID == codecAVC {
		box := amp4.AVCDecoderConfiguration{AnyTypeBox: amp4.AnyTypeBox{Type: amp4.BoxTypeAvcC()}}
		if _, err := amp4.Unmarshal(r, uint64(len(private)), &box, amp4.Context{}); err != nil {
			return nil, 0, fmt.Errorf("%w: AVC configuration: %w", ErrInvalid, err)
		}
		for _, s := range append(slices.Clone(box.SequenceParameterSets), box.PictureParameterSets...) {
			if len(s.NALUnit) > 0 {
				sets = append(sets, s.NALUnit)
			}
		}
		lenSize = int(box.LengthSizeMinusOne) + 1
	} else {
		var box amp4.HvcC
		if _, err := amp4.Unmarshal(r, uint64(len(private)), &box, amp4.Context{}); err != nil {
			return nil, 0, fmt.Errorf("%w: HEVC configuration: %w", ErrInvalid, err)
		}
		for _, a := range box.NaluArrays {
			for _, n := range a.Nalus {
				if len(n.NALUnit) > 0 {
					sets = append(sets, n.NALUnit)
				}
			}
		}
		lenSize = int(box.LengthSizeMinusOne) + 1
	}
	if lenSize == 3 {
		return nil, 0, fmt.Errorf("%w: a NAL length size of 3", ErrInvalid)
	}
	return sets, lenSize, nil
}

// ticks converts a time since the origin to the track's timescale.
func (ot *outTrack) ticks(d time.Duration) int64 {
	s := int64(ot.timescale)
	return d.Nanoseconds()/1000*s/1000000 + (d.Nanoseconds()%1000)*s/1000000000
}

// part turns the track's frames of f into samples; next (or nil) gives
// the end of the last one.
func (ot *outTrack) part(m *MP4Writer, f, next *Fragment) (*fmp4.PartTrack, error) {
	var pts []int64
	var frames []*Frame
	for i := range f.Frames {
		if fr := &f.Frames[i]; fr.Track == ot.number {
			frames = append(frames, fr)
			pts = append(pts, ot.ticks(fr.Time-m.origin))
		}
	}
	if len(frames) == 0 {
		return nil, nil
	}
	// Matroska stores presentation times in decode order; decode times
	// are the same times sorted.
	dts := slices.Clone(pts)
	slices.Sort(dts)
	if ot.next < 0 || dts[0] > ot.next {
		ot.next = dts[0]
	}
	base := ot.next
	end := int64(-1)
	if next != nil {
		for _, fr := range next.Frames {
			if fr.Track == ot.number {
				t := ot.ticks(fr.Time - m.origin)
				if end < 0 || t < end {
					end = t
				}
			}
		}
	}
	last := dts[len(dts)-1]
	typical := int64(0)
	if len(dts) > 1 {
		typical = (last - dts[0]) / int64(len(dts)-1)
	} else if ot.src.Type == 2 {
		typical = int64(ot.timescale) / 50
	} else {
		typical = int64(ot.timescale) / 30
	}
	if end <= last || end-last > 4*max(typical, 1) {
		end = last + max(typical, 1) // the end, or a gap: the last sample lasts as long as the others
	}
	pt := &fmp4.PartTrack{ID: ot.id, BaseTime: uint64(base)}
	at := base
	for i, fr := range frames {
		stop := end
		if i+1 < len(dts) {
			stop = dts[i+1]
		}
		dur := max(stop-max(at, dts[i]), 0)
		data := fr.Data
		if ot.lenSize > 0 {
			var err error
			if data, err = ot.avcc(fr); err != nil {
				return nil, err
			}
		}
		off := pts[i] - at
		if off > 1<<31-1 || off < -1<<31 || dur > 1<<32-1 {
			return nil, fmt.Errorf("%w: frame times of track %d out of range", ErrInvalid, ot.number)
		}
		pt.Samples = append(pt.Samples, &fmp4.Sample{Duration: uint32(dur), PTSOffset: int32(off),
			IsNonSyncSample: !fr.Keyframe && ot.src.Type == 1, Payload: data})
		at += dur
	}
	ot.next = at
	return pt, nil
}

// avcc returns a video frame with 4-byte NAL lengths, with the in-band
// parameter sets first on keyframes.
func (ot *outTrack) avcc(fr *Frame) ([]byte, error) {
	if ot.lenSize == 4 && (ot.inband == nil || !fr.Keyframe) {
		return fr.Data, nil
	}
	out := make([]byte, 0, len(ot.inband)+len(fr.Data)+16)
	if fr.Keyframe {
		out = append(out, ot.inband...)
	}
	b := fr.Data
	for len(b) > 0 {
		if len(b) < ot.lenSize {
			return nil, fmt.Errorf("%w: a truncated NAL unit in track %d", ErrInvalid, ot.number)
		}
		var n uint64
		for _, c := range b[:ot.lenSize] {
			n = n<<8 | uint64(c)
		}
		b = b[ot.lenSize:]
		if n > uint64(len(b)) {
			return nil, fmt.Errorf("%w: a NAL unit longer than its frame in track %d", ErrInvalid, ot.number)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return out, nil
}
