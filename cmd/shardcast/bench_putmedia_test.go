package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"

	"github.com/shardcast/shardcast/ingest/putmedia/putmediatest"
)

// benchCam is the replayed camera as PutMedia sends it: the 2 Mbit/s 720p
// clip of encodeOnce, one cluster per GOP (2 s).
type benchCam struct {
	header []byte
	gops   [][]putmediatest.Frame // frames of each GOP, timecodes relative to its start (ms)
	gopMS  []uint64               // each GOP's length in ms
}

func newBenchCam(b *testing.B) *benchCam {
	aus, sps, pps := encodeOnce(b, 10)
	c := &benchCam{header: putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 1280, Height: 720})}
	for _, au := range aus {
		key := h264Keyframe(au)
		if key || len(c.gops) == 0 {
			c.gops = append(c.gops, nil)
			c.gopMS = append(c.gopMS, 0)
		}
		g := len(c.gops) - 1
		c.gops[g] = append(c.gops[g], putmediatest.Frame{Track: 1, Timecode: int16(len(c.gops[g]) * 40), Keyframe: key,
			Data: putmediatest.AVCC(au)})
		c.gopMS[g] += 40
	}
	return c
}

func h264Keyframe(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

// benchUpload is one PutMedia producer of the benchmark.
type benchUpload struct {
	body    *io.PipeWriter
	resp    *http.Response
	mu      sync.Mutex
	written map[uint64]time.Time // cluster timecode -> when its last byte was written
	lat     []time.Duration      // cluster end -> PERSISTED
	acked   chan uint64          // timecodes PERSISTED
	err     error
}

func startBenchUpload(b *testing.B, url, stream string) *benchUpload {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url+"/putMedia", pr)
	req.ContentLength = -1
	req.Header.Set("x-amzn-stream-name", stream)
	req.Header.Set("x-amzn-fragment-timecode-type", "ABSOLUTE")
	req.Header.Set("x-amzn-producer-start-timestamp", fmt.Sprintf("%.3f", float64(time.Now().UnixMilli())/1000))
	req.Header.Set("x-amzn-fragment-acknowledgment-required", "1")
	sum := sha256.Sum256(nil)
	v4.NewSigner().SignHTTP(ctx, testCreds, req, hex.EncodeToString(sum[:]), "kinesisvideo", "us-east-1", time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		b.Fatalf("PutMedia: %d %s", resp.StatusCode, body)
	}
	u := &benchUpload{body: pw, resp: resp, written: map[uint64]time.Time{}, acked: make(chan uint64, 1<<16)}
	go func() {
		dec := json.NewDecoder(bufio.NewReader(resp.Body))
		for {
			var a putMediaAck
			if err := dec.Decode(&a); err != nil {
				close(u.acked)
				return
			}
			now := time.Now()
			switch a.EventType {
			case "PERSISTED":
				u.mu.Lock()
				if w, ok := u.written[*a.FragmentTimecode]; ok {
					u.lat = append(u.lat, now.Sub(w))
				}
				u.mu.Unlock()
				u.acked <- *a.FragmentTimecode
			case "ERROR":
				u.mu.Lock()
				u.err = fmt.Errorf("ERROR %d %s", a.ErrorId, a.ErrorCode)
				u.mu.Unlock()
			}
		}
	}()
	return u
}

// send writes one cluster and notes when its last byte went out.
func (u *benchUpload) send(tc uint64, frames []putmediatest.Frame) (int, error) {
	c := putmediatest.Cluster(tc, frames...)
	_, err := u.body.Write(c)
	u.mu.Lock()
	u.written[tc] = time.Now()
	u.mu.Unlock()
	return len(c), err
}

func (u *benchUpload) close() {
	u.body.Close()
	for range u.acked {
	}
	u.resp.Body.Close()
}

func createBenchStream(b *testing.B, url, name string) {
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1)}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPutMediaIngest measures PutMedia into the shardcast binary
// (fsync on, every fragment encrypted), on each backend of benchStorages:
//
//   - paced: BENCH_PUTMEDIA_STREAMS (default 20) producers each sending the
//     2 Mbit/s 720p camera in real time (one 2 s cluster per GOP) for
//     BENCH_SECONDS: server CPU per stream, and the acknowledgement latency
//     from a cluster's last byte written to its PERSISTED, p50/p99; the
//     same camera over RTSP, same count, beside it (rtsp) for comparison;
//   - max: one producer and four, sending clusters back to back: MB/s of
//     Matroska taken and acknowledged PERSISTED.
func BenchmarkPutMediaIngest(b *testing.B) {
	streams, seconds := 20, 30
	if v, _ := strconv.Atoi(os.Getenv("BENCH_PUTMEDIA_STREAMS")); v > 0 {
		streams = v
	}
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	cam := newBenchCam(b)
	aus, sps, pps := encodeOnce(b, 10)
	for _, storage := range benchStorages() {
		b.Run(storage+"/paced", func(b *testing.B) { benchPutMediaPaced(b, storage, streams, seconds, cam) })
		b.Run(storage+"/rtsp", func(b *testing.B) { benchRTSPIngest(b, storage, streams, seconds, aus, sps, pps) })
		for _, producers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/max-%d", storage, producers), func(b *testing.B) { benchPutMediaMax(b, storage, producers, cam) })
		}
	}
}

