package playback

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// HLSInput is a GetHLSStreamingSessionURL request. Empty strings and zero
// numbers take KVS's defaults.
type HLSInput struct {
	Stream           fragments.StreamRef
	PlaybackMode     string
	SelectorType     string
	Start, End       *time.Time
	ContainerFormat  string
	Discontinuity    string
	DisplayTimestamp string
	Expires          int64 // seconds
	MaxResults       int64
}

// Limits of HLS sessions, as KVS sets them.
const (
	minExpires       = 300
	maxExpires       = 43200
	maxPlaylistItems = 5000
	maxRange         = 24 * time.Hour
	liveRecency      = 30 * time.Second
	gapTolerance     = 50 * time.Millisecond
)

// StartHLS checks a session request and returns the path and query of its
// master playlist, relative to the server's base URL.
func (s *Service) StartHLS(in HLSInput) (string, error) {
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return "", err
	}
	sess := session{StreamID: st.ID(), Mode: in.PlaybackMode, Container: in.ContainerFormat, Disc: in.Discontinuity}
	if sess.Mode == "" {
		sess.Mode = ModeLive
	}
	if indexOf(modes, sess.Mode) == 0 && sess.Mode != ModeLive {
		return "", invalid("PlaybackMode %s is not one of LIVE, LIVE_REPLAY, ON_DEMAND.", sess.Mode)
	}
	switch in.SelectorType {
	case "", fragments.ServerTimestamp:
	case fragments.ProducerTimestamp:
		sess.Producer = true
	default:
		return "", invalid("FragmentSelectorType %s is not one of PRODUCER_TIMESTAMP, SERVER_TIMESTAMP.", in.SelectorType)
	}
	if sess.Container == "" {
		sess.Container = ContainerFMP4
	}
	if indexOf(containers, sess.Container) == 0 && sess.Container != ContainerFMP4 {
		return "", invalid("ContainerFormat %s is not one of FRAGMENTED_MP4, MPEG_TS.", sess.Container)
	}
	if sess.Disc == "" {
		sess.Disc = DiscontinuityAlways
		if sess.Producer {
			sess.Disc = DiscontinuityNever
		}
	}
	if indexOf(discModes, sess.Disc) == 0 && sess.Disc != DiscontinuityAlways {
		return "", invalid("DiscontinuityMode %s is not one of ALWAYS, NEVER, ON_DISCONTINUITY.", sess.Disc)
	}
	switch in.DisplayTimestamp {
	case "", "NEVER":
	case "ALWAYS":
		sess.ShowTime = true
	default:
		return "", invalid("DisplayFragmentTimestamp %s is not one of ALWAYS, NEVER.", in.DisplayTimestamp)
	}
	expires := in.Expires
	if expires == 0 {
		expires = minExpires
	}
	if expires < minExpires || expires > maxExpires {
		return "", invalid("Expires %d is outside %d to %d seconds.", expires, minExpires, maxExpires)
	}
	max := in.MaxResults
	if max == 0 {
		max = 5
		if sess.Mode == ModeOnDemand {
			max = 1000
		}
	}
	if max < 1 || max > maxPlaylistItems {
		return "", invalid("MaxMediaPlaylistFragmentResults %d is outside 1 to %d.", max, maxPlaylistItems)
	}
	sess.Max = int(max)
	now := s.cfg.Now()
	switch sess.Mode {
	case ModeLive:
		if in.Start != nil || in.End != nil {
			return "", invalid("TimestampRange must not be specified in LIVE mode.")
		}
	case ModeReplay, ModeOnDemand:
		if in.Start == nil {
			return "", invalid("HLSFragmentSelector with a TimestampRange StartTimestamp is required in %s mode.", sess.Mode)
		}
		if sess.Mode == ModeOnDemand && in.End == nil {
			return "", invalid("TimestampRange EndTimestamp is required in ON_DEMAND mode.")
		}
		sess.Start = in.Start.UnixNano()
		if in.End != nil {
			if !in.End.After(*in.Start) {
				return "", invalid("The EndTimestamp must be later than the StartTimestamp.")
			}
			if in.End.Sub(*in.Start) > maxRange {
				return "", invalid("The timestamp range must not exceed 24 hours.")
			}
			if !sess.Producer && sess.Mode == ModeOnDemand && in.End.After(now) {
				return "", invalid("The EndTimestamp must be in the past for SERVER_TIMESTAMP ON_DEMAND sessions.")
			}
			sess.End = in.End.UnixNano()
		}
	}
	if st.Info().RetentionHours == 0 {
		return "", errorf(registry.ErrNoDataRetention, "The stream %s does not retain data.", st.Info().Name)
	}
	// There must be something to play.
	switch sess.Mode {
	case ModeLive:
		v := st.Live()
		if !v.Publishing && (len(v.Recent) == 0 || now.Sub(v.Recent[len(v.Recent)-1].ServerTime) > liveRecency) {
			return "", notFound("No fragments found in the stream for the streaming request.")
		}
	default:
		got, _, err := st.Select(context.TODO(), sess.selector(), 1) // TODO(issue 10): StartHLS takes no context yet
		if err != nil {
			return "", err
		}
		if len(got) == 0 {
			return "", notFound("No fragments found in the stream for the streaming request.")
		}
	}
	// MPEG-TS carries H.264 and H.265 only: a VP9 or AV1 stream is refused
	// now when its codec is known without waiting (else by the playlist).
	if v := st.Live(); sess.Container == ContainerTS && (sess.Mode != ModeLive || len(v.Parts) > 0 || len(v.Recent) > 0) {
		if initSeg, _, err := s.sessionStart(context.Background(), st, sess); err == nil {
			init, err := parseInit(initSeg)
			if err == nil {
				err = checkTS(init)
			}
			if err != nil {
				return "", err
			}
		}
	}
	sess.Created, sess.Expires = now.UnixNano(), now.Add(time.Duration(expires)*time.Second).UnixNano()
	return "hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + sealSession(s.cfg.Key, sess), nil
}

