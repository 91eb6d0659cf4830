package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"
)

// segRecord is a record found in a segment file by the test's own reading
// of the format: u32 length | u64 sequence | ... (64-byte file header).
type segRecord struct {
	file      string
	off, size int
	seq       uint64
	sealed    bool // not in the newest segment
}

func segmentRecords(t *testing.T, logDir string) []segRecord {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(logDir, "*.seg"))
	slices.Sort(files)
	var out []segRecord
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for off := 64; off+28 <= len(b); {
			n := int(binary.BigEndian.Uint32(b[off:]))
			if n < 28 || off+n > len(b) {
				break
			}
			out = append(out, segRecord{file: f, off: off, size: n, seq: binary.BigEndian.Uint64(b[off+4:]), sealed: i < len(files)-1})
			off += n
		}
	}
	return out
}

// flip damages 16 bytes in the middle of a record, as a failing disk does.
func flip(t *testing.T, r segRecord) {
	t.Helper()
	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	at := r.off + r.size/2
	for i := at; i < at+16 && i < r.off+r.size; i++ {
		b[i] ^= 0xa5
	}
	if err := os.WriteFile(r.file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkDir runs `shardcast check` on a data directory.
func checkDir(t *testing.T, dir string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run([]string{"check", "--data-dir", dir}, func(string) string { return "" }, &out, &errb)
	return code, out.String() + errb.String()
}

// onlyLogDir returns the one shard directory of the only stream under root.
func onlyLogDir(t *testing.T, root string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(root, "*", "*", "*.seg"))
	if len(m) == 0 {
		t.Fatalf("no segments under %s", root)
	}
	return filepath.Dir(m[0])
}

// TestDamagedDataRecord flips bytes in one record of a sealed segment of a
// data stream, with and without catalog.db: `shardcast check` names the
// record, and a TRIM_HORIZON consumer reads every other record, never
// stuck and never answered 500.
func TestDamagedDataRecord(t *testing.T) {
	for _, keepCatalog := range []bool{true, false} {
		t.Run(fmt.Sprintf("catalog=%v", keepCatalog), func(t *testing.T) {
			cfg := fileConfig(t)
			cfg.Kinesis.SegmentMaxBytes = 64 << 10
			srv := startServer(t, cfg)
			c := client(srv.URL(), testCreds)
			createStream(t, c, "d", 1)
			const n = 400
			for i := 0; i < n; i += 50 {
				var entries []types.PutRecordsRequestEntry
				for j := i; j < i+50; j++ {
					entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"),
						Data: append([]byte(fmt.Sprintf("record-%04d:", j)), bytes.Repeat([]byte{'x'}, 1000)...)})
				}
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("d"), Records: entries})
				if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
					t.Fatalf("put: %v", err)
				}
			}
			srv.Close()

			recs := segmentRecords(t, onlyLogDir(t, filepath.Join(cfg.DataDir, "kinesis")))
			if len(recs) != n {
				t.Fatalf("found %d records in the segments, want %d", len(recs), n)
			}
			var victim segRecord
			for _, r := range recs {
				if r.sealed && r.seq > 150 {
					victim = r
					break
				}
			}
			if victim.seq == 0 {
				t.Fatal("no record in a sealed segment")
			}
			flip(t, victim)
			if !keepCatalog {
				os.Remove(filepath.Join(cfg.DataDir, "catalog.db"))
			}
			code, out := checkDir(t, cfg.DataDir)
			if code != 1 || !strings.Contains(out, fmt.Sprintf("records %d-%d lost", victim.seq, victim.seq)) {
				t.Fatalf("check exited %d:\n%s", code, out)
			}

			srv = startServer(t, cfg)
			c = client(srv.URL(), testCreds)
			got := readAll(t, c, "d")
			if len(got) != n-1 {
				t.Fatalf("read %d records, want %d", len(got), n-1)
			}
			for k, r := range got {
				want := k
				if uint64(k+1) >= victim.seq {
					want = k + 1 // the damaged record is the only one missing
				}
				if !bytes.HasPrefix(r.Data, []byte(fmt.Sprintf("record-%04d:", want))) {
					t.Fatalf("record %d is %q, want record-%04d", k, r.Data[:12], want)
				}
			}
			// The running server lists the damage for operators.
			req, _ := http.NewRequest("GET", srv.URL()+"/admin/v1/damage", nil)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var listed struct {
				Kinesis map[string][]struct{ FromSeq, ToSeq uint64 } `json:"kinesis"`
			}
			err = json.NewDecoder(resp.Body).Decode(&listed)
			resp.Body.Close()
			if d := listed.Kinesis["d/shardId-000000000000"]; err != nil || len(d) != 1 || d[0].FromSeq != victim.seq || d[0].ToSeq != victim.seq {
				t.Fatalf("/admin/v1/damage: %v %+v", err, listed)
			}
			// A consumer positioned on the damaged record moves on.
			it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("d"), ShardId: aws.String("shardId-000000000000"),
				ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: got[victim.seq-2].SequenceNumber})
			if err != nil {
				t.Fatal(err)
			}
			gr, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(2)})
			if err != nil || len(gr.Records) != 2 || !bytes.HasPrefix(gr.Records[1].Data, []byte(fmt.Sprintf("record-%04d:", victim.seq))) {
				t.Fatalf("reading over the damage: %v %+v", err, gr)
			}
			srv.Close()
			// The next start remembers the damage; check still reports it.
			if code, out := checkDir(t, cfg.DataDir); code != 1 || !strings.Contains(out, "DAMAGED") {
				t.Fatalf("second check exited %d:\n%s", code, out)
			}
		})
	}
}

