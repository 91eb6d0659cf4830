package playback

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
)

// DASH sessions: the MPD of a session's fragments and its per-track init
// and media segments. The fragments are the ones HLS serves; a fragment
// with audio and video is served one track at a time, as DASH players want
// one adaptation set per media type.

const typeMPD = "application/dash+xml"

// kvsNamespace is the namespace of the kvs:ts and kvs:fn attributes.
const kvsNamespace = "https://kinesisvideo.amazonaws.com/dash"

// DASH answers GET /dash/v1/<name>?SessionToken=...: the resources of a
// KVS DASH streaming session.
func (s *Service) DASH(ctx context.Context, name string, q url.Values) (*Resource, error) {
	token := q.Get("SessionToken")
	sess, err := openSession(s.cfg.Key, token, s.cfg.Now(), true)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Store.LookupID(sess.StreamID)
	if err != nil {
		return nil, notFound("The stream of this streaming session no longer exists.")
	}
	switch name {
	case "getDASHManifest.mpd":
		return s.manifest(ctx, st, sess, token)
	case "getMP4InitFragment.mp4", "getMP4MediaFragment.mp4":
	default:
		return nil, notFound("No DASH resource %s.", name)
	}
	trackNo := 1
	if tn := q.Get("TrackNumber"); tn != "" {
		if trackNo, err = strconv.Atoi(tn); err != nil || trackNo < 1 {
			return nil, invalid("TrackNumber %q is not a track number.", tn)
		}
	}
	var seq uint64
	switch {
	case q.Has("SequenceNumber"):
		if seq, err = strconv.ParseUint(q.Get("SequenceNumber"), 10, 64); err != nil {
			return nil, invalid("SequenceNumber %q is not a number.", q.Get("SequenceNumber"))
		}
	case q.Has("FragmentNumber"):
		n, ok := st.ParseFragmentNumber(q.Get("FragmentNumber"))
		if !ok {
			return nil, invalid("FragmentNumber %q is not a fragment of this stream.", q.Get("FragmentNumber"))
		}
		seq = n
	case name == "getMP4InitFragment.mp4":
		res, err := s.sessionInit(ctx, st, sess)
		if err != nil {
			return nil, err
		}
		body, err := initTrack(res.Body, trackNo)
		if err != nil {
			return nil, err
		}
		return &Resource{ContentType: typeMP4, Body: body}, nil
	default:
		return nil, invalid("getMP4MediaFragment.mp4 needs a SequenceNumber or a FragmentNumber.")
	}
	if name == "getMP4InitFragment.mp4" {
		res, err := s.initOf(ctx, st, seq)
		if err != nil {
			return nil, err
		}
		body, err := initTrack(res.Body, trackNo)
		if err != nil {
			return nil, err
		}
		return &Resource{ContentType: typeMP4, Body: body}, nil
	}
	f, err := s.segmentOf(ctx, st, seq)
	if err != nil {
		return nil, err
	}
	body, err := mediaTrack(f, trackNo)
	if err != nil {
		return nil, err
	}
	return &Resource{ContentType: typeMP4, Body: body}, nil
}

// initTrack returns the init segment with only track n (from 1); a
// one-track init segment is returned as it is.
func initTrack(b []byte, n int) ([]byte, error) {
	init, err := parseInit(b)
	if err != nil {
		return nil, err
	}
	if n > len(init.Tracks) {
		return nil, notFound("The stream has no track %d.", n)
	}
	if len(init.Tracks) == 1 {
		return b, nil
	}
	one := fmp4.Init{Tracks: []*fmp4.InitTrack{init.Tracks[n-1]}}
	var buf seekablebuffer.Buffer
	if err := one.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("playback: init segment of track %d: %w", n, err)
	}
	return buf.Bytes(), nil
}

// mediaTrack returns the moof+mdat chunks of fragment f with only track n
// (from 1) of its init segment.
func mediaTrack(f *fragments.Fragment, n int) ([]byte, error) {
	init, err := parseInit(f.Init)
	if err != nil {
		return nil, err
	}
	if n > len(init.Tracks) {
		return nil, notFound("The stream has no track %d.", n)
	}
	if len(init.Tracks) == 1 {
		return f.Data, nil
	}
	var parts fmp4.Parts
	if err := parts.Unmarshal(f.Data); err != nil {
		return nil, errorf(ErrInvalidMediaFrame, "The fragment's media cannot be read: %v", err)
	}
	id := init.Tracks[n-1].ID
	var out fmp4.Parts
	for _, p := range parts {
		for _, t := range p.Tracks {
			if t.ID == id {
				out = append(out, &fmp4.Part{SequenceNumber: p.SequenceNumber, Tracks: []*fmp4.PartTrack{t}})
			}
		}
	}
	var buf seekablebuffer.Buffer
	if err := out.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("playback: media of track %d: %w", n, err)
	}
	return buf.Bytes(), nil
}