func (sess session) selector() fragments.Selector {
	sel := fragments.Selector{Type: fragments.ServerTimestamp, Start: time.Unix(0, sess.Start), End: time.Unix(0, sess.End)}
	if sess.Producer {
		sel.Type = fragments.ProducerTimestamp
	}
	if sess.End == 0 {
		sel.End = time.Unix(0, math.MaxInt64)
	}
	return sel
}

// uris names the resources of a session (token set) or of the plain live
// URLs (/hls/<stream>/...).
type uris struct {
	token string
	st    *fragments.Stream
	// signed, for plain URIs, is "&" and the X-Amz-* parameters of the
	// presigned URL the playlist was read with, so its segments carry it.
	signed string
}

func (u uris) media() string {
	return "getHLSMediaPlaylist.m3u8?SessionToken=" + u.token + "&TrackNumber=1"
}

func (u uris) init(seq uint64) string {
	if u.token == "" {
		return "init.mp4?msn=" + strconv.FormatUint(seq, 10) + u.signed
	}
	return "getMP4InitFragment.mp4?SessionToken=" + u.token + "&TrackNumber=1&SequenceNumber=" + strconv.FormatUint(seq, 10)
}

func (u uris) segment(seq uint64, ts bool) string { return string(u.appendSegment(nil, seq, ts)) }

// appendSegment appends a segment's URI to b.
func (u uris) appendSegment(b []byte, seq uint64, ts bool) []byte {
	if u.token == "" {
		return append(strconv.AppendUint(append(b, "segment.mp4?msn="...), seq, 10), u.signed...)
	}
	if ts {
		b = append(b, "getTSFragment.ts?FragmentNumber="...)
	} else {
		b = append(b, "getMP4MediaFragment.mp4?FragmentNumber="...)
	}
	b = u.st.AppendFragmentNumber(b, seq)
	b = append(b, "&SessionToken="...)
	b = append(b, u.token...)
	if !ts {
		b = append(b, "&TrackNumber=1"...)
	}
	return b
}

// appendTime appends t as EXT-X-PROGRAM-DATE-TIME writes it
// (2006-01-02T15:04:05.000Z), faster than time.AppendFormat.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	pad := func(b []byte, v, n int) []byte {
		for i := n - 1; i >= 0; i-- {
			p := 1
			for j := 0; j < i; j++ {
				p *= 10
			}
			b = append(b, byte('0'+v/p%10))
		}
		return b
	}
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, int(mo), 2)
	b = append(b, '-')
	b = pad(b, d, 2)
	b = append(b, 'T')
	b = pad(b, h, 2)
	b = append(b, ':')
	b = pad(b, mi, 2)
	b = append(b, ':')
	b = pad(b, s, 2)
	b = append(b, '.')
	b = pad(b, ms, 3)
	return append(b, 'Z')
}

func (u uris) part(seq uint64, k int) string {
	if u.token == "" {
		return "part.mp4?msn=" + strconv.FormatUint(seq, 10) + "&part=" + strconv.Itoa(k) + u.signed
	}
	return "getMP4MediaFragment.mp4?FragmentNumber=" + u.st.FragmentNumber(seq) + "&PartNumber=" + strconv.Itoa(k) +
		"&SessionToken=" + u.token + "&TrackNumber=1"
}

