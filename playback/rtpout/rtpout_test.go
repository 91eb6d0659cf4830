package rtpout

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
)

// avcc frames NAL units as the unit feed does: each behind its 4-byte
// length.
func avcc(nalus ...[]byte) []byte {
	var b []byte
	for _, n := range nalus {
		b = binary.BigEndian.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
	}
	return b
}

var (
	testSPS = []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10}
	testPPS = []byte{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}
)

// Each codec's units come back whole from gortsplib's own depacketizers,
// stamped with their presentation time, with the payload type asked for
// and no payload over the cap; large units span packets.
func TestPacketizeRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0x5a}, 5000)
	idr := append([]byte{0x65}, big...)
	h265 := append([]byte{0x26, 0x01}, big...)
	obuFrame := append([]byte{0x32, 0x88, 0x27}, big...) // OBU_FRAME with its size (5000) in LEB128
	vp9 := vp9Keyframe(t)
	aac := bytes.Repeat([]byte{0x21}, 1500) // a loud AAC frame: more than one packet at a 1100-byte cap
	cases := []struct {
		name  string
		track fragments.Track
		data  []byte
		want  [][]byte // what the depacketizer returns
	}{
		{"h264", fragments.Track{Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}, ClockRate: 90000}, avcc(testSPS, testPPS, idr), [][]byte{testSPS, testPPS, idr}},
		{"h265", fragments.Track{Codec: &codecs.H265{}, ClockRate: 90000}, avcc(h265), [][]byte{h265}},
		{"vp9", fragments.Track{Codec: &codecs.VP9{}, ClockRate: 90000}, vp9, [][]byte{vp9}},
		{"av1", fragments.Track{Codec: &codecs.AV1{}, ClockRate: 90000}, obuFrame, [][]byte{append([]byte{0x30}, big...)}},
		{"aac", fragments.Track{Codec: &codecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{Type: 2, SampleRate: 48000, ChannelConfig: 2}},
			ClockRate: 48000}, []byte{1, 2, 3, 4}, [][]byte{{1, 2, 3, 4}}},
		{"aac-large", fragments.Track{Codec: &codecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{Type: 2, SampleRate: 44100, ChannelConfig: 2}},
			ClockRate: 44100}, aac, [][]byte{aac}},
		{"opus", fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}, []byte{0xfc, 1, 2}, [][]byte{{0xfc, 1, 2}}},
	}
	for _, c := range cases {
		for _, cap := range []int{0, 1100} { // RTSP's default, WHEP's cap
			t.Run(fmt.Sprintf("%s/cap%d", c.name, cap), func(t *testing.T) {
				const pt = 101
				p, err := New(c.track, pt, cap)
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if p.Format().PayloadType() != pt {
					t.Fatalf("format payload type %d, want %d", p.Format().PayloadType(), pt)
				}
				if p.ClockRate() != int64(c.track.ClockRate) {
					t.Fatalf("clock %d, want the track's %d", p.ClockRate(), c.track.ClockRate)
				}
				limit := cap
				if limit == 0 {
					limit = 1450
				}
				pts := int64(123456)
				pkts, err := p.Packets(c.data, pts)
				if err != nil {
					t.Fatal(err)
				}
				if len(pkts) == 0 || len(c.data) > limit && len(pkts) < 2 {
					t.Fatalf("%d bytes in %d packet", len(c.data), len(pkts))
				}
				var got [][]byte
				decode := decoderOf(t, p.Format())
				for i, q := range pkts {
					if want := p.Timestamp(0) + uint32(pts); q.Timestamp != want {
						t.Fatalf("timestamp %d, want %d", q.Timestamp, want)
					}
					if q.PayloadType != pt {
						t.Fatalf("payload type %d, want %d", q.PayloadType, pt)
					}
					if len(q.Payload) > limit {
						t.Fatalf("payload of %d bytes over the cap of %d", len(q.Payload), limit)
					}
					if c.track.Codec.IsVideo() && q.Marker != (i == len(pkts)-1) {
						t.Fatalf("packet %d of %d: marker %v", i, len(pkts), q.Marker)
					}
					if i > 0 && q.SequenceNumber != pkts[i-1].SequenceNumber+1 {
						t.Fatalf("sequence numbers %d then %d", pkts[i-1].SequenceNumber, q.SequenceNumber)
					}
					// Through the wire format, as a reader gets them.
					b, _ := q.Marshal()
					var r rtp.Packet
					if err := r.Unmarshal(b); err != nil {
						t.Fatal(err)
					}
					if out, err := decode(&r); err == nil {
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
	}
}

// A picture of many slices (some cameras send 60 and more) passes whole;
// the depacketizer's own limit is lifted for the check.
func TestPacketizeManySlices(t *testing.T) {
	p, err := New(fragments.Track{Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}, ClockRate: 90000}, 96, 1100)
	if err != nil {
		t.Fatal(err)
	}
	var nalus [][]byte
	for i := range 68 {
		nalus = append(nalus, append([]byte{0x65, byte(i)}, bytes.Repeat([]byte{0x11}, 300)...))
	}
	pkts, err := p.Packets(avcc(nalus...), 0)
	if err != nil {
		t.Fatalf("a picture of %d slices: %v", len(nalus), err)
	}
	var got [][]byte
	for _, q := range pkts {
		// STAP-A (24) holds several slices behind 2-byte sizes.
		if q.Payload[0]&0x1f == 24 {
			b := q.Payload[1:]
			for len(b) > 0 {
				n := int(binary.BigEndian.Uint16(b))
				got = append(got, b[2:2+n])
				b = b[2+n:]
			}
			continue
		}
		got = append(got, q.Payload)
	}
	if len(got) != len(nalus) {
		t.Fatalf("%d NAL units came out of %d", len(got), len(nalus))
	}
	for i := range got {
		if !bytes.Equal(got[i], nalus[i]) {
			t.Fatalf("slice %d differs", i)
		}
	}
}

// Times in a track clock other than the payload format's are scaled to
// it; the random base differs between packetizers.
func TestTimestampClock(t *testing.T) {
	p, err := New(fragments.Track{Codec: &codecs.VP9{}, ClockRate: 1000}, 96, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Timestamp(1500)-p.Timestamp(0), uint32(135000); got != want {
		t.Fatalf("1.5 s of a 1 kHz clock is %d RTP ticks, want %d", got, want)
	}
	q, err := New(fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}}, 111, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q.ClockRate() != 48000 {
		t.Fatalf("a track without a clock has %d, want the format's 48000", q.ClockRate())
	}
	if got := q.Timestamp(48000) - q.Timestamp(0); got != 48000 {
		t.Fatalf("1 s of Opus is %d RTP ticks", got)
	}
	bases := map[uint32]bool{}
	for range 4 {
		r, err := New(fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}, 111, 0)
		if err != nil {
			t.Fatal(err)
		}
		bases[r.Timestamp(0)] = true
	}
	if len(bases) < 2 {
		t.Fatal("every packetizer starts at the same RTP timestamp")
	}
}

// Codecs without a payload format, bad caps and bad units are refused
// with an error.
func TestRefused(t *testing.T) {
	for _, c := range []codecs.Codec{&codecs.AC3{}, &codecs.MPEG1Audio{}, &codecs.LPCM{}, &codecs.MJPEG{}, nil} {
		if _, err := New(fragments.Track{Codec: c, ClockRate: 90000}, 96, 0); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%T: %v, want ErrUnsupported", c, err)
		}
	}
	for _, cap := range []int{-1, 1, minPayload - 1} {
		if _, err := New(fragments.Track{Codec: &codecs.VP9{}, ClockRate: 90000}, 96, cap); err == nil || errors.Is(err, ErrUnsupported) {
			t.Fatalf("a payload cap of %d: %v", cap, err)
		}
	}
	h264, err := New(fragments.Track{Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}, ClockRate: 90000}, 96, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{{0, 0, 0, 9, 1}, {0, 0, 1}, avcc([]byte{}), nil} {
		if _, err := h264.Packets(bad, 0); err == nil {
			t.Fatalf("AVCC %x was accepted", bad)
		}
	}
	av1, err := New(fragments.Track{Codec: &codecs.AV1{}, ClockRate: 90000}, 96, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := av1.Packets([]byte{0x32, 0x88}, 0); err == nil {
		t.Fatal("a truncated AV1 temporal unit was accepted")
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