// mpdPeriod is one Period of a manifest: fragments of one init segment with
// consecutive sequence numbers, so that $Number$ is the sequence number.
type mpdPeriod struct {
	id    string
	start time.Duration // from availabilityStartTime (dynamic) or the presentation's start
	pto   uint64        // presentationTimeOffset, in timescale units
	scale uint32
	init  *fmp4.Init
	first uint64 // sequence number of its init segment's fragment, and of its first listed
	segs  []mpdSegment
	bw    int64
}

// mpdSegment is one S element.
type mpdSegment struct {
	seq  uint64
	t, d uint64
	at   time.Time // kvs:ts
}

// mpd is a manifest to render.
type mpd struct {
	token    string
	st       *fragments.Stream
	dynamic  bool
	ast      time.Time // availabilityStartTime (dynamic)
	publish  time.Time
	update   time.Duration // minimumUpdatePeriod
	showTime bool
	showNum  bool
	periods  []*mpdPeriod
}

// manifest answers getDASHManifest.mpd.
func (s *Service) manifest(ctx context.Context, st *fragments.Stream, sess session, token string) (*Resource, error) {
	var all []fragments.FragmentInfo
	from := 0
	m := &mpd{token: token, st: st, showTime: sess.ShowTime, showNum: sess.ShowNum, publish: s.cfg.Now()}
	var ord uint64 // LIVE: discontinuities before all[0], to name periods
	switch sess.Mode {
	case ModeLive:
		v := st.Live()
		if len(v.Recent) == 0 {
			var err error
			if v, _, err = waitLive(ctx, st, 2*s.cfg.BlockTimeout, func(v fragments.LiveView) bool { return len(v.Recent) > 0 }); err != nil {
				return nil, err
			}
		}
		all, from, ord = v.Recent, max(0, len(v.Recent)-sess.Max), v.DiscontinuitiesBefore
		m.dynamic, m.ast = true, time.Unix(0, 0)
	case ModeReplay:
		got, more, err := st.Select(ctx, sess.selector(), math.MaxInt32)
		if err != nil {
			return nil, err
		}
		released := s.released(sess, got)
		all, from = got[:released], max(0, released-sess.Max)
		m.dynamic = !(sess.End != 0 && released == len(got) && !more)
		m.ast = time.Unix(0, sess.Created)
	default:
		got, _, err := st.Select(ctx, sess.selector(), sess.Max)
		if err != nil {
			return nil, err
		}
		all = got
	}
	if from >= len(all) {
		return nil, notFound("No fragments found in the stream for the streaming request.")
	}
	var played time.Duration // presentation time before the run (static and replay)
	maxDur := time.Duration(0)
	for r0 := 0; r0 < len(all); {
		r1 := r0 + 1
		for r1 < len(all) && !all[r1].Discontinuity && all[r1].Seq == all[r1-1].Seq+1 {
			r1++
		}
		if all[r0].Discontinuity {
			ord++
		}
		if r1 > from {
			p, err := s.period(ctx, st, sess, all[r0:r1], max(from-r0, 0))
			if err != nil {
				return nil, err
			}
			if sess.Mode == ModeLive {
				// The run's first fragment may have left the live view:
				// name and place the period by what stays the same, its
				// discontinuity ordinal and the wall-clock time of its media
				// time zero.
				p.id = "d" + strconv.FormatUint(ord, 10)
				zero := all[r0].ProducerTime.Add(-ticksToDuration(p.pto, p.scale)).Round(time.Millisecond)
				p.start, p.pto = zero.Sub(m.ast), 0
			} else {
				p.start = played
			}
			m.periods = append(m.periods, p)
		}
		for _, f := range all[r0:r1] {
			played += f.Duration
			maxDur = max(maxDur, f.Duration)
		}
		r0 = r1
	}
	m.update = max(time.Second, maxDur/2).Round(time.Millisecond)
	return &Resource{ContentType: typeMPD, Body: m.render(), Live: m.dynamic}, nil
}

