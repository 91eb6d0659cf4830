package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// testIVF is one frame of an IVF file with its time on the 90 kHz clock.
type testIVF struct {
	pts  int64
	data []byte
}

// readTestIVF parses an IVF file (a 32-byte header with the time base at
// bytes 16-23, then frames behind 12-byte headers).
func readTestIVF(t testing.TB, path string) []testIVF {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatalf("%s is not IVF", path)
	}
	rate, scale := int64(binary.LittleEndian.Uint32(b[16:])), int64(binary.LittleEndian.Uint32(b[20:]))
	var out []testIVF
	for p := int(binary.LittleEndian.Uint16(b[6:])); p < len(b); {
		n := int(binary.LittleEndian.Uint32(b[p:]))
		if p+12+n > len(b) {
			t.Fatalf("%s: truncated frame", path)
		}
		out = append(out, testIVF{pts: int64(binary.LittleEndian.Uint64(b[p+4:])) * 90000 * scale / rate, data: b[p+12 : p+12+n]})
		p += 12 + n
	}
	return out
}

// opusPackets encodes seconds of a tone with ffmpeg (libopus, 20 ms
// packets, stereo) and returns the packets read from its Ogg pages.
func opusPackets(t testing.TB, seconds int) [][]byte {
	t.Helper()
	need(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), "tone.ogg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", strconv.Itoa(seconds),
		"-ac", "2", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg opus: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	var cur []byte
	for p := 0; p < len(b); {
		if p+27 > len(b) || string(b[p:p+4]) != "OggS" {
			t.Fatalf("Ogg page at %d", p)
		}
		nseg := int(b[p+26])
		lacing := b[p+27 : p+27+nseg]
		data := p + 27 + nseg
		for _, l := range lacing {
			cur = append(cur, b[data:data+int(l)]...)
			data += int(l)
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		p = data
	}
	if len(packets) < 3 || !bytes.HasPrefix(packets[0], []byte("OpusHead")) {
		t.Fatalf("no Opus stream in the Ogg file")
	}
	return packets[2:] // after OpusHead and OpusTags
}

// publishVPX publishes an IVF clip (and Opus audio, when given) through an
// ingest session of the server, at the clip's pace, as the WebRTC ingest
// does.
func publishVPX(srv *testServer, stream string, codec codecs.Codec, frames []testIVF, audio [][]byte) error {
	tracks := []fragments.Track{{Codec: codec, ClockRate: 90000}}
	if audio != nil {
		tracks = append(tracks, fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000})
	}
	sess, err := srv.ingest.Start(ingest.Request{Stream: stream, Protocol: "webrtc", Remote: "test", Tracks: tracks})
	if err != nil {
		return err
	}
	start := time.Now()
	ai, apts := 0, int64(0)
	for _, fr := range frames {
		at := start.Add(time.Duration(fr.pts) * time.Second / 90000)
		time.Sleep(time.Until(at))
		for ai < len(audio) && apts*90000/48000 <= fr.pts {
			sess.WriteOpus(1, ingest.Timing{Arrival: time.Now()}, apts, audio[ai:ai+1])
			apts += opus.PacketDuration2(audio[ai])
			ai++
		}
		if _, ok := codec.(*codecs.VP9); ok {
			sess.WriteVP9(0, ingest.Timing{Arrival: time.Now()}, fr.pts, fr.data)
		} else {
			sess.WriteAV1(0, ingest.Timing{Arrival: time.Now()}, fr.pts, [][]byte{fr.data})
		}
	}
	sess.Close()
	if in := sess.Info(); in.DroppedUnits != 0 {
		return fmt.Errorf("%s: the session dropped %d units", stream, in.DroppedUnits)
	}
	return nil
}