// TestDamagedFragment flips bytes in one fragment of a sealed segment of a
// video stream, with and without catalog.db: GetMedia sends the error tags
// for it and every other fragment, GetMediaForFragmentList too, GetClip
// names the damaged fragment, and `shardcast check` reports it.
func TestDamagedFragment(t *testing.T) {
	need(t, "ffmpeg")
	for _, keepCatalog := range []bool{true, false} {
		t.Run(fmt.Sprintf("catalog=%v", keepCatalog), func(t *testing.T) {
			srv := videoServer(t, false, func(c *Config) { c.Storage, c.Video.SegmentMaxBytes = "file", 64<<10 })
			cfg := srv.cfg
			const stream = "cam"
			if _, err := kvsClient(srv.URL()).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
				t.Fatal(err)
			}
			runCamera(t, ffmpegCamera(t, "rtsp://"+hostPort(srv.rtsp.Addr())+"/"+stream, 8, "tcp", "h264"))
			waitIdle(t, srv)
			srv.Close()

			recs := segmentRecords(t, onlyLogDir(t, filepath.Join(cfg.DataDir, "video")))
			if len(recs) < 6 {
				t.Fatalf("only %d fragments stored", len(recs))
			}
			victim := recs[len(recs)/2]
			if !victim.sealed {
				t.Fatalf("fragment %d is in the newest segment", victim.seq)
			}
			flip(t, victim)
			if !keepCatalog {
				os.Remove(filepath.Join(cfg.DataDir, "catalog.db"))
			}
			code, out := checkDir(t, cfg.DataDir)
			if code != 1 || !strings.Contains(out, fmt.Sprintf("records %d-%d lost", victim.seq, victim.seq)) {
				t.Fatalf("check exited %d:\n%s", code, out)
			}

			srv = startServer(t, cfg)
			url := srv.URL()
			media := mediaClient(t, url, stream)
			out2, err := media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
				StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
			if err != nil {
				t.Fatal(err)
			}
			chunks := readChunks(t, out2.Payload)
			if len(chunks) != len(recs) {
				t.Fatalf("GetMedia sent %d chunks for %d fragments", len(chunks), len(recs))
			}
			var damagedNumber string
			for i, c := range chunks {
				n := c.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER")
				if seqOf(t, n) != recs[i].seq {
					t.Fatalf("chunk %d is fragment %d, want %d", i, seqOf(t, n), recs[i].seq)
				}
				if recs[i].seq == victim.seq {
					damagedNumber = n
					if c.tag("AWS_KINESISVIDEO_ERROR_ID") != "5000" || c.tag("AWS_KINESISVIDEO_ERROR_CODE") == "" || len(c.blocks) != 0 {
						t.Fatalf("damaged fragment's chunk: %+v", c)
					}
					continue
				}
				if c.tag("AWS_KINESISVIDEO_ERROR_ID") != "" || len(c.blocks) == 0 {
					t.Fatalf("chunk %d: error %q, %d blocks", i, c.tag("AWS_KINESISVIDEO_ERROR_ID"), len(c.blocks))
				}
			}

			// GetMediaForFragmentList: the error chunk in place, the others whole.
			archived := archivedClient(t, url, stream)
			list := []string{chunks[0].tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER"), damagedNumber, chunks[len(chunks)-1].tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER")}
			fl, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String(stream), Fragments: list})
			if err != nil {
				t.Fatal(err)
			}
			lc := readChunks(t, fl.Payload)
			if len(lc) != 3 || lc[1].tag("AWS_KINESISVIDEO_ERROR_ID") != "5000" || len(lc[0].blocks) == 0 || len(lc[2].blocks) == 0 {
				t.Fatalf("fragment list chunks: %d", len(lc))
			}

			// GetClip over the damaged fragment names it.
			_, err = archived.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String(stream),
				ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeServerTimestamp,
					TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now())}}})
			if keepCatalog {
				// The time index still lists the fragment. Its HLS segment
				// answers 404 naming it, the others play.
				hs, herr := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
					PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
						TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now())}}})
				if herr != nil {
					t.Fatal(herr)
				}
				pm, mediaURL := mediaPlaylistOf(t, *hs.HLSStreamingSessionURL)
				base := mediaURL[:strings.LastIndexByte(mediaURL, '/')+1]
				seen := false
				for _, seg := range pm.Segments {
					resp, gerr := http.Get(base + seg.URI)
					if gerr != nil {
						t.Fatal(gerr)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if fragmentNumberOf(seg.URI) == damagedNumber {
						seen = true
						if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "damaged") || !strings.Contains(string(body), damagedNumber) {
							t.Fatalf("HLS segment of the damaged fragment: %d %s", resp.StatusCode, body)
						}
					} else if resp.StatusCode != http.StatusOK {
						t.Fatalf("HLS segment %s: %d %s", seg.URI, resp.StatusCode, body)
					}
				}
				if !seen {
					t.Fatal("the playlist does not list the damaged fragment")
				}
				// The clip cannot be made.
				if err == nil || !strings.Contains(err.Error(), damagedNumber) || !strings.Contains(err.Error(), "damaged") {
					t.Fatalf("GetClip over the damaged fragment: %v", err)
				}
			} else if err != nil {
				// Rebuilt from the log, the index never lists the lost fragment.
				t.Fatalf("GetClip: %v", err)
			}
		})
	}
}

// readChunks reads a GetMedia stream to its end.
func readChunks(t *testing.T, body io.ReadCloser) []*mkvChunkParsed {
	t.Helper()
	defer body.Close()
	var out []*mkvChunkParsed
	r := newEBMLReader(body)
	for {
		c, err := r.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("GetMedia stream: %v", err)
		}
		out = append(out, c)
	}
}
