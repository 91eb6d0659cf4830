package ingest

import (
	"time"

	"github.com/pion/rtcp"
)

// Timing is what a protocol knows of when a unit was made and received.
type Timing struct {
	// Arrival is when the unit's last packet reached the server.
	Arrival time.Time
	// Reported is the sender's wall-clock time of the unit (RTCP sender
	// reports); zero when the sender has not said.
	Reported time.Time
}

// slewDivisor bounds how fast the producer clock moves against media time:
// its anchor moves at most 1/slewDivisor of the media time elapsed (5 ms a
// second). A fragment of the longest allowed duration (10 s) then starts
// at most 50 ms away from where its predecessor ended, which is within
// what ON_DISCONTINUITY playlists tolerate.
const slewDivisor = 200

// producerClock maps a publisher's media time (presentation times, shared
// by its tracks) to wall-clock producer time: the session's anchor plus
// the media time elapsed. Only the anchor moves, and only slowly, so
// consecutive fragments of one session are contiguous in producer time.
//
// The anchor heads for the sender's reported clock (its RTCP sender
// reports), but never so far that a unit would be stamped later than it
// arrived: bound is the latest anchor that keeps the units seen lately at
// or before their arrival. The bound falls at once when a unit arrives
// earlier than it allows, and otherwise rises at the slew rate, so a
// sender whose media runs slow against the server's clock is followed
// too. A sender clock that drifts or jitters moves the anchor at most at
// the slew rate; a sender clock ahead of arrival is not followed past it.
//
// Producer time never goes backwards along a track's media: the anchor
// falls by at most the media time since the latest unit, and a unit is
// stamped no earlier than the latest unit of its own track before it in
// media time. Units of two tracks can be handed over in another order than
// their arrival times say (a video frame is complete at its last packet,
// an audio frame that came in meanwhile is handed over first), and audio
// can run ahead of video in media time: an audio unit could otherwise pull
// the anchor below what the video unit before it was stamped with, and the
// next fragment would start before its predecessor. Such a unit is stamped
// a little after its arrival instead, and the anchor reaches the bound over
// the units that follow.
type producerClock struct {
	set    bool
	anchor time.Time     // producer time of media time 0
	bound  time.Time     // latest anchor that keeps recent units at or before arrival
	media  time.Duration // the latest media time seen
	tracks []trackStamp  // per track: its latest media time and stamp
}

type trackStamp struct {
	media time.Duration
	stamp time.Time
}

// observe accounts a unit of track at media time m and returns its
// producer time.
func (c *producerClock) observe(track int, m time.Duration, t Timing) time.Time {
	p := c.anchorOf(m, t).Add(m)
	for len(c.tracks) <= track {
		c.tracks = append(c.tracks, trackStamp{media: -1})
	}
	last := &c.tracks[track]
	if m >= last.media {
		// In order for its track (a B-frame's earlier presentation time
		// is not): never before the track's latest stamp.
		if p.Before(last.stamp) {
			p = last.stamp
		}
		last.media, last.stamp = m, p
	}
	return p
}

// anchorOf moves the anchor for a unit at media time m and returns it.
func (c *producerClock) anchorOf(m time.Duration, t Timing) time.Time {
	late := t.Arrival.Add(-m) // the anchor that stamps this unit with its arrival
	if !c.set {
		c.set, c.media, c.bound, c.anchor = true, m, late, late
		if !t.Reported.IsZero() {
			c.anchor = earlier(late, t.Reported.Add(-m))
		}
		return c.anchor
	}
	step := max(0, m-c.media) // media time since the latest unit; none for reordered units
	c.media = max(c.media, m)
	floor := c.anchor.Add(-step) // keeps this unit at or after the latest one
	limit := step / slewDivisor
	c.bound = earlier(c.bound.Add(limit), late)
	want := c.bound
	if !t.Reported.IsZero() {
		want = earlier(want, t.Reported.Add(-m))
	}
	c.anchor = c.anchor.Add(min(max(want.Sub(c.anchor), -limit), limit))
	c.anchor = earlier(c.anchor, c.bound)
	if c.anchor.Before(floor) {
		c.anchor = floor
	}
	return c.anchor
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// SenderReport is what an RTCP sender report says (RFC 3550 6.4.1): the
// sender's wall clock at an RTP timestamp of one of its streams. Every RTP
// front end (RTSP, WebRTC) reads producer time from it.
type SenderReport struct {
	SSRC uint32
	NTP  time.Time // the sender's wall clock
	RTP  uint32    // at this RTP timestamp
}

// ReportOf decodes an RTCP sender report.
func ReportOf(sr *rtcp.SenderReport) *SenderReport {
	return &SenderReport{SSRC: sr.SSRC, NTP: ntpTime(sr.NTPTime), RTP: sr.RTPTime}
}

// TimeOf is the sender's wall-clock time of RTP timestamp ts of a stream
// clocked at rate; zero when r is nil or of another stream. RTP timestamps
// wrap: the nearer way round is taken.
func (r *SenderReport) TimeOf(ssrc, ts uint32, rate int64) time.Time {
	if r == nil || r.SSRC != ssrc || rate <= 0 {
		return time.Time{}
	}
	ticks := int64(int32(ts - r.RTP))
	return r.NTP.Add(time.Duration(ticks/rate)*time.Second + time.Duration(ticks%rate*int64(time.Second)/rate))
}

// unixToNTP is the seconds from 1900 (NTP's epoch) to 1970.
const unixToNTP = 2208988800

// ntpTime decodes a 64-bit NTP timestamp (RFC 3550 4: seconds since 1900,
// then a binary fraction of a second). gortsplib's own PacketNTP reads the
// low half as nanoseconds, which puts a standard sender (ffmpeg) up to
// 3.3 s late.
func ntpTime(v uint64) time.Time {
	return time.Unix(int64(v>>32)-unixToNTP, int64((v&0xffffffff)*1e9>>32))
}

// NTPStamp encodes t as a 64-bit NTP timestamp.
func NTPStamp(t time.Time) uint64 {
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + unixToNTP
	frac := uint64(ns%1e9) << 32 / 1e9
	return sec<<32 | frac
}