// entry is one segment of a media playlist.
type entry struct {
	seq    uint64
	dur    time.Duration
	at     time.Time // PROGRAM-DATE-TIME
	disc   bool      // EXT-X-DISCONTINUITY before it
	newMap bool      // EXT-X-MAP before it
	parts  []fragments.PartInfo
}

// openSegment is the segment being built, listed by its parts.
type openSegment struct {
	seq    uint64
	at     time.Time
	disc   bool
	newMap bool
	parts  []*fragments.Part
}

// playlist is a media playlist to render.
type playlist struct {
	u        uris
	ts       bool
	lowLat   bool
	showTime bool
	vod      bool
	endlist  bool
	discSeq  *uint64
	entries  []entry
	open     *openSegment
}

func (p *playlist) render() []byte {
	target := time.Second
	partTarget := time.Duration(0)
	for _, e := range p.entries {
		target = max(target, e.dur)
		for _, pt := range e.parts {
			partTarget = max(partTarget, pt.Duration)
		}
	}
	if p.open != nil {
		var d time.Duration
		for _, pt := range p.open.parts {
			d += pt.Duration
			partTarget = max(partTarget, pt.Duration)
		}
		target = max(target, d)
	}
	version := 7
	switch {
	case p.ts:
		version = 3
	case p.lowLat:
		version = 9
	}
	// Size the buffer once: a long on-demand playlist is megabytes.
	per := 96
	if len(p.entries) > 0 {
		per += len(p.u.segment(p.entries[0].seq, p.ts))
	}
	b := make([]byte, 0, 512+len(p.entries)*per)
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:"...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, "\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:"...)
	b = strconv.AppendInt(b, int64(math.Ceil(target.Seconds())), 10)
	b = append(b, '\n')
	if p.lowLat {
		if partTarget == 0 {
			partTarget = 200 * time.Millisecond
		}
		partTarget = partTarget.Round(time.Millisecond)
		b = append(b, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK="...)
		b = strconv.AppendFloat(b, 3*partTarget.Seconds(), 'f', 3, 64)
		b = append(b, "\n#EXT-X-PART-INF:PART-TARGET="...)
		b = strconv.AppendFloat(b, partTarget.Seconds(), 'f', 3, 64)
		b = append(b, '\n')
	}
	msn := uint64(0)
	switch {
	case len(p.entries) > 0:
		msn = p.entries[0].seq
	case p.open != nil:
		msn = p.open.seq
	}
	b = append(b, "#EXT-X-MEDIA-SEQUENCE:"...)
	b = strconv.AppendUint(b, msn, 10)
	b = append(b, '\n')
	if p.discSeq != nil {
		b = append(b, "#EXT-X-DISCONTINUITY-SEQUENCE:"...)
		b = strconv.AppendUint(b, *p.discSeq, 10)
		b = append(b, '\n')
	}
	if p.vod {
		b = append(b, "#EXT-X-PLAYLIST-TYPE:VOD\n"...)
	}
	head := func(seq uint64, disc, newMap bool, at time.Time) {
		if disc {
			b = append(b, "#EXT-X-DISCONTINUITY\n"...)
		}
		if newMap && !p.ts {
			b = append(b, "#EXT-X-MAP:URI=\""...)
			b = append(b, p.u.init(seq)...)
			b = append(b, "\"\n"...)
		}
		if p.showTime && !at.IsZero() {
			b = append(b, "#EXT-X-PROGRAM-DATE-TIME:"...)
			b = appendTime(b, at)
			b = append(b, '\n')
		}
	}
	part := func(seq uint64, k int, pi fragments.PartInfo) {
		b = append(b, "#EXT-X-PART:DURATION="...)
		b = strconv.AppendFloat(b, pi.Duration.Seconds(), 'f', 5, 64)
		b = append(b, ",URI=\""...)
		b = append(b, p.u.part(seq, k)...)
		b = append(b, '"')
		if pi.Independent {
			b = append(b, ",INDEPENDENT=YES"...)
		}
		b = append(b, '\n')
	}
	for _, e := range p.entries {
		head(e.seq, e.disc, e.newMap, e.at)
		for k, pi := range e.parts {
			part(e.seq, k, pi)
		}
		b = append(b, "#EXTINF:"...)
		b = strconv.AppendFloat(b, e.dur.Seconds(), 'f', 5, 64)
		b = append(b, ",\n"...)
		b = p.u.appendSegment(b, e.seq, p.ts)
		b = append(b, '\n')
	}
	if o := p.open; o != nil {
		head(o.seq, o.disc, o.newMap, o.at)
		for k, pt := range o.parts {
			part(o.seq, k, pt.PartInfo)
		}
		b = append(b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\""...)
		b = append(b, p.u.part(o.seq, len(o.parts))...)
		b = append(b, "\"\n"...)
	}
	if p.endlist {
		b = append(b, "#EXT-X-ENDLIST\n"...)
	}
	return b
}

// ---- live playlists -------------------------------------------------------

// liveOptions shape a live playlist.
type liveOptions struct {
	max      int
	ts       bool
	producer bool // PROGRAM-DATE-TIME from producer timestamps
	showTime bool
	disc     string
	// ends: once the publisher has been gone endGrace target durations,
	// the playlist ends (EXT-X-ENDLIST) until a publisher returns.
	ends bool
}

// endGrace is how many target durations a plain live playlist stays open
// after its publisher left: a camera that reconnects at once does not end
// its viewers' playback.
const endGrace = 2

// liveEnded reports whether a live playlist of the newest n fragments of
// view v has ended at now: no publisher, and none for endGrace target
// durations since the newest fragment was stored or the publisher left,
// whichever was later.
func liveEnded(v fragments.LiveView, n int, now time.Time) bool {
	if v.Publishing || len(v.Recent) == 0 {
		return !v.Publishing
	}
	recent := v.Recent[len(v.Recent)-min(n, len(v.Recent)):]
	target := time.Second
	for _, f := range recent {
		target = max(target, time.Duration(math.Ceil(f.Duration.Seconds()))*time.Second) // as EXT-X-TARGETDURATION rounds
	}
	since := recent[len(recent)-1].ServerTime
	if v.PublisherLeft.After(since) {
		since = v.PublisherLeft
	}
	return now.Sub(since) >= endGrace*target
}

// waitLive waits until done holds for the stream's live edge, or the
// publisher has left, or timeout passes; it returns the last view and
// whether done held. Only ctx ending is an error.
func waitLive(ctx context.Context, st *fragments.Stream, timeout time.Duration, done func(fragments.LiveView) bool) (fragments.LiveView, bool, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		v := st.Live()
		if done(v) {
			return v, true, nil
		}
		if !v.Publishing {
			return v, false, nil
		}
		select {
		case <-v.Changed:
		case <-timer.C:
			return st.Live(), false, nil
		case <-ctx.Done():
			return v, false, ctx.Err()
		}
	}
}

