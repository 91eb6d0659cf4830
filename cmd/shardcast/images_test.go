package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// span is where one stored fragment lies on a timeline.
type span struct{ start, end time.Time }

// spansOf returns the fragments' spans by producer or server time.
func spansOf(frags []amtypes.Fragment, producer bool) []span {
	var out []span
	for _, f := range frags {
		s := *f.ServerTimestamp
		if producer {
			s = *f.ProducerTimestamp
		}
		out = append(out, span{s, s.Add(time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond)})
	}
	return out
}

// where says whether t lies inside a fragment, and its distance to the
// nearest fragment otherwise.
func where(spans []span, t time.Time) (inside bool, dist time.Duration) {
	dist = time.Duration(1<<63 - 1)
	for _, s := range spans {
		switch {
		case !t.Before(s.start) && t.Before(s.end):
			return true, 0
		case t.Before(s.start):
			dist = min(dist, s.start.Sub(t))
		default:
			dist = min(dist, t.Sub(s.end))
		}
	}
	return false, dist
}

// checkImage decodes an image as the format says and checks its size.
func checkImage(t *testing.T, what string, b []byte, format string, w, h int) {
	t.Helper()
	var pic image.Image
	var err error
	if format == "PNG" {
		pic, err = png.Decode(bytes.NewReader(b))
	} else {
		pic, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		t.Fatalf("%s: %s does not decode: %v", what, format, err)
	}
	if pic.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("%s: %v, want %dx%d", what, pic.Bounds(), w, h)
	}
}

