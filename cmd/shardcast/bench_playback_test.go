package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// barcodeCamera publishes a 640x360 25 fps test pattern with a 1 s GOP and
// AAC audio whose top 32 rows carry the wall clock at capture: 32 bars, bar
// i white when bit i of (milliseconds since the epoch mod 2^32) is set.
func barcodeCamera(url string, seconds int) *exec.Cmd {
	const bars = "[0:v]split[m][b];[b]scale=32:1,format=gray," +
		"geq=lum='255*mod(floor(floor(time(0)*1000)/pow(2\\,X))\\,2)'," +
		"scale=640:32:flags=neighbor,format=yuv420p[bar];[m][bar]overlay=0:0[v]"
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
		"-t", strconv.Itoa(seconds), "-filter_complex", bars, "-map", "[v]", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-b:v", "1M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "rtsp", "-rtsp_transport", "tcp", url)
}

// readBarcodes decodes frames of 32 gray bytes (the bar band scaled to
// 32x1) and records, per frame, now minus the time it carries.
func readBarcodes(r io.Reader, skip time.Duration, out *[]float64, mu *sync.Mutex) {
	buf := make([]byte, 32)
	start := time.Now()
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		now := uint32(time.Now().UnixMilli())
		var v uint32
		for i, px := range buf {
			if px > 127 {
				v |= 1 << i
			}
		}
		d := now - v
		if d > 60000 || time.Since(start) < skip {
			continue // undecodable, or still catching up with the live edge
		}
		mu.Lock()
		*out = append(*out, float64(d))
		mu.Unlock()
	}
}

// llhlsClient plays a plain live URL the way a low-latency HLS player
// does: from the newest independent part, it asks for each next part
// (the server holds the request until the part exists) and feeds init and
// parts to ffmpeg, which decodes them to the bar band.
func llhlsClient(ctx context.Context, base string, sink io.Writer) error {
	get := func(u string) ([]byte, int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return b, resp.StatusCode, err
	}
	text, code, err := get(base + "/index.m3u8")
	if err != nil || code != 200 {
		return fmt.Errorf("playlist: %d %v", code, err)
	}
	pl, err := playlist.Unmarshal(text)
	if err != nil {
		return err
	}
	m := pl.(*playlist.Media)
	if m.Map == nil {
		// The map follows the discontinuity; take it from the text.
		for _, line := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(line, "#EXT-X-MAP:URI=\"") {
				m.Map = &playlist.MediaMap{URI: strings.TrimSuffix(strings.TrimPrefix(line, "#EXT-X-MAP:URI=\""), "\"")}
			}
		}
	}
	if m.Map == nil {
		return fmt.Errorf("no EXT-X-MAP in %s", text)
	}
	init, code, err := get(base + "/" + m.Map.URI)
	if err != nil || code != 200 {
		return fmt.Errorf("init: %d %v", code, err)
	}
	if _, err := sink.Write(init); err != nil {
		return err
	}
	msn, part := m.MediaSequence+len(m.Segments), 0 // the segment being built, from its first (independent) part
	for ctx.Err() == nil {
		b, code, err := get(fmt.Sprintf("%s/part.mp4?msn=%d&part=%d", base, msn, part))
		switch {
		case err != nil:
			return err
		case code == 200:
			if _, err := sink.Write(b); err != nil {
				return err
			}
			part++
		case code == 404 && part > 0:
			msn, part = msn+1, 0 // the segment is complete
		default:
			return nil // the publisher left
		}
	}
	return nil
}

