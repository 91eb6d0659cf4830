package playback

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// HLS answers GET /hls/v1/<name>?SessionToken=...: the resources of a KVS
// HLS streaming session.
func (s *Service) HLS(ctx context.Context, name string, q url.Values) (*Resource, error) {
	sess, err := openSession(s.cfg.Key, q.Get("SessionToken"), s.cfg.Now(), false)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Store.LookupID(sess.StreamID)
	if err != nil {
		return nil, notFound("The stream of this streaming session no longer exists.")
	}
	u := uris{token: q.Get("SessionToken"), st: st}
	ts := sess.Container == ContainerTS
	number := func() (uint64, error) {
		n := q.Get("FragmentNumber")
		seq, ok := st.ParseFragmentNumber(n)
		if !ok {
			return 0, invalid("FragmentNumber %q is not a fragment of this stream.", n)
		}
		return seq, nil
	}
	switch name {
	case "getHLSMasterPlaylist.m3u8":
		return s.master(ctx, st, sess, u)
	case "getHLSMediaPlaylist.m3u8":
		if tn := q.Get("TrackNumber"); tn != "" && tn != "1" {
			return nil, notFound("The session has one media playlist, TrackNumber 1.")
		}
		switch sess.Mode {
		case ModeLive:
			return s.livePlaylist(ctx, st, u, liveOptions{max: sess.Max, ts: ts, producer: sess.Producer, showTime: sess.ShowTime, disc: sess.Disc}, q)
		case ModeReplay:
			return s.replayPlaylist(ctx, st, sess, u)
		default:
			return s.onDemandPlaylist(ctx, st, sess, u)
		}
	case "getMP4InitFragment.mp4":
		if ts {
			return nil, invalid("This session serves MPEG-TS fragments.")
		}
		if !q.Has("SequenceNumber") {
			// KVS's own URL names no fragment: the session's init segment.
			return s.sessionInit(ctx, st, sess)
		}
		seq, err := strconv.ParseUint(q.Get("SequenceNumber"), 10, 64)
		if err != nil {
			return nil, invalid("SequenceNumber %q is not a number.", q.Get("SequenceNumber"))
		}
		return s.initOf(ctx, st, seq)
	case "getMP4MediaFragment.mp4":
		if ts {
			return nil, invalid("This session serves MPEG-TS fragments.")
		}
		seq, err := number()
		if err != nil {
			return nil, err
		}
		if pn := q.Get("PartNumber"); pn != "" {
			k, err := strconv.Atoi(pn)
			if err != nil || k < 0 {
				return nil, invalid("PartNumber %q is not a number.", pn)
			}
			return s.partOf(ctx, st, seq, k)
		}
		f, err := s.segmentOf(ctx, st, seq)
		if err != nil {
			return nil, err
		}
		return &Resource{ContentType: typeMP4, Body: f.Data}, nil
	case "getTSFragment.ts":
		if !ts {
			return nil, invalid("This session serves fragmented MP4.")
		}
		seq, err := number()
		if err != nil {
			return nil, err
		}
		f, err := s.segmentOf(ctx, st, seq)
		if err != nil {
			return nil, err
		}
		body, err := toTS(f)
		if err != nil {
			return nil, err
		}
		return &Resource{ContentType: typeTS, Body: body}, nil
	}
	return nil, notFound("No HLS resource %s.", name)
}

// master lists the session's one media playlist with its codecs.
func (s *Service) master(ctx context.Context, st *fragments.Stream, sess session, u uris) (*Resource, error) {
	initSeg, bandwidth, err := s.sessionStart(ctx, st, sess)
	if err != nil {
		return nil, err
	}
	init, err := parseInit(initSeg)
	if err != nil {
		return nil, err
	}
	if err := checkPlayable(init); err != nil {
		return nil, err
	}
	if sess.Container == ContainerTS {
		if err := checkTS(init); err != nil {
			return nil, err
		}
	}
	var names []string
	w, h := 0, 0
	for _, t := range init.Tracks {
		if c := codecString(t.Codec); c != "" {
			names = append(names, c)
		}
		if w == 0 {
			w, h = resolution(t.Codec)
		}
	}
	version := 7
	if sess.Container == ContainerTS {
		version = 3
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS=\"%s\"",
		version, max(bandwidth*11/10, 1), strings.Join(names, ","))
	if w > 0 {
		fmt.Fprintf(&b, ",RESOLUTION=%dx%d", w, h)
	}
	b.WriteString("\n" + u.media() + "\n")
	return &Resource{ContentType: typePlaylist, Body: []byte(b.String()), Live: sess.Mode != ModeOnDemand}, nil
}

// discontinuous reports whether fragment f starts a discontinuity after
// prev in ON_DISCONTINUITY mode: a new init or timeline, or a gap or
// overlap of more than 50 ms between their producer timestamps.
func discontinuous(prev *fragments.FragmentInfo, f fragments.FragmentInfo) bool {
	if f.Discontinuity {
		return true
	}
	if prev == nil {
		return false
	}
	d := f.ProducerTime.Sub(prev.ProducerTime.Add(prev.Duration))
	return d > gapTolerance || d < -gapTolerance
}

