package fragments

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// Track is one elementary stream of a publisher. Video parameters may be
// left empty: they are taken from the stream's keyframes (for VP9 and AV1,
// which browsers announce without any, on the fragmenter's own copy).
type Track struct {
	Codec     codecs.Codec // *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1, *codecs.MPEG4Audio or *codecs.Opus
	ClockRate int          // ticks per second of the timestamps given for this track
}

// Options tune fragment boundaries.
type Options struct {
	// MinDuration keeps a keyframe from ending a fragment shorter than this
	// (default 0: one fragment per GOP).
	MinDuration time.Duration
	// MaxDuration is how long a fragment may grow while no keyframe comes
	// (default 10 s). Past it RequestKeyframe is called (WebRTC asks the
	// sender for one); past four times it, the fragment is closed and media
	// is dropped until the next keyframe, so memory stays bounded.
	MaxDuration time.Duration
	// AudioDuration is the fragment length of streams without video (default 2 s).
	AudioDuration time.Duration
	// PartDuration, when positive, splits each fragment into parts of about
	// this length (each its own moof+mdat), handed to OnPart as soon as they
	// are complete: the partial segments of low-latency HLS. A part ends at
	// the first video sample at or past the duration. Zero makes one part
	// per fragment.
	PartDuration time.Duration
	// OnPart, when set, receives every part before the fragment holding it
	// is emitted. The part's data must not be modified.
	OnPart func(*Part)
	// RequestKeyframe, when set, asks the publisher for a keyframe.
	RequestKeyframe func()
	// OnUnit, when set, receives every access unit the fragmenter accepts
	// (the stored video track and the audio tracks), as it arrives; codec
	// is a copy of the track's parameters with each video keyframe, else
	// nil. The unit's data must not be modified.
	OnUnit func(u Unit, codec codecs.Codec)
	// Now reports arrival times (default time.Now).
	Now func() time.Time
	// TimelineStart is where this session's decode times begin on the
	// stream's timeline: every tfdt is offset by it. A publisher session
	// started with the end of the stream's stored media (Stream.TimelineEnd)
	// continues the stream's decode times instead of restarting them at 0,
	// which demuxers that join fragments into one track (ffmpeg's HLS
	// reader) need: there, samples whose decode time goes back are dropped.
	TimelineStart time.Duration
}

// Fragment is a keyframe-aligned piece of media: one or more fMP4 moof+mdat
// chunks (its parts) with the init segment (ftyp+moov) that decodes them.
type Fragment struct {
	Init          []byte
	Data          []byte     // the parts, back to back
	Parts         []PartInfo // how Data divides; nil means one part
	ProducerTime  time.Time  // wall-clock time of the first sample, from the producer when known
	Duration      time.Duration
	Discontinuity bool // the first fragment, or a new init segment
	Tracks        []TrackInfo
	// Arrival is when the media that completed the fragment arrived: the
	// start of its commit latency.
	Arrival time.Time
}

// PartInfo describes one part of a fragment.
type PartInfo struct {
	Size        int
	Duration    time.Duration
	Independent bool // starts with a keyframe (always true without video)
}

// Part is a part of the fragment being built, for live readers.
type Part struct {
	Index int // within its fragment, from 0
	PartInfo
	Data          []byte
	Init          []byte    // of its fragment
	ProducerTime  time.Time // of its fragment
	Discontinuity bool      // its fragment starts a discontinuity
}

// TrackInfo summarizes one track of a fragment.
type TrackInfo struct {
	ID        int
	TimeScale uint32
	BaseTime  uint64 // tfdt: decode time of the first sample, in TimeScale units
	Duration  uint64 // in TimeScale units
	Samples   int
}

// ErrUnsupportedCodec is returned for a track whose codec cannot be fragmented.
var ErrUnsupportedCodec = errors.New("fragments: unsupported codec")

type sample struct {
	fmp4.Sample
	dts     int64 // in the track's clock
	ntp     time.Time
	arrival time.Time
}

type trackState struct {
	Track
	id        int
	origin    int64 // Options.TimelineStart in the track's clock
	video     bool
	h264DTS   *h264.DTSExtractor
	h265DTS   *h265.DTSExtractor
	ready     bool      // a random-access unit was seen (video) or always (audio)
	samples   []*sample // of the open part (video) or not yet placed (audio)
	lastDTS   int64
	haveLast  bool
	nominal   int64 // duration of a sample when no next one is known (audio)
	paramsNew bool  // codec parameters changed: the next fragment needs a new init
	// partEnd is where this track's newest built part ends, in its clock
	// (valid with havePartEnd): the next part of the track starts no earlier.
	partEnd     int64
	havePartEnd bool

	av1Seq *av1.SequenceHeader // parsed Codec.SequenceHeader of an AV1 track
}