// TestVP9AndAV1Playback publishes a VP9 stream with Opus audio and an AV1
// stream (what browsers send over WHIP) through ingest sessions of the
// running server and plays them back over HLS (fMP4; MPEG-TS is refused),
// GetClip and GetMedia, checked with ffprobe/ffmpeg and the tests' MKV
// reader.
func TestVP9AndAV1Playback(t *testing.T) {
	need(t, "ffprobe")
	srv := videoServer(t, false, nil)
	url := srv.URL()
	audio := opusPackets(t, 3)
	cases := []struct {
		stream, file, ffName, hlsCodec, mkvCodec string
		codec                                    codecs.Codec
		audio                                    [][]byte
	}{
		{"vp9", "../../fragments/testdata/video.vp9.ivf", "vp9", "vp09.00.20.08", "V_VP9", &codecs.VP9{}, audio},
		{"av1", "../../fragments/testdata/video.av1.ivf", "av1", "av01.0.00M.08", "V_AV1", &codecs.AV1{}, nil},
	}
	done := make(chan error, len(cases))
	for _, c := range cases {
		if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(c.stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
			t.Fatal(err)
		}
		frames := readTestIVF(t, c.file)
		if len(frames) != 75 {
			t.Fatalf("%s: %d frames", c.file, len(frames))
		}
		go func() { done <- publishVPX(srv, c.stream, c.codec, frames, c.audio) }()
	}
	for range cases {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, srv)

	for _, c := range cases {
		t.Run(c.stream, func(t *testing.T) {
			archived := archivedClient(t, url, c.stream)
			frags := listAll(t, archived, c.stream, amtypes.FragmentSelectorTypeServerTimestamp)
			sortFragments(frags)
			var total int64
			for _, f := range frags {
				total += f.FragmentLengthInMilliseconds
			}
			if len(frags) != 3 || total < 2900 || total > 3100 {
				t.Fatalf("%d fragments lasting %d ms; want 3 of 1 s", len(frags), total)
			}
			first, last := frags[0], frags[len(frags)-1]

			// HLS ON_DEMAND in fMP4: the codecs in the master playlist, the
			// frame rate and every frame decoded.
			out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(c.stream),
				PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
					FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
					TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
			if err != nil {
				t.Fatal(err)
			}
			hls := *out.HLSStreamingSessionURL
			master := getText(t, hls)
			want := c.hlsCodec
			if c.audio != nil {
				want += ",opus"
			}
			if !strings.Contains(master, `CODECS="`+want+`"`) || !strings.Contains(master, "RESOLUTION=320x240") {
				t.Errorf("master playlist:\n%s\nwant CODECS %q", master, want)
			}
			video, audioFrames := probe(t, hls)
			if video != 75 || (c.audio != nil && audioFrames < 140) {
				t.Errorf("HLS decodes %d video and %d audio frames, want 75 and about 150", video, audioFrames)
			}
			if name, rate := probeVideo(t, hls); name != c.ffName || rate != "25/1" {
				t.Errorf("HLS video: %s at %s fps, want %s at 25/1", name, rate, c.ffName)
			}

			// MPEG-TS cannot carry VP9 or AV1: a clear KVS error.
			_, err = archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(c.stream),
				PlaybackMode: amtypes.HLSPlaybackModeOnDemand, ContainerFormat: amtypes.ContainerFormatMpegTs, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
					FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
					TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
			wantErr(t, err, "UnsupportedStreamMediaTypeException",
				"The stream's video is "+strings.ToUpper(c.stream)+", which MPEG-TS cannot carry: use ContainerFormat FRAGMENTED_MP4.")

			// GetClip: one MP4 of the whole.
			clip, err := archived.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String(c.stream),
				ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeServerTimestamp,
					TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(clip.Payload)
			clip.Payload.Close()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "clip.mp4")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if video, audioFrames := probe(t, path); video != 75 || (c.audio != nil && audioFrames < 140) {
				t.Errorf("clip decodes %d video and %d audio frames", video, audioFrames)
			}
			if name, rate := probeVideo(t, path); name != c.ffName || rate != "25/1" {
				t.Errorf("clip video: %s at %s fps", name, rate)
			}

			// GetMedia: Matroska chunks our reader parses, each starting
			// with a keyframe; one on its own decodes.
			gm, err := mediaClient(t, url, c.stream).GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(c.stream),
				StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
			if err != nil {
				t.Fatal(err)
			}
			r := newEBMLReader(gm.Payload)
			for i := range frags {
				ch, err := r.next()
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if ch.codecs[1] != c.mkvCodec || (c.mkvCodec == "V_AV1" && (len(ch.private[1]) < 5 || ch.private[1][0] != 0x81)) {
					t.Errorf("chunk %d video track %s, private %x", i, ch.codecs[1], ch.private[1])
				}
				if c.audio != nil && (ch.codecs[2] != "A_OPUS" || !bytes.HasPrefix(ch.private[2], []byte("OpusHead"))) {
					t.Errorf("chunk %d audio track %s", i, ch.codecs[2])
				}
				n := 0
				for _, bl := range ch.blocks {
					if bl.track == 1 {
						if n == 0 && !bl.keyframe {
							t.Errorf("chunk %d does not start with a keyframe", i)
						}
						n++
					}
				}
				if n != 25 {
					t.Errorf("chunk %d has %d video frames", i, n)
				}
			}
			gm.Payload.Close()
			one, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(c.stream),
				Fragments: []string{*frags[1].FragmentNumber}})
			if err != nil {
				t.Fatal(err)
			}
			b, err = io.ReadAll(one.Payload)
			one.Payload.Close()
			if err != nil {
				t.Fatal(err)
			}
			path = filepath.Join(t.TempDir(), "chunk.mkv")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if video, _ := probe(t, path); video != 25 {
				t.Errorf("one chunk decodes %d video frames", video)
			}
		})
	}
}

// probeVideo returns the codec name and frame rate ffprobe reads for the
// first video stream of input.
func probeVideo(t testing.TB, input string) (codec, rate string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,r_frame_rate",
		"-of", "json", input).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", input, err, out)
	}
	var res struct {
		Streams []struct {
			Codec string `json:"codec_name"`
			Rate  string `json:"r_frame_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v %s", input, err, out)
	}
	return res.Streams[0].Codec, res.Streams[0].Rate
}
