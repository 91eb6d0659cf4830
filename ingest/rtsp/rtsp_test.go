package rtsp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
	"github.com/shardcast/shardcast/ingest"
)

type rig struct {
	store   *fragments.Store
	manager *ingest.Manager
	server  *Server
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// freeUDPPair finds an even port p with p and p+1 free.
func freeUDPPair(t *testing.T) (int, int) {
	for i := 0; i < 50; i++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if p%2 != 0 {
			p++
		}
		a, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		b, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return p, p + 1
		}
	}
	t.Fatal("no free UDP port pair")
	return 0, 0
}

func newRig(t *testing.T, opts ...func(*Server)) *rig {
	t.Helper()
	st := fragmentstest.Open(t, fragments.Config{Logger: testLogger(t)})
	m := ingest.NewManager(ingest.Config{Store: st, AutoCreate: true, AutoCreateRetentionHours: 24, Logger: testLogger(t)})
	rtp, rtcp := freeUDPPair(t)
	srv := &Server{Address: "127.0.0.1:0", UDPRTPAddress: fmt.Sprintf("127.0.0.1:%d", rtp), UDPRTCPAddress: fmt.Sprintf("127.0.0.1:%d", rtcp),
		Manager: m, Store: st, Logger: testLogger(t)}
	for _, o := range opts {
		o(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); m.Close() })
	return &rig{store: st, manager: m, server: srv}
}

// ffmpegPublish runs ffmpeg as a camera for seconds of test pattern and tone.
func ffmpegPublish(t *testing.T, url string, seconds int, transport, codec string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required (make test installs it): %v", err)
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", fmt.Sprint(seconds), "-map", "0:v", "-map", "1:a"}
	switch codec {
	case "h265":
		args = append(args, "-c:v", "libx265", "-x265-params", "keyint=25:min-keyint=25:scenecut=0:repeat-headers=1:log-level=error")
	default:
		args = append(args, "-c:v", "libx264", "-profile:v", "main", "-bf", "2", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0")
	}
	args = append(args, "-pix_fmt", "yuv420p", "-b:v", "300k", "-c:a", "aac", "-b:a", "48k", "-ar", "48000", "-ac", "1",
		"-f", "rtsp", "-rtsp_transport", transport, url)
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}

func TestFFmpegPublish(t *testing.T) {
	for _, c := range []struct{ name, transport, codec string }{{"tcp-h264", "tcp", "h264"}, {"udp-h264", "udp", "h264"}, {"tcp-h265", "tcp", "h265"}} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			ffmpegPublish(t, "rtsp://"+r.server.Addr()+"/cam1", 5, c.transport, c.codec)
			st, err := r.store.Lookup(fragments.StreamRef{Name: "cam1"})
			if err != nil {
				t.Fatal(err)
			}
			// The session ends when ffmpeg tears down; wait for the last fragment.
			deadline := time.Now().Add(20 * time.Second)
			for len(r.manager.Sessions()) > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			frags, infos, err := st.Read(context.Background(), 1, 100)
			if err != nil {
				t.Fatal(err)
			}
			var total time.Duration
			for i, f := range frags {
				total += f.Duration
				if infos[i].Seq != uint64(i+1) {
					t.Fatalf("fragment %d has sequence %d", i, infos[i].Seq)
				}
				var parts fmp4.Parts
				if err := parts.Unmarshal(f.Data); err != nil {
					t.Fatal(err)
				}
				if parts[0].Tracks[0].Samples[0].IsNonSyncSample {
					t.Fatalf("fragment %d does not start with a keyframe", i)
				}
				var init fmp4.Init
				if err := init.Unmarshal(bytes.NewReader(f.Init)); err != nil || len(init.Tracks) != 2 {
					t.Fatalf("fragment %d init: %v", i, err)
				}
			}
			t.Logf("%d fragments, %v", len(frags), total)
			if len(frags) < 4 || total < 4*time.Second || total > 6*time.Second {
				t.Fatalf("%d fragments lasting %v from 5 s published", len(frags), total)
			}
		})
	}
}

func TestLATMPayload(t *testing.T) {
	au := bytes.Repeat([]byte{7}, 300)
	el := append([]byte{255, 45}, au...)
	if got, ok := latmPayload(append(el, 0xaa)); !ok || !bytes.Equal(got, au) {
		t.Fatalf("payload of 300 bytes: %v", ok)
	}
	for _, bad := range [][]byte{nil, {255}, {10, 1, 2}, {0}} {
		if _, ok := latmPayload(bad); ok {
			t.Fatalf("accepted %v", bad)
		}
	}
}

func FuzzLATMPayload(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, ok := latmPayload(b); ok && len(p) > len(b) {
			t.Fatal("payload longer than its element")
		}
	})
}

// A publish to a path that is no stream name (.., which KVS's pattern
// allows but no URL can reach) is refused with 400 and creates nothing.
func TestFFmpegPublishToBadName(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required (make test installs it): %v", err)
	}
	r := newRig(t)
	for _, name := range []string{"..", "."} {
		out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
			"-t", "1", "-c:v", "libx264", "-preset", "veryfast", "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://"+r.server.Addr()+"/"+name).CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("400 Bad Request")) {
			t.Fatalf("publish to %s: %v\n%s", name, err, out)
		}
		if _, err := r.store.Lookup(fragments.StreamRef{Name: name}); err == nil {
			t.Fatalf("stream %q created", name)
		}
	}
	if _, err := r.store.CreateStream(fragments.CreateInput{Name: "..", RetentionHours: 1}); err == nil {
		t.Fatal("the store created a stream named ..")
	}
}