// period makes the period of run (fragments of one init segment with
// consecutive sequence numbers), listing those from skip on. Its timeline
// is the media's: it starts at the decode time of the run's first
// fragment, read from storage.
func (s *Service) period(ctx context.Context, st *fragments.Stream, sess session, run []fragments.FragmentInfo, skip int) (*mpdPeriod, error) {
	f, _, err := st.Fragment(ctx, run[0].Seq)
	if err != nil {
		return nil, err
	}
	init, err := parseInit(f.Init)
	if err != nil {
		return nil, err
	}
	if err := checkPlayable(init); err != nil {
		return nil, err
	}
	p := &mpdPeriod{id: strconv.FormatUint(run[0].Seq, 10), init: init, scale: init.Tracks[0].TimeScale, first: run[skip].Seq}
	if p.scale == 0 {
		return nil, errorf(ErrMissingCodecPrivateData, "The stream's first track has no time scale.")
	}
	p.pto, err = baseTime(f, init.Tracks[0].ID)
	if err != nil {
		return nil, err
	}
	var cum time.Duration
	var size int64
	var dur time.Duration
	for i, fi := range run {
		t := p.pto + durationToTicks(cum, p.scale)
		cum += fi.Duration
		if i < skip {
			continue
		}
		seg := mpdSegment{seq: fi.Seq, t: t, d: p.pto + durationToTicks(cum, p.scale) - t, at: fi.ServerTime}
		if sess.Producer {
			seg.at = fi.ProducerTime
		}
		p.segs = append(p.segs, seg)
		size += fi.Size
		dur += fi.Duration
	}
	if dur > 0 {
		p.bw = size * 8 * int64(time.Second) / int64(dur)
	}
	return p, nil
}

// baseTime returns the decode time of the first sample of track id in
// fragment f.
func baseTime(f *fragments.Fragment, id int) (uint64, error) {
	for _, t := range f.Tracks {
		if t.ID == id {
			return t.BaseTime, nil
		}
	}
	var parts fmp4.Parts
	if err := parts.Unmarshal(f.Data); err != nil {
		return 0, errorf(ErrInvalidMediaFrame, "The fragment's media cannot be read: %v", err)
	}
	for _, p := range parts {
		for _, t := range p.Tracks {
			if t.ID == id {
				return t.BaseTime, nil
			}
		}
	}
	return 0, errorf(ErrInvalidMediaFrame, "The fragment has no samples of its first track.")
}

// durationToTicks converts d to units of scale per second, rounding down,
// without overflow for any duration.
func durationToTicks(d time.Duration, scale uint32) uint64 {
	if d <= 0 {
		return 0
	}
	n := uint64(d)
	return n/1e9*uint64(scale) + n%1e9*uint64(scale)/1e9
}

func ticksToDuration(t uint64, scale uint32) time.Duration {
	return time.Duration(t/uint64(scale))*time.Second + time.Duration(t%uint64(scale)*1e9/uint64(scale))
}

// appendDuration appends d as an xs:duration in seconds (PT1.5S).
func appendDuration(b []byte, d time.Duration) []byte {
	b = append(b, "PT"...)
	b = strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64)
	return append(b, 'S')
}

// xmlAttr escapes s for an attribute value in double quotes.
var xmlAttr = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func (m *mpd) render() []byte {
	b := make([]byte, 0, 2048)
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"`...)
	if m.showTime || m.showNum {
		b = append(b, ` xmlns:kvs="`+kvsNamespace+`"`...)
	}
	b = append(b, ` profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S"`...)
	var total, maxSeg, window time.Duration
	for _, p := range m.periods {
		for _, sg := range p.segs {
			d := ticksToDuration(sg.d, p.scale)
			window += d
			maxSeg = max(maxSeg, d)
		}
	}
	if m.dynamic {
		b = append(b, ` type="dynamic" availabilityStartTime="`...)
		b = m.ast.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, `" publishTime="`...)
		b = m.publish.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, `" minimumUpdatePeriod="`...)
		b = appendDuration(b, m.update)
		b = append(b, `" timeShiftBufferDepth="`...)
		b = appendDuration(b, window.Round(time.Millisecond))
		b = append(b, `" suggestedPresentationDelay="`...)
		b = appendDuration(b, (3 * maxSeg).Round(time.Millisecond))
		b = append(b, '"')
	} else {
		for i, p := range m.periods {
			if i == len(m.periods)-1 {
				last := p.segs[len(p.segs)-1]
				total = p.start + ticksToDuration(last.t+last.d-p.pto, p.scale)
			}
		}
		b = append(b, ` type="static" mediaPresentationDuration="`...)
		b = appendDuration(b, total.Round(time.Millisecond))
		b = append(b, '"')
	}
	b = append(b, ">\n"...)
	for _, p := range m.periods {
		b = m.appendPeriod(b, p)
	}
	return append(b, "</MPD>\n"...)
}

