package whep

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/webrtc/v4"
)

// offered is one payload format of an m-line of the viewer's offer.
type offered struct {
	kind     string // "video" or "audio"
	pt       uint8
	name     string // encoding name, lower case: "h264", "vp9", "opus"...
	clock    uint32
	channels uint16
	fmtp     string
	params   map[string]string
}

// capability is the form pion matches against the negotiated codecs.
func (o offered) capability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: o.kind + "/" + mimeName(o.name), ClockRate: o.clock, Channels: o.channels, SDPFmtpLine: o.fmtp}
}

func mimeName(n string) string {
	switch n {
	case "opus":
		return "opus"
	case "h264", "h265", "vp9", "av1", "vp8":
		return strings.ToUpper(n)
	}
	return n
}

// parseOffer lists the payload formats of the offer's m-lines that would
// receive media (not sendonly or inactive, not rejected).
func parseOffer(offer string) ([]offered, error) {
	parsed, err := (&webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}).Unmarshal()
	if err != nil {
		return nil, err
	}
	var out []offered
	for _, md := range parsed.MediaDescriptions {
		kind := md.MediaName.Media
		if (kind != "video" && kind != "audio") || md.MediaName.Port.Value == 0 {
			continue
		}
		if _, ok := md.Attribute("sendonly"); ok {
			continue
		}
		if _, ok := md.Attribute("inactive"); ok {
			continue
		}
		byPT := map[uint8]*offered{}
		var order []uint8
		for _, f := range md.MediaName.Formats {
			n, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue
			}
			byPT[uint8(n)] = &offered{kind: kind, pt: uint8(n), params: map[string]string{}}
			order = append(order, uint8(n))
		}
		for _, a := range md.Attributes {
			ptStr, rest, ok := strings.Cut(a.Value, " ")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(ptStr, 10, 8)
			if err != nil || byPT[uint8(n)] == nil {
				continue
			}
			o := byPT[uint8(n)]
			switch a.Key {
			case "rtpmap":
				parts := strings.Split(strings.TrimSpace(rest), "/")
				o.name = strings.ToLower(parts[0])
				if len(parts) > 1 {
					c, _ := strconv.ParseUint(parts[1], 10, 32)
					o.clock = uint32(c)
				}
				if len(parts) > 2 {
					c, _ := strconv.ParseUint(parts[2], 10, 16)
					o.channels = uint16(c)
				}
			case "fmtp":
				o.fmtp = strings.TrimSpace(rest)
				for kv := range strings.SplitSeq(o.fmtp, ";") {
					k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
					o.params[strings.ToLower(k)] = v
				}
			}
		}
		for _, pt := range order {
			if o := byPT[pt]; o.name != "" {
				out = append(out, *o)
			}
		}
	}
	return out, nil
}

// codecName is how errors name a stored codec.
func codecName(c codecs.Codec) string {
	switch c.(type) {
	case *codecs.H264:
		return "H.264"
	case *codecs.H265:
		return "H.265"
	case *codecs.VP9:
		return "VP9"
	case *codecs.AV1:
		return "AV1"
	case *codecs.Opus:
		return "Opus"
	case *codecs.MPEG4Audio:
		return "AAC"
	}
	return fmt.Sprintf("%T", c)
}

// pickVideo chooses the offered format that carries the stored video codec
// c; ok is false when the offer has none.
func pickVideo(offer []offered, c codecs.Codec) (offered, bool) {
	best, bestScore := offered{}, -1
	for _, o := range offer {
		if o.kind != "video" || o.clock != 90000 {
			continue
		}
		score := -1
		switch c := c.(type) {
		case *codecs.H264:
			// Packetization mode 1 (FU-A, STAP-A) is what we send; mode 0
			// cannot carry a NAL unit larger than a packet.
			if o.name != "h264" || o.params["packetization-mode"] != "1" {
				continue
			}
			score = 0
			if pl, err := hex.DecodeString(o.params["profile-level-id"]); err == nil && len(pl) == 3 {
				switch {
				case len(c.SPS) > 1 && pl[0] == c.SPS[1]:
					score = 2 // the stream's profile
				case pl[0] == 0x42:
					score = 1 // baseline: every browser decodes it
				}
			}
		case *codecs.H265:
			if o.name != "h265" {
				continue
			}
			score = 0
		case *codecs.VP9:
			if o.name != "vp9" {
				continue
			}
			p := o.params["profile-id"]
			if p == "" {
				p = "0"
			}
			if p != strconv.Itoa(int(c.Profile)) {
				continue
			}
			score = 0
		case *codecs.AV1:
			if o.name != "av1" {
				continue
			}
			score = 0
		default:
			continue
		}
		if score > bestScore {
			best, bestScore = o, score
		}
	}
	return best, bestScore >= 0
}

// pickAudio chooses the offered Opus format for a stored Opus track.
func pickAudio(offer []offered, c codecs.Codec) (offered, bool) {
	if _, ok := c.(*codecs.Opus); !ok {
		return offered{}, false
	}
	for _, o := range offer {
		if o.kind == "audio" && o.name == "opus" && o.clock == 48000 {
			return o, true
		}
	}
	return offered{}, false
}

// offerNames lists the codecs of an offer's kind, for errors.
func offerNames(offer []offered, kind string) string {
	var names []string
	for _, o := range offer {
		n := strings.ToUpper(o.name)
		if o.name == "h264" && o.params["packetization-mode"] != "1" {
			n += " (packetization-mode 0)"
		}
		if o.kind == kind && !slices.Contains(names, n) && o.name != "rtx" && o.name != "red" && o.name != "ulpfec" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
