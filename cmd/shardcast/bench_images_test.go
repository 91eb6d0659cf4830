package main

import (
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// BenchmarkGetImages publishes 12 s of a 1280x720 25 fps camera (1 s GOP)
// into the shardcast binary, then asks, through the Go SDK, for pages of
// 10 JPEG thumbnails 320 px wide, one a second (each in its own fragment):
//   - cold: every page asks for frames not decoded before (the sample
//     times move by a frame each page, and after 25 pages the width by a
//     pixel), so each page runs ffmpeg on 10 fragments;
//   - warm: the same page again, from the cache.
//
// It reports images/s for one client asking page after page.
func BenchmarkGetImages(b *testing.B) {
	need(b, "ffmpeg")
	rtspAddr := freeTCP(b)
	srv := startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--rtsp", rtspAddr)
	const stream = "thumbs"
	cam := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
		"-t", "12", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-b:v", "2M", "-pix_fmt", "yuv420p", "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://"+rtspAddr+"/"+stream)
	runCamera(b, cam)
	c := archivedClient(b, srv.url, stream)
	var frags []amtypes.Fragment
	for deadline := time.Now().Add(30 * time.Second); len(frags) < 11; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d fragments stored, want 11 or more", len(frags))
		}
		frags = listAll(b, c, stream, amtypes.FragmentSelectorTypeProducerTimestamp)
	}
	first := frags[0].ProducerTimestamp.Truncate(time.Millisecond).Add(time.Millisecond)
	for _, f := range frags {
		if f.ProducerTimestamp.Before(first) {
			first = f.ProducerTimestamp.Truncate(time.Millisecond).Add(time.Millisecond)
		}
	}
	page := func(b *testing.B, offset time.Duration, width int32) {
		start := first.Add(offset)
		out, err := c.GetImages(ctx, &kinesisvideoarchivedmedia.GetImagesInput{StreamName: aws.String(stream),
			ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp, StartTimestamp: aws.Time(start),
			EndTimestamp: aws.Time(start.Add(10 * time.Second)), SamplingInterval: aws.Int32(1000),
			Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(width), MaxResults: aws.Int64(10)})
		if err != nil {
			b.Fatalf("GetImages: %v", err)
		}
		if len(out.Images) != 10 {
			b.Fatalf("%d images, want 10", len(out.Images))
		}
		for i, im := range out.Images {
			if im.ImageContent == nil {
				b.Fatalf("image %d: %q", i, im.Error)
			}
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "images/s")
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
	}
	b.Run("cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			page(b, time.Duration(i%25)*40*time.Millisecond, int32(320+i/25))
		}
		report(b)
	})
	b.Run("warm", func(b *testing.B) {
		page(b, 0, 320)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			page(b, 0, 320)
		}
		report(b)
	})
}
