package playback

import (
	"math"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// Media playlists: the URIs of a session's resources and the rendering of
// a playlist's segments and parts.

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