// Fragmenter cuts access units into fragments. It is not safe for
// concurrent use: one publisher session drives it.
type Fragmenter struct {
	opts   Options
	tracks []*trackState
	video  *trackState // the track whose keyframes cut fragments; nil when audio only
	emit   func(*Fragment) error

	init       []byte // current init segment
	initDirty  bool
	seq        uint32 // mfhd sequence number of the next part
	startNs    int64  // session timeline origin: first fragment's start
	started    bool
	cur        *openFrag // the fragment receiving samples; nil between fragments
	partStart  int64     // timeline start of the open part, ns
	asked      bool      // a keyframe was requested for the open fragment
	discontNxt bool

	// pending are parts whose video is complete, waiting for every audio
	// track to pass their end: audio often arrives a little after the video
	// of the same instant.
	pending []*pendingPart
}

// openFrag is a fragment under construction.
type openFrag struct {
	startNs int64
	ntp     time.Time
	init    []byte
	disc    bool
	chunks  [][]byte
	parts   []PartInfo
	tracks  []TrackInfo
}

// pendingPart is a part whose end is known.
type pendingPart struct {
	frag           *openFrag
	startNs, endNs int64
	video          []*sample
	last           bool // ends its fragment
	arrival        time.Time
}

// maxAudioLag bounds how long (in media time) a finished part waits for
// late audio.
const maxAudioLag = int64(time.Second)

// NewFragmenter returns a fragmenter for tracks; emit receives each
// finished fragment, in order.
func NewFragmenter(tracks []Track, opts Options, emit func(*Fragment) error) (*Fragmenter, error) {
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = DefaultMaxDuration
	}
	if opts.AudioDuration <= 0 {
		opts.AudioDuration = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Fragmenter{opts: opts, emit: emit, initDirty: true, discontNxt: true}
	for i, t := range tracks {
		ts := &trackState{Track: t, id: i + 1}
		if t.ClockRate <= 0 {
			return nil, fmt.Errorf("fragments: track %d has no clock rate", i+1)
		}
		if opts.TimelineStart < 0 {
			return nil, fmt.Errorf("fragments: negative timeline start %v", opts.TimelineStart)
		}
		// In two steps: nanoseconds times a clock rate overflows int64 within a year.
		sec, frac := int64(opts.TimelineStart/time.Second), int64(opts.TimelineStart%time.Second)
		ts.origin = sec*int64(t.ClockRate) + frac*int64(t.ClockRate)/1e9
		switch c := t.Codec.(type) {
		case *codecs.H264:
			ts.video = true
			c.SPS, c.PPS = clone(c.SPS), clone(c.PPS)
		case *codecs.H265:
			ts.video = true
			c.VPS, c.SPS, c.PPS = clone(c.VPS), clone(c.SPS), clone(c.PPS)
		case *codecs.VP9:
			v := *c
			ts.video, ts.Codec = true, &v
		case *codecs.AV1:
			v := codecs.AV1{SequenceHeader: clone(c.SequenceHeader)}
			ts.video, ts.Codec = true, &v
			if len(v.SequenceHeader) > 0 {
				var sh av1.SequenceHeader
				if err := sh.Unmarshal(v.SequenceHeader); err != nil {
					return nil, fmt.Errorf("fragments: track %d: AV1 sequence header: %w", i+1, err)
				}
				ts.av1Seq = &sh
			}
		case *codecs.MPEG4Audio:
			ts.ready, ts.nominal = true, 1024
		case *codecs.Opus:
			ts.ready, ts.nominal = true, int64(t.ClockRate)/50
		default:
			return nil, fmt.Errorf("%w: %T", ErrUnsupportedCodec, t.Codec)
		}
		if ts.video && f.video == nil {
			f.video = ts
		}
		f.tracks = append(f.tracks, ts)
	}
	if len(f.tracks) == 0 {
		return nil, errors.New("fragments: no tracks")
	}
	return f, nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// ns converts ticks of a track's clock to nanoseconds.
func (t *trackState) ns(ticks int64) int64 { return floorDiv(ticks*1e9, int64(t.ClockRate)) }

// ticks converts nanoseconds to a track's clock.
func (t *trackState) ticks(ns int64) int64 { return floorDiv(ns*int64(t.ClockRate), 1e9) }

// ticksUp converts nanoseconds to a track's clock rounding up: it undoes ns
// exactly (ticksUp(ns(x)) == x for clocks up to 1 GHz), where ticks may
// land a tick short.
func (t *trackState) ticksUp(ns int64) int64 { return -floorDiv(-ns*int64(t.ClockRate), 1e9) }

// floorDiv divides rounding down, also below zero (decode times before a
// session's first one are negative), so that ticks(ns(x)) is never above
// x: a part that ends at the next sample's time never ends after it.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (f *Fragmenter) addAudio(t *trackState, s *sample) {
	if t.haveLast && s.dts <= t.lastDTS {
		return // out of order or duplicate: drop
	}
	t.lastDTS, t.haveLast = s.dts, true
	if f.opts.OnUnit != nil {
		f.opts.OnUnit(Unit{Track: t.id - 1, PTS: s.dts, DTS: s.dts, Random: true, Data: s.Payload, Arrival: s.arrival, Producer: s.ntp}, nil)
	}
	accept := f.partStart
	if len(f.pending) > 0 {
		accept = f.pending[0].startNs
	}
	if f.started && t.ns(s.dts) < accept {
		return // before any part still open: too late to place
	}
	t.samples = append(t.samples, s)
}

