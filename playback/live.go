package playback

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// Live playlists: the newest segments, blocking reloads, the parts of the
// segment being built, and the end of a plain live playlist.

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