// TestGetImages publishes a camera (320x240, 25 fps, 1 s GOP, B-frames)
// twice with a gap between, then asks for thumbnails across it through the
// Go SDK's paginator and the AWS CLI: every sample inside the published
// media is a decodable image of the size asked, and NO_MEDIA comes only
// where nothing was published.
func TestGetImages(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	need(t, "ffmpeg")
	srv := videoServer(t, false, nil)
	url := "rtsp://" + srv.rtsp.Addr() + "/thumbs"
	runCamera(t, ffmpegCamera(t, url, 4, "tcp", "h264"))
	waitIdle(t, srv)
	time.Sleep(5 * time.Second) // nothing is published meanwhile
	runCamera(t, ffmpegCamera(t, url, 4, "tcp", "h264"))
	waitIdle(t, srv)

	c := archivedClient(t, srv.URL(), "thumbs")
	frags := listAll(t, c, "thumbs", amtypes.FragmentSelectorTypeProducerTimestamp)
	producer := spansOf(frags, true)
	first, last := producer[0].start, producer[0].end
	for _, s := range producer {
		first, last = minTime(first, s.start), maxTime(last, s.end)
	}
	start, end := first.Add(-1500*time.Millisecond).Truncate(time.Millisecond), last.Add(1500*time.Millisecond).Truncate(time.Millisecond)

	// The SDK's paginator: JPEG, width only (the height keeps 4:3), two
	// samples a second, seven images a page.
	c = kinesisvideoarchivedmedia.New(c.Options(), func(o *kinesisvideoarchivedmedia.Options) {
		o.BaseEndpoint = dataEndpoint(t, srv.URL(), "thumbs", kvtypes.APINameGetImages)
	})
	p := kinesisvideoarchivedmedia.NewGetImagesPaginator(c, &kinesisvideoarchivedmedia.GetImagesInput{
		StreamName: aws.String("thumbs"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end), SamplingInterval: aws.Int32(500),
		Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(160), MaxResults: aws.Int64(7)})
	var images []amtypes.Image
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetImages: %v", err)
		}
		if len(page.Images) > 7 {
			t.Fatalf("page of %d images, MaxResults 7", len(page.Images))
		}
		images = append(images, page.Images...)
		pages++
	}
	want := int((end.Sub(start) + 499*time.Millisecond) / (500 * time.Millisecond))
	if len(images) != want || pages < 2 {
		t.Fatalf("%d images in %d pages, want %d (%v every 500 ms)", len(images), pages, want, end.Sub(start))
	}
	media, gap := 0, 0
	for i, im := range images {
		at := start.Add(time.Duration(i) * 500 * time.Millisecond)
		if im.TimeStamp == nil || !im.TimeStamp.Equal(at) {
			t.Fatalf("image %d at %v, want %v", i, im.TimeStamp, at)
		}
		inside, dist := where(producer, at)
		what := fmt.Sprintf("image %d at %v", i, at.Sub(first))
		switch {
		case inside:
			if im.ImageContent == nil || im.Error != "" {
				t.Fatalf("%s: %q inside the published media", what, im.Error)
			}
		case dist >= time.Second:
			if im.Error != amtypes.ImageErrorNoMedia || im.ImageContent != nil {
				t.Fatalf("%s: %q where nothing was published", what, im.Error)
			}
			if at.After(first) && at.Before(last) {
				gap++
			}
		}
		if im.ImageContent != nil {
			b, err := base64.StdEncoding.DecodeString(*im.ImageContent)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			checkImage(t, what, b, "JPEG", 160, 120)
			media++
		}
	}
	if media < 12 || gap < 2 {
		t.Fatalf("%d images with media, %d NO_MEDIA in the gap", media, gap)
	}

	// Server timestamps, PNG stretched to both sizes given.
	server := spansOf(listAll(t, c, "thumbs", amtypes.FragmentSelectorTypeServerTimestamp), false)
	sStart := server[0].start.Truncate(time.Millisecond)
	out, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("thumbs"),
		ImageSelectorType: amtypes.ImageSelectorTypeServerTimestamp, StartTimestamp: aws.Time(sStart), EndTimestamp: aws.Time(sStart.Add(3 * time.Second)),
		SamplingInterval: aws.Int32(1000), Format: amtypes.FormatPng, WidthPixels: aws.Int32(100), HeightPixels: aws.Int32(50)})
	if err != nil || len(out.Images) != 3 || out.NextToken != nil {
		t.Fatalf("server timestamps: %v %+v", err, out)
	}
	for i, im := range out.Images {
		if inside, _ := where(server, *im.TimeStamp); inside {
			if im.ImageContent == nil {
				t.Fatalf("server image %d: %q", i, im.Error)
			}
			b, _ := base64.StdEncoding.DecodeString(*im.ImageContent)
			checkImage(t, fmt.Sprintf("server image %d", i), b, "PNG", 100, 50)
		}
	}

	// JPEG quality: the same frame at 10 is smaller than at 95.
	sizeAt := func(q string) int {
		out, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("thumbs"),
			ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp, StartTimestamp: aws.Time(first.Add(time.Second)),
			EndTimestamp: aws.Time(first.Add(time.Second)), SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg,
			FormatConfig: map[string]string{"JPEGQuality": q}})
		if err != nil || len(out.Images) != 1 || out.Images[0].ImageContent == nil {
			t.Fatalf("JPEGQuality %s: %v %+v", q, err, out)
		}
		b, _ := base64.StdEncoding.DecodeString(*out.Images[0].ImageContent)
		checkImage(t, "JPEGQuality "+q, b, "JPEG", 320, 240)
		return len(b)
	}
	if lo, hi := sizeAt("10"), sizeAt("95"); lo >= hi {
		t.Errorf("JPEG of quality 10 has %d bytes, of 95 %d", lo, hi)
	}

	// The AWS CLI (whose model wants SamplingInterval >= 3000) pages
	// through two images at a time (--page-size is MaxResults): PNG, height only (the width keeps 4:3).
	var cli struct {
		Images []struct {
			TimeStamp    any
			Error        string
			ImageContent string
		}
	}
	newCLI(t, *dataEndpoint(t, srv.URL(), "thumbs", kvtypes.APINameGetImages)).ok(&cli, "kinesis-video-archived-media", "get-images",
		"--stream-name", "thumbs", "--image-selector-type", "PRODUCER_TIMESTAMP",
		"--start-timestamp", start.UTC().Format("2006-01-02T15:04:05.000Z"), "--end-timestamp", end.UTC().Format("2006-01-02T15:04:05.000Z"),
		"--sampling-interval", "3000", "--format", "PNG", "--height-pixels", "60", "--page-size", "2")
	if want := int((end.Sub(start) + 2999*time.Millisecond) / (3 * time.Second)); len(cli.Images) != want {
		t.Fatalf("CLI: %d images, want %d", len(cli.Images), want)
	}
	cliMedia := 0
	for i, im := range cli.Images {
		at := start.Add(time.Duration(i) * 3 * time.Second)
		inside, dist := where(producer, at)
		what := fmt.Sprintf("CLI image %d at %v", i, at.Sub(first))
		switch {
		case inside && im.ImageContent == "":
			t.Fatalf("%s: %q inside the published media", what, im.Error)
		case !inside && dist >= time.Second && im.Error != "NO_MEDIA":
			t.Fatalf("%s: %q where nothing was published", what, im.Error)
		}
		if im.ImageContent != "" {
			b, err := base64.StdEncoding.DecodeString(im.ImageContent)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			checkImage(t, what, b, "PNG", 80, 60)
			cliMedia++
		}
	}
	if cliMedia < 2 {
		t.Fatalf("CLI: %d images with media", cliMedia)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestGetImagesWithoutFFmpeg: a server whose ffmpeg is missing answers
// GetImages with UnsupportedOperationException saying what to install,
// and serves everything else.
func TestGetImagesWithoutFFmpeg(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.FFmpeg = "/nonexistent/ffmpeg" })
	if _, err := kvsClient(srv.URL()).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("noffmpeg"),
		DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	c := archivedClient(t, srv.URL(), "noffmpeg")
	now := time.Now()
	_, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("noffmpeg"),
		ImageSelectorType: amtypes.ImageSelectorTypeServerTimestamp, StartTimestamp: aws.Time(now.Add(-time.Minute)), EndTimestamp: aws.Time(now),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg})
	if err == nil {
		t.Fatal("GetImages without ffmpeg succeeded")
	}
	code, msg := apiErr(t, err)
	if code != "UnsupportedOperationException" || !strings.Contains(msg, "install ffmpeg") || !strings.Contains(msg, "--ffmpeg") {
		t.Fatalf("GetImages without ffmpeg: %s %q", code, msg)
	}
	// Bad input is still InvalidArgumentException.
	_, err = c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("noffmpeg"),
		ImageSelectorType: amtypes.ImageSelectorTypeServerTimestamp, StartTimestamp: aws.Time(now.Add(-time.Hour)), EndTimestamp: aws.Time(now),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg})
	wantErr(t, err, "InvalidArgumentException", "")
	if _, err := kvsClient(srv.URL()).DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("noffmpeg")}); err != nil {
		t.Fatalf("DescribeStream: %v", err)
	}
}