// afterAudio places audio: it completes waiting parts, and it cuts the
// parts and fragments of streams without video by duration.
func (f *Fragmenter) afterAudio(now time.Time) error {
	if f.video != nil {
		if f.video.ready {
			return f.flushPending(false, 0)
		}
		// Parts that video ended (a loss, Gap) are complete once audio
		// has passed them, while video waits for its next keyframe.
		if err := f.flushPending(false, 0); err != nil {
			return err
		}
		// No decodable video yet: keep audio bounded.
		for _, t := range f.tracks {
			if !t.video && len(t.samples) > 0 && t.ns(t.samples[len(t.samples)-1].dts-t.samples[0].dts) > int64(f.opts.MaxDuration) {
				t.samples = t.samples[:0]
			}
		}
		return nil
	}
	lead := f.tracks[0]
	if len(lead.samples) == 0 {
		return nil
	}
	if f.cur == nil {
		if err := f.openFragment(lead.ns(lead.samples[0].dts), lead.samples[0].ntp); err != nil {
			return err
		}
	}
	last := lead.samples[len(lead.samples)-1]
	end := lead.ns(last.dts)
	switch {
	case end-f.cur.startNs >= int64(f.opts.AudioDuration):
		f.queuePart(end, now, true)
		if err := f.flushPending(false, end); err != nil {
			return err
		}
		return f.openFragment(end, last.ntp)
	case f.opts.PartDuration > 0 && end-f.partStart >= int64(f.opts.PartDuration):
		f.queuePart(end, now, false)
	}
	return f.flushPending(false, end)
}

// openFragment starts a fragment at timeline position startNs with the
// current codec parameters.
func (f *Fragmenter) openFragment(startNs int64, ntp time.Time) error {
	if f.initDirty {
		init, err := f.marshalInit()
		if err != nil {
			return err
		}
		f.init, f.initDirty, f.discontNxt = init, false, true
	}
	f.cur = &openFrag{startNs: startNs, ntp: ntp, init: f.init, disc: f.discontNxt}
	f.discontNxt = false
	// Audio that came before the first fragment cannot be placed, nor,
	// after a loss (Gap), audio between the end of the last part and the
	// keyframe video resumes at: fragments keep every track within them.
	from := f.partStart
	if !f.started {
		f.started, f.startNs = true, startNs
		from = math.MinInt64
	}
	if startNs > from {
		for _, t := range f.tracks {
			if !t.video {
				kept := t.samples[:0]
				for _, s := range t.samples {
					if ns := t.ns(s.dts); ns < from || ns >= startNs {
						kept = append(kept, s)
					}
				}
				t.samples = kept
			}
		}
	}
	f.partStart, f.asked = startNs, false
	return nil
}