// blockFor waits, for a blocking playlist reload (_HLS_msn, _HLS_part),
// until the stream has the asked segment or part, the publisher leaves, the
// timeout passes or ctx ends.
func (s *Service) blockFor(ctx context.Context, st *fragments.Stream, q url.Values) (fragments.LiveView, error) {
	v := st.Live()
	ms := q.Get("_HLS_msn")
	if ms == "" {
		if q.Get("_HLS_part") != "" {
			return v, invalid("_HLS_part requires _HLS_msn.")
		}
		return v, nil
	}
	msn, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return v, invalid("_HLS_msn %q is not a number.", ms)
	}
	part := -1
	if ps := q.Get("_HLS_part"); ps != "" {
		if part, err = strconv.Atoi(ps); err != nil || part < 0 {
			return v, invalid("_HLS_part %q is not a number.", ps)
		}
	}
	if msn > v.Next+1 {
		return v, invalid("_HLS_msn %d is more than one segment past the live edge (%d).", msn, v.Next)
	}
	v, _, err = waitLive(ctx, st, s.cfg.BlockTimeout, func(v fragments.LiveView) bool {
		return msn < v.Next || (msn == v.Next && part >= 0 && part < len(v.Parts))
	})
	return v, err
}

// livePlaylist lists the newest segments and, for fMP4 with parts, the
// parts of the segment being built (low-latency HLS).
func (s *Service) livePlaylist(ctx context.Context, st *fragments.Stream, u uris, o liveOptions, q url.Values) (*Resource, error) {
	v, err := s.blockFor(ctx, st, q)
	if err != nil {
		return nil, err
	}
	if len(v.Recent) == 0 {
		// The publisher has just started: a playlist needs one whole
		// segment, so wait for the first.
		if v, _, err = waitLive(ctx, st, 2*s.cfg.BlockTimeout, func(v fragments.LiveView) bool { return len(v.Recent) > 0 }); err != nil {
			return nil, err
		}
	}
	recent := v.Recent
	start := max(0, len(recent)-o.max)
	p := &playlist{u: u, ts: o.ts, showTime: o.showTime}
	lowLat := !o.ts && v.Publishing
	p.lowLat = lowLat
	ord := v.DiscontinuitiesBefore // discontinuities before recent[start]
	for _, f := range recent[:start] {
		if f.Discontinuity {
			ord++
		}
	}
	switch o.disc {
	case DiscontinuityAlways:
		first := v.Next
		if start < len(recent) {
			first = recent[start].Seq
		}
		p.discSeq = &first
	case DiscontinuityOn:
		p.discSeq = &ord
	}
	for i, f := range recent[start:] {
		e := entry{seq: f.Seq, dur: f.Duration, at: f.ServerTime, newMap: i == 0 || f.Discontinuity}
		if o.producer {
			e.at = f.ProducerTime
		}
		e.disc = o.disc == DiscontinuityAlways || (o.disc == DiscontinuityOn && f.Discontinuity)
		if lowLat && len(recent)-start-i <= 2 {
			e.parts = f.Parts
		}
		p.entries = append(p.entries, e)
	}
	if lowLat {
		os := &openSegment{seq: v.Next, parts: v.Parts}
		if len(v.Parts) > 0 {
			os.at = v.Parts[0].ProducerTime
			os.newMap = len(p.entries) == 0 || v.Parts[0].Discontinuity
			os.disc = o.disc == DiscontinuityAlways || (o.disc == DiscontinuityOn && v.Parts[0].Discontinuity)
		}
		p.open = os
	}
	if len(p.entries) == 0 {
		return nil, notFound("No fragments found in the stream for the streaming request.")
	}
	p.endlist = o.ends && liveEnded(v, o.max, s.cfg.Now())
	return &Resource{ContentType: typePlaylist, Body: p.render(), Live: true}, nil
}

