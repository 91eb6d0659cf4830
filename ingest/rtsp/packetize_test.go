package rtsp

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
)

// Each codec's units come back whole from gortsplib's own depacketizers,
// stamped with their presentation time; large units span packets.
func TestPacketizeRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0x5a}, 5000)
	avcc := func(nalus ...[]byte) []byte {
		var b []byte
		for _, n := range nalus {
			b = binary.BigEndian.AppendUint32(b, uint32(len(n)))
			b = append(b, n...)
		}
		return b
	}
	sps := []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10}
	pps := []byte{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}
	idr := append([]byte{0x65}, big...)
	h265 := append([]byte{0x26, 0x01}, big...)
	obuFrame := append([]byte{0x32, 0x88, 0x27}, big...) // OBU_FRAME with its size (5000) in LEB128
	vp9 := vp9Keyframe(t)
	cases := []struct {
		name  string
		track fragments.Track
		data  []byte
		want  [][]byte // what the depacketizer returns
	}{
		{"h264", fragments.Track{Codec: &codecs.H264{SPS: sps, PPS: pps}, ClockRate: 90000}, avcc(sps, pps, idr), [][]byte{sps, pps, idr}},
		{"h265", fragments.Track{Codec: &codecs.H265{}, ClockRate: 90000}, avcc(h265), [][]byte{h265}},
		{"vp9", fragments.Track{Codec: &codecs.VP9{}, ClockRate: 90000}, vp9, [][]byte{vp9}},
		{"av1", fragments.Track{Codec: &codecs.AV1{}, ClockRate: 90000}, obuFrame, [][]byte{append([]byte{0x30}, big...)}},
		{"aac", fragments.Track{Codec: &codecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{Type: 2, SampleRate: 48000, ChannelConfig: 2}},
			ClockRate: 48000}, []byte{1, 2, 3, 4}, [][]byte{{1, 2, 3, 4}}},
		{"opus", fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}, []byte{0xfc, 1, 2}, [][]byte{{0xfc, 1, 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, ok, err := outTrackOf(c.track)
			if err != nil || !ok {
				t.Fatalf("outTrackOf: %v %v", ok, err)
			}
			pts := int64(123456)
			pkts, err := o.packets(fragments.Unit{PTS: pts, Data: c.data})
			if err != nil {
				t.Fatal(err)
			}
			if len(pkts) == 0 || len(c.data) > 1500 && len(pkts) < 2 {
				t.Fatalf("%d bytes in %d packet", len(c.data), len(pkts))
			}
			var got [][]byte
			decode := decoderOf(t, o.format)
			for _, p := range pkts {
				if p.Timestamp != o.offset+uint32(pts) {
					t.Fatalf("timestamp %d, want %d", p.Timestamp, o.offset+uint32(pts))
				}
				// Through the wire format, as a reader gets them.
				b, _ := p.Marshal()
				var q rtp.Packet
				if err := q.Unmarshal(b); err != nil {
					t.Fatal(err)
				}
				if out, err := decode(&q); err == nil {
					got = out
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d units, want %d", len(got), len(c.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], c.want[i]) {
					t.Fatalf("unit %d differs: %x..., want %x...", i, got[i][:min(8, len(got[i]))], c.want[i][:min(8, len(c.want[i]))])
				}
			}
		})
	}
	if _, err := avccUnits([]byte{0, 0, 0, 9, 1}); err == nil {
		t.Fatal("a truncated AVCC unit was accepted")
	}
}

// vp9Keyframe encodes a VP9 keyframe with ffmpeg (pion's payloader reads
// the frame header).
func vp9Keyframe(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required (make test installs it): %v", err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=1",
		"-frames:v", "1", "-c:v", "libvpx-vp9", "-b:v", "2M", "-f", "ivf", "-").Output()
	if err != nil || len(out) < 44 {
		t.Fatalf("ffmpeg: %v", err)
	}
	n := int(binary.LittleEndian.Uint32(out[32:])) // IVF: a 32-byte header, then each frame's size and time
	if len(out) < 44+n {
		t.Fatalf("IVF of %d bytes holds no frame of %d", len(out), n)
	}
	return out[44 : 44+n]
}

func decoderOf(t *testing.T, f format.Format) func(*rtp.Packet) ([][]byte, error) {
	one := func(b []byte, err error) ([][]byte, error) { return [][]byte{b}, err }
	switch f := f.(type) {
	case *format.H264:
		d, _ := f.CreateDecoder()
		return d.Decode
	case *format.H265:
		d, _ := f.CreateDecoder()
		return d.Decode
	case *format.VP9:
		d, _ := f.CreateDecoder()
		return func(p *rtp.Packet) ([][]byte, error) { return one(d.Decode(p)) }
	case *format.AV1:
		d, _ := f.CreateDecoder()
		return d.Decode
	case *format.MPEG4Audio:
		d, _ := f.CreateDecoder()
		return d.Decode
	case *format.Opus:
		d, _ := f.CreateDecoder()
		return func(p *rtp.Packet) ([][]byte, error) { return one(d.Decode(p)) }
	}
	t.Fatalf("no decoder for %T", f)
	return nil
}