// TestGetImagesH265: an H.265 camera's frames decode too.
func TestGetImagesH265(t *testing.T) {
	need(t, "ffmpeg")
	srv := videoServer(t, false, nil)
	runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/hevc", 3, "tcp", "h265"))
	waitIdle(t, srv)
	c := archivedClient(t, srv.URL(), "hevc")
	spans := spansOf(listAll(t, c, "hevc", amtypes.FragmentSelectorTypeProducerTimestamp), true)
	start := spans[0].start.Truncate(time.Millisecond).Add(time.Millisecond)
	out, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("hevc"),
		ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp, StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(2 * time.Second)),
		SamplingInterval: aws.Int32(700), Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(64)})
	if err != nil || len(out.Images) != 3 {
		t.Fatalf("GetImages: %v %+v", err, out)
	}
	for i, im := range out.Images {
		if inside, _ := where(spans, *im.TimeStamp); !inside {
			continue
		}
		if im.ImageContent == nil {
			t.Fatalf("image %d: %q", i, im.Error)
		}
		b, _ := base64.StdEncoding.DecodeString(*im.ImageContent)
		checkImage(t, fmt.Sprintf("image %d", i), b, "JPEG", 64, 48)
	}
}

// TestGetImagesNearestFrame publishes a camera whose frames carry their own
// number as 32 bars (H.264 with B-frames, 1 s GOP) and checks that each
// image is the frame presented nearest its sample time, wherever in its
// fragment the sample falls, and that fragments start at keyframes. The
// media is encoded first into a file (on a loaded machine a live encoder
// drops or repeats frames, and the numbers would not be frame indexes),
// then published from it in real time.
func TestGetImagesNearestFrame(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	need(t, "ffmpeg")
	srv := videoServer(t, false, nil)
	const bars = "[0:v]split[m][b];[b]scale=32:1,format=gray,geq=lum='255*mod(floor(N/pow(2\\,X))\\,2)'," +
		"scale=640:32:flags=neighbor,format=yuv420p[bar];[m][bar]overlay=0:0[v]"
	file := filepath.Join(t.TempDir(), "numbered.mp4")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
		"-t", "4", "-filter_complex", bars, "-map", "[v]", "-c:v", "libx264", "-profile:v", "main", "-bf", "2", "-preset", "veryfast",
		"-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "1M", "-pix_fmt", "yuv420p", file).CombinedOutput(); err != nil {
		t.Fatalf("encode: %v\n%s", err, out)
	}
	runCamera(t, exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", file, "-c", "copy",
		"-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://"+srv.rtsp.Addr()+"/numbered"))
	waitIdle(t, srv)
	c := archivedClient(t, srv.URL(), "numbered")
	frags := listAll(t, c, "numbered", amtypes.FragmentSelectorTypeProducerTimestamp)
	if len(frags) < 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	frameAt := func(at time.Time) int {
		t.Helper()
		out, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String("numbered"),
			ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp, StartTimestamp: aws.Time(at), EndTimestamp: aws.Time(at),
			SamplingInterval: aws.Int32(200), Format: amtypes.FormatPng})
		if err != nil || len(out.Images) != 1 || out.Images[0].ImageContent == nil {
			t.Fatalf("image at %v: %v %+v", at, err, out)
		}
		b, _ := base64.StdEncoding.DecodeString(*out.Images[0].ImageContent)
		pic, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 0; i < 32; i++ {
			if r, _, _, _ := pic.At(i*20+10, 16).RGBA(); r>>8 > 127 {
				n |= 1 << i
			}
		}
		return n
	}
	// Samples at odd places in the first three fragments: the frame at the
	// fragment's start is a keyframe (a multiple of 25), the others are
	// the frames 40 ms apart nearest their offsets.
	for k, f := range frags[:3] {
		fs := f.ProducerTimestamp.Truncate(time.Millisecond)
		first := frameAt(fs)
		if first%25 != 0 {
			t.Errorf("fragment %d starts at frame %d, not at a keyframe", k, first)
		}
		for _, off := range []time.Duration{15, 21, 339, 500, 961, 979} {
			if off >= time.Duration(f.FragmentLengthInMilliseconds) {
				continue
			}
			// The producer timestamp has millisecond precision: a sample
			// halfway between two frames may go either way.
			want := first + int((off+20)/40)
			if got := frameAt(fs.Add(off * time.Millisecond)); got != want && !(off%40 >= 19 && off%40 <= 21 && got == want-1) {
				t.Errorf("fragment %d (from frame %d) +%d ms: frame %d, want %d", k, first, int(off), got, want)
			}
		}
	}
}