// entries turns selected fragments into playlist entries, numbering
// discontinuities from the first of all.
func entries(all []fragments.FragmentInfo, from int, sess session, p *playlist) {
	var ord uint64
	var prev *fragments.FragmentInfo
	for i := range all[:from] {
		if discontinuous(prev, all[i]) {
			ord++
		}
		prev = &all[i]
	}
	switch sess.Disc {
	case DiscontinuityAlways:
		first := uint64(from)
		p.discSeq = &first
	case DiscontinuityOn:
		p.discSeq = &ord
	}
	for i := from; i < len(all); i++ {
		f := all[i]
		e := entry{seq: f.Seq, dur: f.Duration, at: f.ServerTime, newMap: i == from || f.Discontinuity}
		if sess.Producer {
			e.at = f.ProducerTime
		}
		switch sess.Disc {
		case DiscontinuityAlways:
			e.disc = true
		case DiscontinuityOn:
			e.disc = discontinuous(prev, f)
		}
		prev = &all[i]
		p.entries = append(p.entries, e)
	}
}

// onDemandPlaylist lists the fragments of the session's range, ENDLIST'ed.
func (s *Service) onDemandPlaylist(ctx context.Context, st *fragments.Stream, sess session, u uris) (*Resource, error) {
	got, _, err := st.Select(ctx, sess.selector(), sess.Max)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, notFound("No fragments found in the stream for the streaming request.")
	}
	p := &playlist{u: u, ts: sess.Container == ContainerTS, showTime: sess.ShowTime, vod: true, endlist: true}
	entries(got, 0, sess, p)
	return &Resource{ContentType: typePlaylist, Body: p.render()}, nil
}

// released is how many of a LIVE_REPLAY session's fragments it lists: a
// fragment once the ones before it have had time to play since the session
// began (HLS playlists and DASH manifests alike).
func (s *Service) released(sess session, got []fragments.FragmentInfo) int {
	elapsed := time.Duration(s.cfg.Now().UnixNano() - sess.Created)
	var played time.Duration
	n := 0
	for n < len(got) && played <= elapsed {
		played += got[n].Duration
		n++
	}
	return n
}

// replayPlaylist plays the range from its start as if live: a fragment is
// listed once the fragments before it have had time to play since the
// session began.
func (s *Service) replayPlaylist(ctx context.Context, st *fragments.Stream, sess session, u uris) (*Resource, error) {
	got, more, err := st.Select(ctx, sess.selector(), math.MaxInt32)
	if err != nil {
		return nil, err
	}
	released := s.released(sess, got)
	if released == 0 {
		return nil, notFound("No fragments found in the stream for the streaming request.")
	}
	p := &playlist{u: u, ts: sess.Container == ContainerTS, showTime: sess.ShowTime,
		endlist: sess.End != 0 && released == len(got) && !more}
	entries(got[:released], max(0, released-sess.Max), sess, p)
	return &Resource{ContentType: typePlaylist, Body: p.render(), Live: !p.endlist}, nil
}

// sessionInit returns the init segment of a session as KVS's
// getMP4InitFragment.mp4 serves it, without the SequenceNumber that
// shardcast's playlists add: a LIVE session's newest one (waiting for a
// publisher that has just started), another session's first fragment's.
func (s *Service) sessionInit(ctx context.Context, st *fragments.Stream, sess session) (*Resource, error) {
	initSeg, _, err := s.sessionStart(ctx, st, sess)
	if err != nil {
		return nil, err
	}
	return &Resource{ContentType: typeMP4, Body: initSeg}, nil
}

// sessionStart returns the init segment a session starts with, and the
// bandwidth of its fragment: for LIVE the newest (waiting for a publisher
// that has just started), otherwise the first fragment of the range.
func (s *Service) sessionStart(ctx context.Context, st *fragments.Stream, sess session) ([]byte, int64, error) {
	noFragments := notFound("No fragments found in the stream for the streaming request.")
	bandwidth := func(f fragments.FragmentInfo) int64 {
		if f.Duration <= 0 {
			return 0
		}
		return f.Size * 8 * int64(time.Second) / int64(f.Duration)
	}
	if sess.Mode == ModeLive {
		v, _, err := waitLive(ctx, st, s.cfg.BlockTimeout, func(v fragments.LiveView) bool { return len(v.Parts) > 0 || len(v.Recent) > 0 })
		if err != nil {
			return nil, 0, err
		}
		var bw int64
		if n := len(v.Recent); n > 0 {
			bw = bandwidth(v.Recent[n-1])
		}
		if n := len(v.Parts); n > 0 {
			return v.Parts[n-1].Init, bw, nil // the parts of the open fragment share one
		}
		if n := len(v.Recent); n > 0 {
			f, _, err := st.Fragment(ctx, v.Recent[n-1].Seq)
			if err != nil {
				return nil, 0, err
			}
			return f.Init, bw, nil
		}
		return nil, 0, noFragments
	}
	got, _, err := st.Select(ctx, sess.selector(), 1)
	if err != nil {
		return nil, 0, err
	}
	if len(got) == 0 {
		return nil, 0, noFragments
	}
	f, _, err := st.Fragment(ctx, got[0].Seq)
	if err != nil {
		return nil, 0, err
	}
	return f.Init, bandwidth(got[0]), nil
}