// ---- resources ------------------------------------------------------------

// waitStored waits until fragment seq is stored, or its part k exists in
// the fragment being built (k >= 0), and returns the live view then.
func (s *Service) waitStored(ctx context.Context, st *fragments.Stream, seq uint64, k int) (fragments.LiveView, error) {
	if v := st.Live(); seq > v.Next {
		return v, notFound("Fragment %s was not found.", st.FragmentNumber(seq))
	}
	v, ok, err := waitLive(ctx, st, s.cfg.BlockTimeout, func(v fragments.LiveView) bool {
		return seq < v.Next || (seq == v.Next && k >= 0 && k < len(v.Parts))
	})
	if err == nil && !ok {
		err = notFound("Fragment %s was not found.", st.FragmentNumber(seq))
	}
	return v, err
}

// initOf returns the init segment of fragment seq.
func (s *Service) initOf(ctx context.Context, st *fragments.Stream, seq uint64) (*Resource, error) {
	v, err := s.waitStored(ctx, st, seq, 0)
	if err != nil {
		return nil, err
	}
	if seq == v.Next {
		return &Resource{ContentType: typeMP4, Body: v.Parts[0].Init}, nil
	}
	f, _, err := st.Fragment(ctx, seq)
	if err != nil {
		return nil, err
	}
	return &Resource{ContentType: typeMP4, Body: f.Init}, nil
}

// segmentOf returns the media (moof+mdat chunks) of fragment seq, waiting
// for it when it is being built.
func (s *Service) segmentOf(ctx context.Context, st *fragments.Stream, seq uint64) (*fragments.Fragment, error) {
	if _, err := s.waitStored(ctx, st, seq, -1); err != nil {
		return nil, err
	}
	f, _, err := st.Fragment(ctx, seq)
	return f, err
}

// partOf returns part k of fragment seq: from memory while the fragment is
// being built, from the stored fragment afterwards.
func (s *Service) partOf(ctx context.Context, st *fragments.Stream, seq uint64, k int) (*Resource, error) {
	v, err := s.waitStored(ctx, st, seq, k)
	if err != nil {
		return nil, err
	}
	if seq == v.Next {
		return &Resource{ContentType: typeMP4, Body: v.Parts[k].Data}, nil
	}
	f, _, err := st.Fragment(ctx, seq)
	if err != nil {
		return nil, err
	}
	off := 0
	for i, p := range fragments.PartsOf(f) {
		if i == k {
			return &Resource{ContentType: typeMP4, Body: f.Data[off : off+p.Size]}, nil
		}
		off += p.Size
	}
	return nil, notFound("Fragment %s has no part %d.", st.FragmentNumber(seq), k)
}

// ---- plain live URLs --------------------------------------------------------
