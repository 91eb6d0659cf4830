package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// encodeOnce makes the replayed camera stream: 720p H.264 at 2 Mbit/s,
// 25 fps, a 2 s GOP, no B-frames, as access units.
func encodeOnce(b *testing.B, seconds int) (aus [][][]byte, sps, pps []byte) {
	b.Helper()
	need(b, "ffmpeg")
	path := filepath.Join(b.TempDir(), "cam.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0", "-g", "50", "-keyint_min", "50",
		"-sc_threshold", "0", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "2M", "-pix_fmt", "yuv420p",
		"-bsf:v", "h264_metadata=aud=insert", "-f", "h264", path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(path)
	for _, n := range splitAnnexB(raw) {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			aus = append(aus, nil)
			continue
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		}
		if len(aus) == 0 {
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], n)
	}
	return aus, sps, pps
}

func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			start, i = i+3, i+2
		}
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}

// replay publishes the access units over RTSP (TCP) at real time, looping,
// until stop is closed: a camera whose stream is replayed, not re-encoded.
func replay(url string, aus [][][]byte, sps, pps []byte, stop <-chan struct{}) error {
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	tcp := gortsplib.TransportTCP
	c := gortsplib.Client{Transport: &tcp}
	if err := c.StartRecording(url, desc); err != nil {
		return err
	}
	defer c.Close()
	enc, err := forma.CreateEncoder()
	if err != nil {
		return err
	}
	base := rand.Uint32()
	start := time.Now()
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * time.Second / 25)
		select {
		case <-stop:
			return nil
		case <-time.After(time.Until(due)):
		}
		pkts, err := enc.Encode(aus[i%len(aus)])
		if err != nil {
			return err
		}
		for _, p := range pkts {
			p.Timestamp = base + uint32(i*3600)
			if err := c.WritePacketRTP(desc.Medias[0], p); err != nil {
				return err
			}
		}
	}
}

// procRSS is a process's resident set size.
func procRSS(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkRTSPIngest runs BENCH_STREAMS (default 100) RTSP publishers of a
// 2 Mbit/s 720p H.264 stream into the shardcast binary (fsync on, every
// fragment encrypted) for BENCH_SECONDS (default 30) and reports the
// server's CPU and memory per stream and its fragment commit latency, on
// each backend of benchStorages.
func BenchmarkRTSPIngest(b *testing.B) {
	streams, seconds := 100, 30
	if v, _ := strconv.Atoi(os.Getenv("BENCH_STREAMS")); v > 0 {
		streams = v
	}
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	aus, sps, pps := encodeOnce(b, 10)
	for _, storage := range benchStorages() {
		b.Run(storage, func(b *testing.B) { benchRTSPIngest(b, storage, streams, seconds, aus, sps, pps) })
	}
}

func benchRTSPIngest(b *testing.B, storage string, streams, seconds int, aus [][][]byte, sps, pps []byte) {
	for i := 0; i < b.N; i++ {
		rtspAddr := freeTCP(b)
		args := []string{"--data-dir", b.TempDir(), "--storage", storage, "--rtsp", rtspAddr, "--rtsp-udp-rtp", "", "--rtsp-udp-rtcp", ""}
		if a := os.Getenv("BENCH_PPROF"); a != "" {
			args = append(args, "--pprof", a)
		}
		srv := startBuilt(b, benchBinary, args...)
		pid := srv.cmd.Process.Pid
		baseRSS := procRSS(b, pid)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for s := 0; s < streams; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				time.Sleep(time.Duration(s) * 20 * time.Millisecond) // cameras do not all start at once
				if err := replay(fmt.Sprintf("rtsp://%s/cam%03d", rtspAddr, s), aus, sps, pps, stop); err != nil {
					errs <- err
				}
			}(s)
		}
		time.Sleep(time.Duration(streams)*20*time.Millisecond + 3*time.Second) // warm up: every camera past its first GOP
		cpu0, t0 := procCPU(b, pid), time.Now()
		time.Sleep(time.Duration(seconds) * time.Second)
		cpu := (procCPU(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds()
		rss := procRSS(b, pid)
		sessions := ingestStats(b, srv.url)
		close(stop)
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatalf("publisher: %v", err)
		default:
		}
		if len(sessions) != streams {
			b.Fatalf("%d ingest sessions for %d publishers", len(sessions), streams)
		}
		var lat []float64
		var dropped int64
		for _, s := range sessions {
			for _, l := range s.CommitLatencies {
				lat = append(lat, float64(l)/1e6)
			}
			dropped += s.DroppedUnits
		}
		if len(lat) == 0 {
			b.Fatal("no fragment was committed")
		}
		sort.Float64s(lat)
		b.ReportMetric(float64(streams), "streams")
		b.ReportMetric(cpu*100/float64(streams), "cpu%_per_stream")
		b.ReportMetric(float64(rss-baseRSS)/float64(streams)/(1<<20), "MiB_RSS_per_stream")
		b.ReportMetric(lat[len(lat)/2], "commit_p50_ms")
		b.ReportMetric(lat[len(lat)*99/100], "commit_p99_ms")
		b.ReportMetric(float64(len(lat)), "fragments")
		b.ReportMetric(float64(dropped), "dropped_units")
		b.ReportMetric(0, "ns/op")
		srv.stop(b)
	}
}

type sessionStats struct {
	Stream          string
	DroppedUnits    int64
	Fragments       int64
	CommitLatencies []int64 `json:"commitLatenciesNanos"`
}

func ingestStats(b *testing.B, url string) []sessionStats {
	req, _ := http.NewRequest("GET", url+"/admin/v1/ingest?latencies=1", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out []sessionStats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.Fatal(err)
	}
	return out
}

func freeTCP(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
