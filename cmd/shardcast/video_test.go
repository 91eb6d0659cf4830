package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/shardcast/shardcast/fragments"
)

// checkFragments verifies what a publisher of seconds left in a stream:
// listed through the SDK, with contiguous numbers, ordered timestamps,
// durations adding up to the published time within one GOP, and every
// fragment starting with a keyframe (checked with the box parser).
func checkFragments(t *testing.T, srv *testServer, stream string, seconds int, tracks int) []*fragments.Fragment {
	t.Helper()
	listed := listAll(t, archivedClient(t, srv.URL(), stream), stream, amtypes.FragmentSelectorTypeServerTimestamp)
	if len(listed) < seconds-1 {
		t.Fatalf("%d fragments listed for %d s with a 1 s GOP", len(listed), seconds)
	}
	var total time.Duration
	for i, f := range listed {
		total += time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond
		if i == 0 {
			continue
		}
		prev := listed[i-1]
		if len(*f.FragmentNumber) != 47 || *f.FragmentNumber <= *prev.FragmentNumber || seqOf(t, *f.FragmentNumber) != seqOf(t, *prev.FragmentNumber)+1 {
			t.Fatalf("fragment numbers not contiguous: %s after %s", *f.FragmentNumber, *prev.FragmentNumber)
		}
		if f.ProducerTimestamp.Before(*prev.ProducerTimestamp) || f.ServerTimestamp.Before(*prev.ServerTimestamp) {
			var dump strings.Builder
			for j, g := range listed {
				fmt.Fprintf(&dump, "%d: producer %s server %s %d ms\n", j, g.ProducerTimestamp.Format("15:04:05.000"), g.ServerTimestamp.Format("15:04:05.000"), g.FragmentLengthInMilliseconds)
			}
			t.Fatalf("fragment %d timestamps go backwards:\n%s", i, dump.String())
		}
		if f.FragmentSizeInBytes <= 0 {
			t.Fatalf("fragment %d has size %d", i, f.FragmentSizeInBytes)
		}
	}
	want := time.Duration(seconds) * time.Second
	if total < want-time.Second || total > want+time.Second {
		t.Fatalf("fragments last %v in all, published %v (GOP 1 s)", total, want)
	}
	// The producer-time selector finds the same fragments.
	if byProducer := listAll(t, archivedClient(t, srv.URL(), stream), stream, amtypes.FragmentSelectorTypeProducerTimestamp); len(byProducer) != len(listed) {
		t.Fatalf("%d fragments by producer time, %d by server time", len(byProducer), len(listed))
	}
	st, err := srv.video.Lookup(fragments.StreamRef{Name: stream})
	if err != nil {
		t.Fatal(err)
	}
	frags, _, err := st.Read(context.Background(), seqOf(t, *listed[0].FragmentNumber), len(listed))
	if err != nil || len(frags) != len(listed) {
		t.Fatalf("read %d fragments: %v", len(frags), err)
	}
	for i, f := range frags {
		ft := parseFragment(t, f.Data)
		// A live source's audio may start after its whole first GOP (a
		// busy machine delays the camera's audio encoder): the first
		// fragment may hold the video alone; every later one holds all.
		if i == 0 && len(ft) >= 1 && len(ft) < tracks {
			t.Logf("the first fragment has %d of %d tracks", len(ft), tracks)
		} else if len(ft) != tracks {
			t.Fatalf("fragment %d has %d tracks, want %d", i, len(ft), tracks)
		}
		if !ft[0].firstIsSync {
			t.Fatalf("fragment %d does not start with a keyframe", i)
		}
	}
	return frags
}

func seqOf(t *testing.T, n string) uint64 {
	t.Helper()
	var seq uint64
	if _, err := fmt.Sscan(strings.TrimLeft(n[13:], "0"), &seq); err != nil {
		t.Fatalf("fragment number %s: %v", n, err)
	}
	return seq
}

func TestVideoFFmpegCameras(t *testing.T) {
	for _, c := range []struct{ name, transport, codec string }{{"tcp", "tcp", "h264"}, {"udp", "udp", "h264"}, {"h265", "tcp", "h265"}} {
		t.Run(c.name, func(t *testing.T) {
			srv := videoServer(t, c.transport == "udp", nil)
			runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/cam-"+c.name, 6, c.transport, c.codec))
			waitIdle(t, srv)
			frags := checkFragments(t, srv, "cam-"+c.name, 6, 2)
			// Over UDP, ffmpeg's TEARDOWN (on TCP) can overtake its last
			// datagrams: up to the final GOP may be cut.
			slack := 2
			if c.transport == "udp" {
				slack = 25
			}
			rebuildAndProbe(t, frags, map[string]string{"h264": "h264", "h265": "hevc"}[c.codec], 6*25, slack)
		})
	}
}

func TestVideoGStreamerCamera(t *testing.T) {
	srv := videoServer(t, false, nil)
	runGstCamera(t, gstCamera(t, "rtsp://"+srv.rtsp.Addr()+"/gst", 125), 125)
	waitIdle(t, srv)
	frags := checkFragments(t, srv, "gst", 5, 2)
	rebuildAndProbe(t, frags, "h264", 125, 2)
}

// rebuildAndProbe writes the init segment and the fragments into one file
// and has ffprobe and ffmpeg read it back.
func rebuildAndProbe(t *testing.T, frags []*fragments.Fragment, videoCodec string, frames, slack int) {
	t.Helper()
	need(t, "ffprobe")
	var file []byte
	file = append(file, frags[0].Init...)
	for _, f := range frags {
		file = append(file, f.Data...)
	}
	path := filepath.Join(t.TempDir(), "rebuilt.mp4")
	os.WriteFile(path, file, 0o644)
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames",
		"-of", "json", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	var probe struct {
		Streams []struct {
			CodecType    string `json:"codec_type"`
			CodecName    string `json:"codec_name"`
			NbReadFrames string `json:"nb_read_frames"`
		}
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	var got []string
	for _, s := range probe.Streams {
		got = append(got, s.CodecType+"/"+s.CodecName)
		if s.CodecType == "video" {
			var n int
			fmt.Sscan(s.NbReadFrames, &n)
			if n < frames-slack || n > frames+2 {
				t.Fatalf("ffprobe read %d video frames, published %d", n, frames)
			}
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "audio/aac,video/"+videoCodec {
		t.Fatalf("ffprobe streams %v", got)
	}
	// A full decode reports nothing: no decode or timestamp errors.
	dec, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(dec))) > 0 {
		t.Fatalf("decoding the rebuilt file: %v\n%s", err, dec)
	}
}