func (m *mpd) appendPeriod(b []byte, p *mpdPeriod) []byte {
	b = append(b, `<Period id="`...)
	b = append(b, p.id...)
	b = append(b, `" start="`...)
	b = appendDuration(b, p.start)
	b = append(b, "\">\n"...)
	for n, t := range p.init.Tracks {
		kind, mime := "audio", "audio/mp4"
		if isVideo(t.Codec) {
			kind, mime = "video", "video/mp4"
		}
		b = append(b, `<AdaptationSet id="`...)
		b = strconv.AppendInt(b, int64(n+1), 10)
		b = append(b, `" contentType="`+kind+`" mimeType="`+mime+`" segmentAlignment="true" startWithSAP="1">`+"\n"...)
		b = append(b, `<Representation id="`...)
		b = append(b, p.id...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(n+1), 10)
		b = append(b, `" codecs="`...)
		b = append(b, xmlAttr.Replace(codecString(t.Codec))...)
		b = append(b, `" bandwidth="`...)
		b = strconv.AppendInt(b, max(p.bw, 1), 10)
		b = append(b, '"')
		if w, h := resolution(t.Codec); w > 0 {
			b = append(b, ` width="`...)
			b = strconv.AppendInt(b, int64(w), 10)
			b = append(b, `" height="`...)
			b = strconv.AppendInt(b, int64(h), 10)
			b = append(b, '"')
		}
		if rate := sampleRate(t.Codec); rate > 0 {
			b = append(b, ` audioSamplingRate="`...)
			b = strconv.AppendInt(b, int64(rate), 10)
			b = append(b, '"')
		}
		b = append(b, ">\n"...)
		tn := "&amp;TrackNumber=" + strconv.Itoa(n+1)
		b = append(b, `<SegmentTemplate timescale="`...)
		b = strconv.AppendUint(b, uint64(p.scale), 10)
		b = append(b, `" presentationTimeOffset="`...)
		b = strconv.AppendUint(b, p.pto, 10)
		b = append(b, `" startNumber="`...)
		b = strconv.AppendUint(b, p.first, 10)
		b = append(b, `" initialization="getMP4InitFragment.mp4?SessionToken=`...)
		b = append(b, m.token...)
		b = append(b, tn...)
		b = append(b, "&amp;SequenceNumber="...)
		b = strconv.AppendUint(b, p.first, 10)
		b = append(b, `" media="getMP4MediaFragment.mp4?SessionToken=`...)
		b = append(b, m.token...)
		b = append(b, tn...)
		b = append(b, "&amp;SequenceNumber=$Number$\">\n<SegmentTimeline>\n"...)
		for i, sg := range p.segs {
			b = append(b, `<S`...)
			if i == 0 {
				b = append(b, ` t="`...)
				b = strconv.AppendUint(b, sg.t, 10)
				b = append(b, '"')
			}
			b = append(b, ` d="`...)
			b = strconv.AppendUint(b, sg.d, 10)
			b = append(b, '"')
			if m.showTime {
				b = append(b, ` kvs:ts="`...)
				b = sg.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
				b = append(b, '"')
			}
			if m.showNum {
				b = append(b, ` kvs:fn="`...)
				b = m.st.AppendFragmentNumber(b, sg.seq)
				b = append(b, '"')
			}
			b = append(b, "/>\n"...)
		}
		b = append(b, "</SegmentTimeline>\n</SegmentTemplate>\n</Representation>\n</AdaptationSet>\n"...)
	}
	return append(b, "</Period>\n"...)
}

// isVideo reports whether c is a video codec.
func isVideo(c codecs.Codec) bool {
	return (&track{Codec: c}).video()
}

// sampleRate returns an audio codec's sample rate, or 0.
func sampleRate(c codecs.Codec) int {
	switch c := c.(type) {
	case *codecs.MPEG4Audio:
		return c.Config.SampleRate
	case *codecs.Opus:
		return 48000
	}
	return 0
}