// BenchmarkLLHLSLatency publishes a barcode camera (1 s GOP, 200 ms parts)
// into the shardcast binary and measures, for BENCH_SECONDS (default 20):
//   - listing delay: a LIVE session (SERVER_TIMESTAMP, with
//     PROGRAM-DATE-TIME) reloads its playlist blocking on the next segment;
//     delay = when the playlist lists it - the fragment's server timestamp;
//   - glass-to-glass: a low-latency HLS client feeds parts to ffmpeg, which
//     decodes the burnt-in capture clock of every frame.
func BenchmarkLLHLSLatency(b *testing.B) {
	seconds := 20
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	need(b, "ffmpeg")
	for i := 0; i < b.N; i++ {
		rtspAddr := freeTCP(b)
		srv := startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--rtsp", rtspAddr)
		const stream = "latency"
		cam := barcodeCamera("rtsp://"+rtspAddr+"/"+stream, seconds+8)
		if out, err := cam.StderrPipe(); err == nil {
			go io.Copy(io.Discard, out)
		}
		if err := cam.Start(); err != nil {
			b.Fatal(err)
		}
		base := srv.url + "/hls/" + stream
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, code, _ := httpGet(base + "/index.m3u8"); code == 200 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("no live playlist")
			}
			time.Sleep(100 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
		var mu sync.Mutex
		var g2g, listing []float64
		var wg sync.WaitGroup

		// Glass to glass.
		dec := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-flags", "low_delay",
			"-probesize", "32", "-analyzeduration", "0", "-f", "mp4", "-i", "pipe:0", "-an",
			"-vf", "crop=640:16:0:8,scale=32:1:flags=area,format=gray", "-f", "rawvideo", "pipe:1")
		stdin, _ := dec.StdinPipe()
		stdout, _ := dec.StdoutPipe()
		if err := dec.Start(); err != nil {
			b.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			readBarcodes(stdout, 3*time.Second, &g2g, &mu)
		}()
		go func() {
			defer wg.Done()
			if err := llhlsClient(ctx, base, stdin); err != nil && ctx.Err() == nil {
				b.Errorf("LL-HLS client: %v", err)
			}
			stdin.Close()
		}()

		// Listing delay.
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := archivedClient(b, srv.url, stream)
			out, err := c.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
				PlaybackMode: amtypes.HLSPlaybackModeLive, DisplayFragmentTimestamp: amtypes.HLSDisplayFragmentTimestampAlways,
				HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp}})
			if err != nil {
				b.Errorf("session: %v", err)
				return
			}
			masterURL := *out.HLSStreamingSessionURL
			master, _, _ := httpGet(masterURL)
			lines := strings.Split(strings.TrimSpace(string(master)), "\n")
			mediaURL := masterURL[:strings.LastIndexByte(masterURL, '/')+1] + lines[len(lines)-1]
			next := -1
			for ctx.Err() == nil {
				u := mediaURL
				if next >= 0 {
					u += "&_HLS_msn=" + strconv.Itoa(next)
				}
				text, code, err := httpGet(u)
				got := time.Now()
				if err != nil || code != 200 {
					return
				}
				pl, err := playlist.Unmarshal(text)
				if err != nil {
					b.Errorf("live playlist: %v", err)
					return
				}
				m := pl.(*playlist.Media)
				if len(m.Segments) == 0 {
					continue
				}
				lastSeq := m.MediaSequence + len(m.Segments) - 1
				if next >= 0 && lastSeq >= next {
					if seg := m.Segments[next-m.MediaSequence]; seg.DateTime != nil && next-m.MediaSequence >= 0 {
						mu.Lock()
						listing = append(listing, float64(got.Sub(*seg.DateTime).Microseconds())/1000)
						mu.Unlock()
					}
				}
				next = lastSeq + 1
			}
		}()
		<-ctx.Done()
		cancel()
		dec.Process.Kill()
		wg.Wait()
		dec.Wait()
		cam.Process.Kill()
		cam.Wait()
		if len(g2g) == 0 || len(listing) == 0 {
			b.Fatalf("measured %d frames and %d listings", len(g2g), len(listing))
		}
		sort.Float64s(g2g)
		sort.Float64s(listing)
		b.ReportMetric(g2g[len(g2g)/2], "g2g_p50_ms")
		b.ReportMetric(g2g[len(g2g)*95/100], "g2g_p95_ms")
		b.ReportMetric(float64(len(g2g)), "frames")
		b.ReportMetric(listing[len(listing)/2], "listing_p50_ms")
		b.ReportMetric(listing[len(listing)-1], "listing_max_ms")
		b.ReportMetric(float64(len(listing)), "listings")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkRTSPReserveLatency publishes a barcode camera (RTSP, 1 s GOP,
// AAC audio) into the shardcast binary and measures, for BENCH_SECONDS
// (default 20), glass-to-glass through the live RTSP re-serve: two ffmpeg
// readers at once read rtsp://host/<stream> over TCP with low-latency
// options and decode the burnt-in capture clock of every frame. One sets
// up the video only (g2g_*, as a video consumer such as an ML reader
// does), the other audio and video as ffmpeg does by default (av_g2g_*).
// The ffmpeg 5.1 command line shows video about a frame later when its
// input also carries audio; libavformat read directly (OpenCV) does not.
func BenchmarkRTSPReserveLatency(b *testing.B) {
	seconds := 20
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	need(b, "ffmpeg")
	for i := 0; i < b.N; i++ {
		rtspAddr := freeTCP(b)
		startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--rtsp", rtspAddr)
		const stream = "latency"
		url := "rtsp://" + rtspAddr + "/" + stream
		cam := barcodeCamera(url, seconds+8)
		if out, err := cam.StderrPipe(); err == nil {
			go io.Copy(io.Discard, out)
		}
		if err := cam.Start(); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !rtspLive(rtspAddr, stream) {
			if time.Now().After(deadline) {
				b.Fatal("the stream did not go live")
			}
			time.Sleep(100 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
		var mu sync.Mutex
		var wg sync.WaitGroup
		var g2g, av []float64
		var errs [2]bytes.Buffer
		for k, media := range []string{"video", "video+audio"} {
			dec := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-flags", "low_delay",
				"-probesize", "32", "-analyzeduration", "0", "-rtsp_transport", "tcp", "-allowed_media_types", media, "-i", url, "-map", "0:v",
				"-vf", "crop=640:16:0:8,scale=32:1:flags=area,format=gray", "-f", "rawvideo", "pipe:1")
			dec.Stderr = &errs[k]
			stdout, _ := dec.StdoutPipe()
			if err := dec.Start(); err != nil {
				b.Fatal(err)
			}
			out := &g2g
			if k == 1 {
				out = &av
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				readBarcodes(stdout, 3*time.Second, out, &mu)
				dec.Wait()
			}()
		}
		wg.Wait()
		cancel()
		cam.Process.Kill()
		cam.Wait()
		if len(g2g) == 0 || len(av) == 0 {
			b.Fatalf("measured %d and %d frames: %s %s", len(g2g), len(av), errs[0].String(), errs[1].String())
		}
		sort.Float64s(g2g)
		sort.Float64s(av)
		b.ReportMetric(g2g[len(g2g)/2], "g2g_p50_ms")
		b.ReportMetric(g2g[len(g2g)*95/100], "g2g_p95_ms")
		b.ReportMetric(av[len(av)/2], "av_g2g_p50_ms")
		b.ReportMetric(av[len(av)*95/100], "av_g2g_p95_ms")
		b.ReportMetric(float64(len(g2g)), "frames")
		b.ReportMetric(0, "ns/op")
	}
}

// rtspLive reports whether DESCRIBE of stream answers 200.
func rtspLive(addr, stream string) bool {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(conn, "DESCRIBE rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\n\r\n", addr, stream)
	status, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.Contains(status, " 200 ")
}

func httpGet(u string) ([]byte, int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}