func (f *Fragmenter) writeVideo(t *trackState, s *sample, random bool) error {
	if t != f.video {
		return nil // only the first video track is stored
	}
	startNs := t.ns(s.dts)
	if f.cur != nil && len(t.samples) > 0 {
		dur := startNs - f.cur.startNs
		switch {
		case random && (dur >= int64(f.opts.MinDuration) || t.paramsNew):
			f.queuePart(startNs, s.arrival, true)
		case dur > 4*int64(f.opts.MaxDuration):
			// No keyframe for far too long: close what we have and wait.
			f.queuePart(startNs, s.arrival, true)
			t.ready = false
			err := f.flushPending(true, 0)
			return errors.Join(err, fmt.Errorf("fragments: no keyframe for %v: dropping media until the next one", time.Duration(dur)))
		default:
			if dur > int64(f.opts.MaxDuration) && !f.asked {
				f.asked = true
				if f.opts.RequestKeyframe != nil {
					f.opts.RequestKeyframe()
				}
			}
			if f.opts.PartDuration > 0 && startNs-f.partStart >= int64(f.opts.PartDuration) {
				f.queuePart(startNs, s.arrival, false)
			}
		}
	}
	if t.paramsNew && random {
		t.paramsNew, f.initDirty = false, true
	}
	if f.cur == nil {
		if !random {
			return f.flushPending(false, startNs)
		}
		if err := f.openFragment(startNs, s.ntp); err != nil {
			return err
		}
	}
	t.samples = append(t.samples, s)
	if f.opts.OnUnit != nil {
		var c codecs.Codec
		if random {
			c = copyCodec(t.Codec)
		}
		f.opts.OnUnit(Unit{Track: t.id - 1, PTS: s.dts + int64(s.PTSOffset), DTS: s.dts, Random: random, Data: s.Payload,
			Arrival: s.arrival, Producer: s.ntp}, c)
	}
	return f.flushPending(false, startNs)
}

// queuePart ends the open part at timeline position endNs (and with last,
// its fragment); it is built once audio has caught up (flushPending).
func (f *Fragmenter) queuePart(endNs int64, arrival time.Time, last bool) {
	p := &pendingPart{frag: f.cur, startNs: f.partStart, endNs: endNs, last: last, arrival: arrival}
	if f.video != nil {
		p.video, f.video.samples = f.video.samples, nil
	}
	f.pending = append(f.pending, p)
	f.partStart = endNs
	if last {
		f.cur = nil
	}
}

// flushPending builds the waiting parts whose audio is complete: every
// audio track has passed the part's end, or video has moved maxAudioLag
// past it, or force.
func (f *Fragmenter) flushPending(force bool, videoNs int64) error {
	for len(f.pending) > 0 {
		p := f.pending[0]
		if !force && videoNs-p.endNs < maxAudioLag && !f.audioPassed(p.endNs) {
			return nil
		}

		f.pending[0] = nil
		f.pending = f.pending[1:]
		if err := f.buildPart(p); err != nil {
			return err
		}
	}
	return nil
}

// audioPassed reports whether no audio track can still send samples before
// endNs. A track that has sent nothing yet does not hold parts back.
func (f *Fragmenter) audioPassed(endNs int64) bool {
	for _, t := range f.tracks {
		if !t.video && t.haveLast && t.ns(t.lastDTS) < endNs {
			return false
		}
	}
	return true
}