func benchPutMediaPaced(b *testing.B, storage string, streams, seconds int, cam *benchCam) {
	for i := 0; i < b.N; i++ {
		srv := startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--storage", storage, "--rtsp", freeTCP(b), "--rtsp-udp-rtp", "", "--rtsp-udp-rtcp", "")
		pid := srv.cmd.Process.Pid
		stop := make(chan struct{})
		var wg sync.WaitGroup
		ups := make([]*benchUpload, streams)
		for s := 0; s < streams; s++ {
			name := fmt.Sprintf("pm%03d", s)
			createBenchStream(b, srv.url, name)
			ups[s] = startBenchUpload(b, srv.url, name)
		}
		for s := 0; s < streams; s++ {
			wg.Add(1)
			go func(u *benchUpload, s int) {
				defer wg.Done()
				time.Sleep(time.Duration(s) * 20 * time.Millisecond)
				u.body.Write(cam.header)
				start := time.Now()
				base := uint64(start.UnixMilli())
				var media uint64
				for g := 0; ; g++ {
					k := g % len(cam.gops)
					// A cluster is sent once its last frame has been "captured".
					media += cam.gopMS[k]
					select {
					case <-stop:
						return
					case <-time.After(time.Until(start.Add(time.Duration(media) * time.Millisecond))):
					}
					if _, err := u.send(base+media-cam.gopMS[k], cam.gops[k]); err != nil {
						return
					}
				}
			}(ups[s], s)
		}
		time.Sleep(time.Duration(streams)*20*time.Millisecond + 3*time.Second)
		cpu0, t0 := procCPU(b, pid), time.Now()
		time.Sleep(time.Duration(seconds) * time.Second)
		cpu := (procCPU(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds()
		close(stop)
		wg.Wait()
		var lat []float64
		for _, u := range ups {
			u.close()
			if u.err != nil {
				b.Fatalf("producer: %v", u.err)
			}
			for _, l := range u.lat {
				lat = append(lat, float64(l)/1e6)
			}
		}
		if len(lat) == 0 {
			b.Fatal("nothing was PERSISTED")
		}
		sort.Float64s(lat)
		b.ReportMetric(float64(streams), "streams")
		b.ReportMetric(cpu*100/float64(streams), "cpu%_per_stream")
		b.ReportMetric(lat[len(lat)/2], "persisted_p50_ms")
		b.ReportMetric(lat[len(lat)*99/100], "persisted_p99_ms")
		b.ReportMetric(float64(len(lat)), "fragments")
		b.ReportMetric(0, "ns/op")
		srv.stop(b)
	}
}

func benchPutMediaMax(b *testing.B, storage string, producers int, cam *benchCam) {
	const clusters = 30 // per producer: 60 s of the camera, about 15 MB
	for i := 0; i < b.N; i++ {
		srv := startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--storage", storage, "--rtsp", freeTCP(b), "--rtsp-udp-rtp", "", "--rtsp-udp-rtcp", "")
		ups := make([]*benchUpload, producers)
		for p := range ups {
			name := fmt.Sprintf("max%d", p)
			createBenchStream(b, srv.url, name)
			ups[p] = startBenchUpload(b, srv.url, name)
			ups[p].body.Write(cam.header)
		}
		var wg sync.WaitGroup
		var bytes [8]int
		start := time.Now()
		for p, u := range ups {
			wg.Add(1)
			go func(p int, u *benchUpload) {
				defer wg.Done()
				base, media := uint64(start.UnixMilli()), uint64(0)
				for g := 0; g < clusters; g++ {
					k := g % len(cam.gops)
					n, err := u.send(base+media, cam.gops[k])
					if err != nil {
						return
					}
					bytes[p] += n
					media += cam.gopMS[k]
				}
				for n := 0; n < clusters; n++ {
					if _, ok := <-u.acked; !ok {
						return
					}
				}
			}(p, u)
		}
		wg.Wait()
		elapsed := time.Since(start)
		total := 0
		for p, u := range ups {
			total += bytes[p]
			u.close()
			if u.err != nil {
				b.Fatalf("producer: %v", u.err)
			}
			if len(u.lat) != clusters {
				b.Fatalf("%d of %d clusters PERSISTED", len(u.lat), clusters)
			}
		}
		b.ReportMetric(float64(total)/elapsed.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(producers*clusters)/elapsed.Seconds(), "fragments/s")
		b.ReportMetric(0, "ns/op")
		srv.stop(b)
	}
}
