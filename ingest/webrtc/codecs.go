package webrtc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
)

// accepted names what a publisher may send, for error messages.
const accepted = "H264, H265, VP9, AV1 video; Opus audio"

// registerCodecs puts the codecs shardcast stores (and WHEP sends) into a
// media engine. Payload types are only defaults: an offer's numbers win.
func registerCodecs(me *webrtc.MediaEngine) error {
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	video := []webrtc.RTPCodecParameters{}
	pt := webrtc.PayloadType(96)
	add := func(mime, fmtp string) {
		video = append(video, webrtc.RTPCodecParameters{PayloadType: pt,
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: fb}})
		pt++
	}
	for _, profile := range []string{"42e01f", "42001f", "4d001f", "640032", "64001f"} {
		add(webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id="+profile)
	}
	add(webrtc.MimeTypeH265, "")
	add(webrtc.MimeTypeVP9, "profile-id=0")
	add(webrtc.MimeTypeVP9, "profile-id=2")
	add(webrtc.MimeTypeAV1, "")
	for _, c := range video {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("webrtc: codec %s: %w", c.MimeType, err)
		}
	}
	opus := webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("webrtc: codec opus: %w", err)
	}
	return nil
}

// codecKind is a codec shardcast stores.
type codecKind uint8

const (
	codecH264 codecKind = iota + 1
	codecH265
	codecVP9
	codecAV1
	codecOpus
)

func (k codecKind) String() string {
	return [...]string{"", "H264", "H265", "VP9", "AV1", "Opus"}[k]
}

func (k codecKind) video() bool { return k != codecOpus }

// plan is one accepted m-line of an offer: the codec chosen and the
// track it feeds.
type plan struct {
	mid      string
	codec    codecKind
	pt       uint8
	channels int
	track    int
}

// offered is one codec of an m-line.
type offered struct {
	pt    uint8
	name  string // upper case: H264, VP9, OPUS...
	rate  int
	chans int
	fmtp  map[string]string
}

// errNoCodec is an offer with nothing shardcast stores.
var errNoCodec = errors.New("no acceptable codec")

// choose picks, per m-line of an offer, the codec to receive, and rewrites
// the offer so that each accepted m-line carries only that codec: pion
// then answers with exactly it, and the tracks are known before any
// packet. Video m-lines prefer H.264, then H.265, VP9, AV1; audio takes
// Opus. A video m-line with none of them, or an offer with nothing to
// store, is refused.
func choose(desc *sdp.SessionDescription) ([]plan, []fragments.Track, error) {
	var plans []plan
	var tracks []fragments.Track
	for i, md := range desc.MediaDescriptions {
		kind := md.MediaName.Media
		if kind != "video" && kind != "audio" {
			continue
		}
		if md.MediaName.Port.Value == 0 {
			continue // rejected or stopped
		}
		mid, _ := md.Attribute("mid")
		if dir := direction(md); dir == "recvonly" || dir == "inactive" {
			continue
		}
		list := offeredCodecs(md)
		best, bestKind := -1, codecKind(0)
		for j, c := range list {
			k := kindOf(kind, c)
			if k == 0 {
				continue
			}
			if best < 0 || k < bestKind {
				best, bestKind = j, k
			}
		}
		if best < 0 {
			if kind == "video" {
				names := make([]string, 0, len(list))
				for _, c := range list {
					names = append(names, c.name)
				}
				return nil, nil, fmt.Errorf("%w in video m-line %d (offered %s): accepted are %s", errNoCodec, i, strings.Join(uniq(names), ", "), accepted)
			}
			continue // audio we cannot store: not received
		}
		c := list[best]
		p := plan{mid: mid, codec: bestKind, pt: c.pt, channels: c.chans, track: len(tracks)}
		plans = append(plans, p)
		tracks = append(tracks, trackFor(p))
		keepOnly(md, c.pt)
	}
	if len(plans) == 0 {
		return nil, nil, fmt.Errorf("%w: the offer has no audio or video to store; accepted are %s", errNoCodec, accepted)
	}
	return plans, tracks, nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func direction(md *sdp.MediaDescription) string {
	for _, a := range md.Attributes {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return a.Key
		}
	}
	return "sendrecv"
}

