package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"
	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// mediaClient follows GetDataEndpoint(GET_MEDIA), as consumers do.
func mediaClient(t testing.TB, url, stream string) *kinesisvideomedia.Client {
	t.Helper()
	return kinesisvideomedia.New(kinesisvideomedia.Options{Region: "us-east-1", BaseEndpoint: dataEndpoint(t, url, stream, kvtypes.APINameGetMedia), HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:     aws.NopRetryer{}})
}

// probe counts the frames ffprobe decodes per stream type, and fails on any
// decode error ffmpeg reports or a decode timestamp that does not grow.
func probe(t testing.TB, input string) (video, audio int) {
	t.Helper()
	need(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames",
		"-of", "json", input).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", input, err, out)
	}
	var res struct {
		Streams []struct {
			Type   string `json:"codec_type"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	for _, s := range res.Streams {
		n, _ := strconv.Atoi(s.Frames)
		switch s.Type {
		case "video":
			video += n
		case "audio":
			audio += n
		}
	}
	// Decode everything; ffmpeg prints nothing at -v error when all is well.
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", input, "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("ffmpeg decoding %s: %v\n%s", input, err, out)
	}
	// Packet decode times per stream must increase.
	out, err = exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,dts_time", "-of", "csv=p=0", input).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe packets: %v\n%s", err, out)
	}
	last := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 || f[1] == "N/A" {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		if prev, ok := last[f[0]]; ok && v <= prev {
			t.Errorf("%s: stream %s decode time %v after %v", input, f[0], v, prev)
			break
		}
		last[f[0]] = v
	}
	return video, audio
}

// getText fetches a URL that must answer 200.
func getText(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// mediaPlaylistOf loads a master playlist and its one media playlist,
// parsed by gohlslib (an HLS parser independent of the server's writer).
func mediaPlaylistOf(t testing.TB, masterURL string) (*playlist.Media, string) {
	t.Helper()
	pl, err := playlist.Unmarshal([]byte(getText(t, masterURL)))
	if err != nil {
		t.Fatalf("master playlist: %v", err)
	}
	mv, ok := pl.(*playlist.Multivariant)
	if !ok || len(mv.Variants) != 1 || mv.Variants[0].Codecs == nil {
		t.Fatalf("master playlist: %#v", pl)
	}
	base := masterURL[:strings.LastIndexByte(masterURL, '/')+1]
	mediaURL := base + mv.Variants[0].URI
	text := getText(t, mediaURL)
	pm, err := playlist.Unmarshal([]byte(text))
	if err != nil {
		t.Fatalf("media playlist: %v\n%s", err, text)
	}
	return pm.(*playlist.Media), mediaURL
}

func fragmentNumberOf(uri string) string {
	i := strings.Index(uri, "FragmentNumber=")
	if i < 0 {
		return ""
	}
	n := uri[i+len("FragmentNumber="):]
	if j := strings.IndexByte(n, '&'); j >= 0 {
		n = n[:j]
	}
	return n
}

// TestPlayback publishes 6 s from ffmpeg (H.264 with B-frames, AAC, 1 s GOP)
// and reads it back every way: HLS sessions (ON_DEMAND in fMP4 and TS, a
// sub-range, LIVE_REPLAY, LIVE with low-latency parts while publishing),
// GetClip, GetMedia (live tail, EARLIEST, continuation), and
// GetMediaForFragmentList, through the AWS SDK and the AWS CLI, checked with
// ffprobe/ffmpeg, gohlslib's playlist parser and the tests' own MKV reader.
func TestPlayback(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "play"
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	media := mediaClient(t, url, stream)
	archived := archivedClient(t, url, stream)

	// A GetMedia NOW reader is waiting before the camera starts: it must
	// get every fragment as it commits.
	liveChunks := make(chan []*mkvChunkParsed, 1)
	liveErr := make(chan error, 1)
	go func() {
		out, err := media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeNow}})
		if err != nil {
			liveErr <- err
			return
		}
		defer out.Payload.Close()
		var got []*mkvChunkParsed
		r := newEBMLReader(out.Payload)
		for {
			c, err := r.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					liveErr <- err
				}
				break
			}
			got = append(got, c)
		}
		liveChunks <- got
	}()

	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 6, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	// LIVE session while publishing: low-latency playlist with parts, and a
	// blocking reload for the next part.
	deadline := time.Now().Add(20 * time.Second)
	var live *liveSession
	for time.Now().Before(deadline) {
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeLive})
		if err == nil {
			live = &liveSession{url: *out.HLSStreamingSessionURL}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if live == nil {
		t.Fatal("no LIVE session while publishing")
	}
	pm, mediaURL := mediaPlaylistOf(t, live.url)
	if pm.PartInf == nil || pm.ServerControl == nil || !pm.ServerControl.CanBlockReload || pm.PreloadHint == nil {
		t.Fatalf("LIVE playlist is not low-latency: %s", getText(t, mediaURL))
	}
	next := pm.MediaSequence + len(pm.Segments)
	nparts := len(pm.Parts)
	t0 := time.Now()
	blocked := getText(t, mediaURL+"&_HLS_msn="+strconv.Itoa(next)+"&_HLS_part="+strconv.Itoa(nparts+1))
	bp, err := playlist.Unmarshal([]byte(blocked))
	if err != nil {
		t.Fatal(err)
	}
	if b := bp.(*playlist.Media); b.MediaSequence+len(b.Segments) == next && len(b.Parts) <= nparts+1 {
		t.Errorf("blocking reload for part %d of %d returned after %v without it:\n%s", nparts+1, next, time.Since(t0), blocked)
	}
	// The preload-hinted part is served as soon as it exists.
	hint := mediaURL[:strings.LastIndexByte(mediaURL, '/')+1] + pm.PreloadHint.URI
	if part := getText(t, hint); !strings.Contains(part[:min(len(part), 16)], "moof") {
		t.Errorf("preload-hinted part is not a moof: %q", part[:min(len(part), 16)])
	}
	if err := cam.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	waitIdle(t, srv)

	frags := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
	if len(frags) < 5 {
		t.Fatalf("%d fragments from 6 s", len(frags))
	}
	sortFragments(frags)
	first, last := frags[0], frags[len(frags)-1]
	allRange := &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}

	t.Run("on-demand fMP4", func(t *testing.T) {
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, DisplayFragmentTimestamp: amtypes.HLSDisplayFragmentTimestampAlways,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp, TimestampRange: allRange}})
		if err != nil {
			t.Fatal(err)
		}
		pm, _ := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
		if !pm.Endlist || pm.PlaylistType == nil || *pm.PlaylistType != playlist.MediaPlaylistTypeVOD {
			t.Errorf("ON_DEMAND playlist lacks ENDLIST or VOD")
		}
		if len(pm.Segments) != len(frags) {
			t.Fatalf("%d segments for %d fragments", len(pm.Segments), len(frags))
		}
		for i, s := range pm.Segments {
			if n := fragmentNumberOf(s.URI); n != *frags[i].FragmentNumber {
				t.Errorf("segment %d is fragment %s, want %s", i, n, *frags[i].FragmentNumber)
			}
			if s.DateTime == nil || !s.DateTime.Equal(frags[i].ServerTimestamp.Truncate(time.Millisecond)) {
				t.Errorf("segment %d PROGRAM-DATE-TIME %v, want %v", i, s.DateTime, frags[i].ServerTimestamp)
			}
		}
		video, audio := probe(t, *out.HLSStreamingSessionURL)
		if video != 150 || audio < 250 {
			t.Errorf("HLS fMP4 decodes %d video and %d audio frames, want 150 and about 280", video, audio)
		}
	})

	t.Run("on-demand sub-range", func(t *testing.T) {
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
				FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: frags[1].ProducerTimestamp, EndTimestamp: frags[3].ProducerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		pm, _ := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
		if len(pm.Segments) != 3 || fragmentNumberOf(pm.Segments[0].URI) != *frags[1].FragmentNumber || fragmentNumberOf(pm.Segments[2].URI) != *frags[3].FragmentNumber {
			t.Errorf("sub-range lists %d segments, want fragments 2 to 4", len(pm.Segments))
		}
		if pm.DiscontinuitySequence == nil && pm.Segments[1].Discontinuity {
			t.Errorf("PRODUCER_TIMESTAMP defaults to DiscontinuityMode NEVER")
		}
	})

	t.Run("on-demand MPEG-TS", func(t *testing.T) {
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, ContainerFormat: amtypes.ContainerFormatMpegTs,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp, TimestampRange: allRange}})
		if err != nil {
			t.Fatal(err)
		}
		pm, _ := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
		if !pm.Endlist || len(pm.Segments) != len(frags) || !strings.Contains(pm.Segments[0].URI, "getTSFragment.ts") {
			t.Fatalf("TS playlist: %d segments, endlist %v", len(pm.Segments), pm.Endlist)
		}
		video, audio := probe(t, *out.HLSStreamingSessionURL)
		if video != 150 || audio < 250 {
			t.Errorf("HLS TS decodes %d video and %d audio frames", video, audio)
		}
	})

	t.Run("live replay", func(t *testing.T) {
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeLiveReplay, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
				FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
				TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		pm, _ := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
		if pm.Endlist || len(pm.Segments) == 0 || len(pm.Segments) >= len(frags) || fragmentNumberOf(pm.Segments[0].URI) != *first.FragmentNumber {
			t.Errorf("LIVE_REPLAY starts with %d segments (endlist %v); want the first fragments only", len(pm.Segments), pm.Endlist)
		}
		// With an end, the replay ends: ffmpeg follows it as it grows, in
		// real time, and gets every frame.
		out, err = archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeLiveReplay, MaxMediaPlaylistFragmentResults: aws.Int64(3),
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp, TimestampRange: allRange}})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("ffmpeg", "-v", "error", "-live_start_index", "0", "-i", *out.HLSStreamingSessionURL, "-map", "0:v", "-f", "framemd5", "-")
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("ffmpeg reading LIVE_REPLAY: %v", err)
		}
		n := 0
		for _, line := range strings.Split(string(b), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				n++
			}
		}
		if n != 150 {
			t.Errorf("LIVE_REPLAY played %d video frames, want 150", n)
		}
	})

	t.Run("clip", func(t *testing.T) {
		out, err := archived.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String(stream),
			ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeServerTimestamp,
				TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(out.Payload)
		out.Payload.Close()
		if err != nil || aws.ToString(out.ContentType) != "video/mp4" {
			t.Fatalf("GetClip: %v, %q", err, aws.ToString(out.ContentType))
		}
		path := filepath.Join(t.TempDir(), "clip.mp4")
		os.WriteFile(path, b, 0o644)
		if video, audio := probe(t, path); video != 150 || audio < 250 {
			t.Errorf("clip decodes %d video and %d audio frames", video, audio)
		}
		// The AWS CLI writes the same clip to a file.
		cliPath := filepath.Join(t.TempDir(), "cli.mp4")
		newCLI(t, url).ok(nil, "kinesis-video-archived-media", "get-clip", "--stream-name", stream, "--clip-fragment-selector",
			"FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp="+strconv.FormatInt(first.ServerTimestamp.Unix(), 10)+
				",EndTimestamp="+strconv.FormatInt(last.ServerTimestamp.Unix()+1, 10)+"}", cliPath)
		if video, _ := probe(t, cliPath); video != 150 {
			t.Errorf("CLI clip decodes %d video frames", video)
		}
	})

	checkChunks := func(t *testing.T, chunks []*mkvChunkParsed, want []amtypes.Fragment) {
		t.Helper()
		if len(chunks) != len(want) {
			t.Fatalf("%d chunks, want %d", len(chunks), len(want))
		}
		for i, c := range chunks {
			if got := strings.Join(c.order, ","); got != "EBML,Info,Tracks,TagsBefore,Cluster,TagsAfter" {
				t.Fatalf("chunk %d elements %s", i, got)
			}
			names := func(kvs []mkvTagKV) string {
				var n []string
				for _, kv := range kvs {
					n = append(n, kv.name)
				}
				return strings.Join(n, ",")
			}
			if got := names(c.tagsBefore); got != "AWS_KINESISVIDEO_FRAGMENT_NUMBER,AWS_KINESISVIDEO_SERVER_TIMESTAMP,AWS_KINESISVIDEO_PRODUCER_TIMESTAMP" {
				t.Errorf("chunk %d tags before the cluster: %s", i, got)
			}
			if got := names(c.tagsAfter); got != "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW,AWS_KINESISVIDEO_CONTINUATION_TOKEN" {
				t.Errorf("chunk %d tags after the cluster: %s", i, got)
			}
			if n := c.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER"); n != *want[i].FragmentNumber {
				t.Errorf("chunk %d is fragment %s, want %s", i, n, *want[i].FragmentNumber)
			}
			ts, _ := strconv.ParseFloat(c.tag("AWS_KINESISVIDEO_SERVER_TIMESTAMP"), 64)
			if d := ts - float64(want[i].ServerTimestamp.UnixMilli())/1000; d > 0.002 || d < -0.002 {
				t.Errorf("chunk %d server timestamp %v, want %v", i, ts, want[i].ServerTimestamp)
			}
			if c.codecs[1] != "V_MPEG4/ISO/AVC" || c.codecs[2] != "A_AAC" || len(c.private[1]) < 8 || c.private[1][0] != 1 {
				t.Errorf("chunk %d tracks %v", i, c.codecs)
			}
			video := 0
			for j, b := range c.blocks {
				if b.track == 1 {
					if video == 0 && !b.keyframe {
						t.Errorf("chunk %d does not start with a keyframe", i)
					}
					video++
				}
				_ = j
			}
			if video == 0 {
				t.Errorf("chunk %d has no video", i)
			}
		}
	}
	readChunks := func(t *testing.T, body io.ReadCloser, n int) []*mkvChunkParsed {
		t.Helper()
		defer body.Close()
		r := newEBMLReader(body)
		var out []*mkvChunkParsed
		for len(out) < n {
			c, err := r.next()
			if err != nil {
				t.Fatalf("after %d chunks: %v", len(out), err)
			}
			out = append(out, c)
		}
		return out
	}

	t.Run("get media", func(t *testing.T) {
		out, err := media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ContentType) != "video/webm" {
			t.Errorf("content type %q", aws.ToString(out.ContentType))
		}
		chunks := readChunks(t, out.Payload, len(frags))
		checkChunks(t, chunks, frags)
		// Resume after the third chunk with its continuation token.
		token := chunks[2].tag("AWS_KINESISVIDEO_CONTINUATION_TOKEN")
		out, err = media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeContinuationToken, ContinuationToken: aws.String(token)}})
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, readChunks(t, out.Payload, len(frags)-3), frags[3:])
		// One chunk on its own is a Matroska file ffprobe plays.
		one, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(stream),
			Fragments: []string{*frags[1].FragmentNumber}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(one.Payload)
		one.Payload.Close()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "chunk.mkv")
		os.WriteFile(path, b, 0o644)
		if video, audio := probe(t, path); video != 25 || audio < 40 {
			t.Errorf("one chunk decodes %d video and %d audio frames", video, audio)
		}
	})

	t.Run("get media live tail", func(t *testing.T) {
		select {
		case err := <-liveErr:
			t.Fatal(err)
		case chunks := <-liveChunks:
			checkChunks(t, chunks, frags)
		case <-time.After(30 * time.Second):
			t.Fatal("the NOW reader did not end after the publisher left")
		}
	})

	t.Run("get media for fragment list", func(t *testing.T) {
		out, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(stream),
			Fragments: []string{*frags[4].FragmentNumber, *frags[1].FragmentNumber}})
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, readChunks(t, out.Payload, 2), []amtypes.Fragment{frags[4], frags[1]})
	})

	t.Run("errors", func(t *testing.T) {
		// A session token altered in one byte is refused.
		out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode:        amtypes.HLSPlaybackModeOnDemand,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp, TimestampRange: allRange}})
		if err != nil {
			t.Fatal(err)
		}
		u := *out.HLSStreamingSessionURL
		i := strings.Index(u, "SessionToken=") + len("SessionToken=") + 10
		c := byte('A')
		if u[i] == 'A' {
			c = 'B'
		}
		resp, err := http.Get(u[:i] + string(c) + u[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != "NotAuthorizedException" || !strings.Contains(string(body), `"__type":"NotAuthorizedException"`) {
			t.Errorf("altered token: %d %s %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
		}
		// So is one with CR/LF inserted, which base64 decoders skip.
		resp, err = http.Get(u[:i] + "%0D%0A" + u[i:])
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != "NotAuthorizedException" || !strings.Contains(string(body), `"__type":"NotAuthorizedException"`) {
			t.Errorf("token with CR/LF: %d %s %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
		}
		// Bad requests get KVS errors.
		_, err = archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			Expires: aws.Int32(100)})
		wantErr(t, err, "InvalidArgumentException", "")
		_, err = archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
				FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
				TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Unix(1000, 0)), EndTimestamp: aws.Time(time.Unix(2000, 0))}}})
		wantErr(t, err, "ResourceNotFoundException", "")
		_, err = archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("nope")})
		wantErr(t, err, "ResourceNotFoundException", "")
		_, err = media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeFragmentNumber}})
		wantErr(t, err, "InvalidArgumentException", "")
		_, err = archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(stream),
			Fragments: []string{"12345"}})
		wantErr(t, err, "ResourceNotFoundException", "")
		if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("noretention")}); err != nil {
			t.Fatal(err)
		}
		_, err = archived.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String("noretention"),
			ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeServerTimestamp,
				TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
		wantErr(t, err, "NoDataRetentionException", "")
	})
}

type liveSession struct{ url string }

func sortFragments(f []amtypes.Fragment) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && *f[j].FragmentNumber < *f[j-1].FragmentNumber; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}