// buildPart makes one moof+mdat of the part's video samples and the audio
// samples before its end, hands it to OnPart, and emits the fragment when
// the part is its last.
func (f *Fragmenter) buildPart(p *pendingPart) error {
	fr := p.frag
	part := fmp4.Part{SequenceNumber: f.seq}
	independent := true
	for _, t := range f.tracks {
		var take []*sample
		if t.video {
			if t != f.video {
				continue
			}
			take = p.video
			if len(take) > 0 {
				independent = !take[0].IsNonSyncSample
			}
		} else {
			n := 0
			for n < len(t.samples) && t.ns(t.samples[n].dts) < p.endNs {
				n++
			}
			take = t.samples[:n:n]
			t.samples = append([]*sample(nil), t.samples[n:]...)
		}
		if len(take) == 0 {
			continue
		}
		// A video part ends where the next part's first frame starts:
		// endNs is that frame's time, which ticksUp converts back exactly.
		end := t.ticksUp(p.endNs)
		if !t.video {
			if len(t.samples) > 0 {
				end = t.samples[0].dts
			} else {
				end = take[len(take)-1].dts + t.nominal
			}
		}
		// A part built before its last audio frame's successor arrived gave
		// that frame the nominal duration; frames that come a little sooner
		// start this part where that one ended, and one that lies wholly
		// within the previous part is dropped: parts never overlap.
		first := take[0].dts
		if t.havePartEnd {
			for len(take) > 0 && take[0].dts < t.partEnd {
				next := end
				if len(take) > 1 {
					next = take[1].dts
				}
				if next > t.partEnd {
					break
				}
				take = take[1:]
			}
			if len(take) == 0 {
				continue
			}
			first = max(take[0].dts, t.partEnd)
		}
		pt := &fmp4.PartTrack{ID: t.id, BaseTime: uint64(t.origin + first - t.ticks(f.startNs))}
		for i, s := range take {
			next := end
			if i+1 < len(take) {
				next = take[i+1].dts
			}
			from := s.dts
			if i == 0 {
				from = first
			}
			if d := next - from; d > 0 {
				s.Duration = uint32(d)
			} else {
				s.Duration = 1
			}
			pt.Samples = append(pt.Samples, &s.Sample)
		}
		part.Tracks = append(part.Tracks, pt)
		t.partEnd, t.havePartEnd = first, true
		for _, s := range pt.Samples {
			t.partEnd += int64(s.Duration)
		}
		fr.addTrack(TrackInfo{ID: t.id, TimeScale: uint32(t.ClockRate), BaseTime: pt.BaseTime,
			Duration: uint64(t.partEnd - first), Samples: len(take)})
	}
	if len(part.Tracks) > 0 {
		f.seq++
		data := marshalPart(&part)
		info := PartInfo{Size: len(data), Duration: time.Duration(p.endNs - p.startNs), Independent: independent}
		fr.chunks = append(fr.chunks, data)
		fr.parts = append(fr.parts, info)
		if f.opts.OnPart != nil {
			f.opts.OnPart(&Part{Index: len(fr.parts) - 1, PartInfo: info, Data: data, Init: fr.init,
				ProducerTime: fr.ntp, Discontinuity: fr.disc})
		}
	}
	if !p.last || len(fr.parts) == 0 {
		return nil
	}
	data := fr.chunks[0]
	if len(fr.chunks) > 1 {
		n := 0
		for _, c := range fr.chunks {
			n += len(c)
		}
		data = make([]byte, 0, n)
		for _, c := range fr.chunks {
			data = append(data, c...)
		}
	}
	parts := fr.parts
	if len(parts) == 1 {
		parts = nil
	}
	return f.emit(&Fragment{
		Init: fr.init, Data: data, Parts: parts, ProducerTime: fr.ntp, Duration: time.Duration(p.endNs - fr.startNs),
		Discontinuity: fr.disc, Tracks: fr.tracks, Arrival: p.arrival,
	})
}

// addTrack accounts a part's track in its fragment's summary.
func (fr *openFrag) addTrack(ti TrackInfo) {
	for i := range fr.tracks {
		if fr.tracks[i].ID == ti.ID {
			fr.tracks[i].Duration = ti.BaseTime + ti.Duration - fr.tracks[i].BaseTime
			fr.tracks[i].Samples += ti.Samples
			return
		}
	}
	fr.tracks = append(fr.tracks, ti)
}

func (f *Fragmenter) marshalInit() ([]byte, error) {
	init := fmp4.Init{}
	for _, t := range f.tracks {
		if t.video && t != f.video {
			continue
		}
		init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: t.id, TimeScale: uint32(t.ClockRate), Codec: t.Codec})
	}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("fragments: marshal init: %w", err)
	}
	return buf.Bytes(), nil
}

// Flush emits the open fragment, as at the end of a publisher session. The
// last video sample lasts as long as the one before it.
func (f *Fragmenter) Flush() error {
	if f.cur != nil {
		end := f.partStart
		if v := f.video; v != nil {
			if n := len(v.samples); n > 0 {
				step := int64(v.ClockRate) / 25
				if n > 1 {
					step = v.samples[n-1].dts - v.samples[n-2].dts
				}
				end = v.ns(v.samples[n-1].dts + step)
			}
		} else if lead := f.tracks[0]; len(lead.samples) > 0 {
			end = lead.ns(lead.samples[len(lead.samples)-1].dts + lead.nominal)
		}
		f.queuePart(end, f.opts.Now(), true)
	}
	return f.flushPending(true, 0)
}

// Gap tells the fragmenter that video was lost on the way (a frame with a
// missing packet, which the protocol dropped): the open fragment ends with
// the last intact frame, video is dropped until the next keyframe (which
// the protocol should ask for), and the fragment that starts there is
// marked a discontinuity. Frames after a loss reference what was lost, so
// storing them would store a corrupt picture.
func (f *Fragmenter) Gap() error {
	v := f.video
	if v == nil || !v.ready {
		return nil
	}
	v.ready = false
	f.discontNxt = true
	if f.cur == nil {
		return nil
	}
	end := f.partStart
	if n := len(v.samples); n > 0 {
		step := int64(v.ClockRate) / 25
		if n > 1 {
			step = v.samples[n-1].dts - v.samples[n-2].dts
		}
		end = v.ns(v.samples[n-1].dts + step)
	}
	f.queuePart(end, f.opts.Now(), true)
	return f.flushPending(false, end)
}
