package ingest

import (
	"fmt"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
)

// describe names tracks for logs and status.
func describe(tracks []fragments.Track) []string {
	out := make([]string, 0, len(tracks))
	for _, t := range tracks {
		switch c := t.Codec.(type) {
		case *codecs.H264:
			out = append(out, "H264")
		case *codecs.H265:
			out = append(out, "H265")
		case *codecs.VP9:
			out = append(out, "VP9")
		case *codecs.AV1:
			out = append(out, "AV1")
		case *codecs.MPEG4Audio:
			out = append(out, fmt.Sprintf("AAC/%dHz/%dch", c.Config.SampleRate, aacChannels(c.Config.ChannelConfig)))
		case *codecs.Opus:
			out = append(out, fmt.Sprintf("Opus/%dch", c.ChannelCount))
		default:
			out = append(out, fmt.Sprintf("%T", c))
		}
	}
	return out
}

// mediaType is the KVS MediaType of an auto-created stream.
func mediaType(tracks []fragments.Track) string {
	var types []string
	for _, t := range tracks {
		switch t.Codec.(type) {
		case *codecs.H264:
			types = append(types, "video/h264")
		case *codecs.H265:
			types = append(types, "video/h265")
		case *codecs.VP9:
			types = append(types, "video/vp9")
		case *codecs.AV1:
			types = append(types, "video/av1")
		case *codecs.MPEG4Audio:
			types = append(types, "audio/aac")
		case *codecs.Opus:
			types = append(types, "audio/opus")
		}
	}
	return strings.Join(types, ",")
}

// aacChannels is the channel count of an AAC channel configuration (0: the
// layout is in the stream, reported as 0).
func aacChannels(cfg uint8) int {
	if cfg == 7 {
		return 8
	}
	return int(cfg)
}