// offeredCodecs reads an m-line's formats with their rtpmap and fmtp.
func offeredCodecs(md *sdp.MediaDescription) []offered {
	byPT := map[string]*offered{}
	var out []*offered
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		o := &offered{pt: uint8(n), fmtp: map[string]string{}}
		byPT[f] = o
		out = append(out, o)
	}
	for _, a := range md.Attributes {
		pt, rest, ok := strings.Cut(a.Value, " ")
		o := byPT[pt]
		if !ok || o == nil {
			continue
		}
		switch a.Key {
		case "rtpmap":
			parts := strings.Split(strings.TrimSpace(rest), "/")
			o.name = strings.ToUpper(parts[0])
			if len(parts) > 1 {
				o.rate, _ = strconv.Atoi(parts[1])
			}
			if len(parts) > 2 {
				o.chans, _ = strconv.Atoi(parts[2])
			}
		case "fmtp":
			for _, kv := range strings.Split(rest, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				o.fmtp[strings.ToLower(k)] = v
			}
		}
	}
	res := make([]offered, 0, len(out))
	for _, o := range out {
		if o.name != "" {
			res = append(res, *o)
		}
	}
	return res
}

// kindOf says whether shardcast stores an offered codec.
func kindOf(media string, c offered) codecKind {
	switch {
	case media == "video" && c.name == "H264" && c.rate == 90000:
		if c.fmtp["packetization-mode"] != "1" {
			return 0 // mode 0 (single NAL units) is not what browsers and OBS send
		}
		return codecH264
	case media == "video" && c.name == "H265" && c.rate == 90000:
		return codecH265
	case media == "video" && c.name == "VP9" && c.rate == 90000:
		if p := c.fmtp["profile-id"]; p != "" && p != "0" && p != "2" {
			return 0
		}
		return codecVP9
	case media == "video" && c.name == "AV1" && c.rate == 90000:
		return codecAV1
	case media == "audio" && c.name == "OPUS" && c.rate == 48000:
		return codecOpus
	}
	return 0
}

// keepOnly removes every format but pt from an m-line, with the
// attributes that name them.
func keepOnly(md *sdp.MediaDescription, pt uint8) {
	keep := strconv.Itoa(int(pt))
	md.MediaName.Formats = []string{keep}
	// FID groups name the RTX (and FEC) streams that go with the formats
	// removed: the group and the SSRCs it repairs with go too, or the
	// m-line would announce two streams (which pion takes for Plan B).
	repair := map[string]bool{}
	for _, a := range md.Attributes {
		if a.Key == "ssrc-group" {
			if f := strings.Fields(a.Value); len(f) > 2 {
				for _, ssrc := range f[2:] {
					repair[ssrc] = true
				}
			}
		}
	}
	attrs := md.Attributes[:0]
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap", "fmtp", "rtcp-fb":
			if p, _, _ := strings.Cut(a.Value, " "); p != keep && p != "*" {
				continue
			}
		case "ssrc-group":
			continue
		case "ssrc":
			if ssrc, _, _ := strings.Cut(a.Value, " "); repair[ssrc] {
				continue
			}
		}
		attrs = append(attrs, a)
	}
	md.Attributes = attrs
}

// trackFor is the fragments track of an accepted m-line. Video parameter
// sets come in band.
func trackFor(p plan) fragments.Track {
	switch p.codec {
	case codecH264:
		return fragments.Track{Codec: &codecs.H264{}, ClockRate: 90000}
	case codecH265:
		return fragments.Track{Codec: &codecs.H265{}, ClockRate: 90000}
	case codecVP9:
		return fragments.Track{Codec: &codecs.VP9{}, ClockRate: 90000}
	case codecAV1:
		return fragments.Track{Codec: &codecs.AV1{}, ClockRate: 90000}
	}
	n := p.channels
	if n == 0 {
		n = 2
	}
	return fragments.Track{Codec: &codecs.Opus{ChannelCount: n}, ClockRate: 48000}
}

// capBitrate adds b=AS and b=TIAS lines (the publisher's cap) to the
// video m-lines of an answer.
func capBitrate(answer string, bps int64) string {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		return answer
	}
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media == "video" && md.MediaName.Port.Value != 0 {
			md.Bandwidth = append(md.Bandwidth, sdp.Bandwidth{Type: "AS", Bandwidth: uint64(bps / 1000)},
				sdp.Bandwidth{Type: "TIAS", Bandwidth: uint64(bps)})
		}
	}
	b, err := d.Marshal()
	if err != nil {
		return answer
	}
	return string(b)
}
