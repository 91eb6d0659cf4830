package putmedia

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
	"github.com/shardcast/shardcast/ingest"
	"github.com/shardcast/shardcast/ingest/putmedia/putmediatest"
)

const clip = "../../fragments/testdata/video.h264" // 75 frames, 25 fps, a keyframe every 25

type fixture struct {
	store *fragments.Store
	m     *ingest.Manager
	svc   *Service
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	store := fragmentstest.Open(t, fragments.Config{})
	if _, err := store.CreateStream(fragments.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	m := ingest.NewManager(ingest.Config{Store: store})
	t.Cleanup(m.Close)
	cfg.Ingest = m
	return &fixture{store: store, m: m, svc: New(cfg)}
}

// gops builds one cluster per GOP of the test clip (40 ms per frame,
// timecodes in ms from base).
func gops(t testing.TB, base uint64) (header []byte, clusters [][]byte) {
	t.Helper()
	aus, sps, pps, err := putmediatest.ReadH264(clip)
	if err != nil {
		t.Fatal(err)
	}
	header = putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 320, Height: 240})
	var frames []putmediatest.Frame
	start := uint64(0)
	for i, au := range aus {
		if au.Keyframe && len(frames) > 0 {
			clusters = append(clusters, putmediatest.Cluster(base+start, frames...))
			frames = nil
		}
		if au.Keyframe {
			start = uint64(i * 40)
		}
		frames = append(frames, putmediatest.Frame{Track: 1, Timecode: int16(uint64(i*40) - start), Keyframe: au.Keyframe,
			Data: putmediatest.AVCC(au.NALUs)})
	}
	clusters = append(clusters, putmediatest.Cluster(base+start, frames...))
	return header, clusters
}

// acks collects what Run sends.
type acks struct {
	mu  sync.Mutex
	got []Ack
	ch  chan Ack
}

func newAcks() *acks { return &acks{ch: make(chan Ack, 1000)} }

func (a *acks) send(x Ack) error {
	a.mu.Lock()
	a.got = append(a.got, x)
	a.mu.Unlock()
	select {
	case a.ch <- x:
	default: // nobody waits for them (FuzzRun): got has them all
	}
	return nil
}

// next waits for the next ack that is not IDLE.
func (a *acks) next(t *testing.T) Ack {
	t.Helper()
	for {
		select {
		case x := <-a.ch:
			if x.EventType != EventIdle {
				return x
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no acknowledgement")
		}
	}
}

func (f *fixture) list(t *testing.T) []fragments.FragmentInfo {
	t.Helper()
	st, err := f.store.Lookup(fragments.StreamRef{Name: "cam"})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := st.ListFragments(context.Background(), &fragments.Selector{Type: fragments.ServerTimestamp, Start: time.Unix(0, 0), End: time.Now().Add(time.Hour)}, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestClustersAreFragments: a body written in pieces with pauses; each
// cluster is acknowledged BUFFERING, RECEIVED and PERSISTED before the
// next is sent, and each PERSISTED number is a stored fragment with the
// cluster's producer time.
func TestClustersAreFragments(t *testing.T) {
	f := newFixture(t, Config{})
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	up, err := f.svc.Start(Request{Stream: "cam", TimecodeType: TimecodeRelative, ProducerStart: start})
	if err != nil {
		t.Fatal(err)
	}
	header, clusters := gops(t, 5000)
	pr, pw := io.Pipe()
	a := newAcks()
	done := make(chan error, 1)
	go func() { done <- up.Run(pr, a.send) }()
	if _, err := pw.Write(header); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for i, c := range clusters {
		// In two writes: the cluster arrives over time.
		pw.Write(c[:len(c)/2])
		time.Sleep(20 * time.Millisecond)
		pw.Write(c[len(c)/2:])
		want := uint64(5000 + i*1000)
		for _, ev := range []string{EventBuffering, EventReceived, EventPersisted} {
			x := a.next(t)
			if x.EventType != ev || x.FragmentTimecode == nil || *x.FragmentTimecode != want {
				t.Fatalf("cluster %d: got %+v, want %s at %d", i, x, ev, want)
			}
			if ev == EventPersisted {
				if x.FragmentNumber == "" {
					t.Fatalf("PERSISTED without a fragment number")
				}
				numbers = append(numbers, x.FragmentNumber)
			} else if x.FragmentNumber != "" {
				t.Fatalf("%s with a fragment number %q", ev, x.FragmentNumber)
			}
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l := f.list(t)
	if len(l) != 3 {
		t.Fatalf("%d fragments, want 3", len(l))
	}
	for i, fi := range l {
		if fi.Number != numbers[i] {
			t.Errorf("fragment %d is %s, acknowledged %s", i, fi.Number, numbers[i])
		}
		if want := start.Add(time.Duration(5+i) * time.Second); !fi.ProducerTime.Equal(want) {
			t.Errorf("fragment %d producer time %v, want %v", i, fi.ProducerTime, want)
		}
		if fi.Duration != time.Second {
			t.Errorf("fragment %d lasts %v", i, fi.Duration)
		}
	}
	// The slot is free again.
	up2, err := f.svc.Start(Request{Stream: "cam", TimecodeType: TimecodeAbsolute})
	if err != nil {
		t.Fatal(err)
	}
	up2.Close()
}

// run sends body whole and returns the acks and Run's error.
func (f *fixture) run(t *testing.T, req Request, body []byte) ([]Ack, error) {
	t.Helper()
	req.Stream = "cam"
	up, err := f.svc.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	err = up.Run(bytes.NewReader(body), a.send)
	return a.got, err
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func lastError(t *testing.T, got []Ack) Ack {
	t.Helper()
	if len(got) == 0 || got[len(got)-1].EventType != EventError {
		t.Fatalf("no ERROR at the end: %+v", got)
	}
	return got[len(got)-1]
}

func persisted(got []Ack) int {
	n := 0
	for _, a := range got {
		if a.EventType == EventPersisted {
			n++
		}
	}
	return n
}

// TestCorruptClusterKeepsEarlierFragments: garbage after two good clusters
// ends the upload with ERROR 4006; the two fragments stay.
func TestCorruptClusterKeepsEarlierFragments(t *testing.T) {
	f := newFixture(t, Config{})
	header, clusters := gops(t, 0)
	bad := append([]byte(nil), clusters[2]...)
	// A cluster damaged after its Timecode (12 bytes of ID and size, 17 of
	// Timecode): where its first block should start is no element.
	copy(bad[29:], []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff})
	got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, concat(header, clusters[0], clusters[1], bad))
	if err == nil {
		t.Fatal("no error")
	}
	if e := lastError(t, got); e.ErrorID != ErrInvalidMKV || e.ErrorCode != "INVALID_MKV_DATA" || e.FragmentTimecode == nil || *e.FragmentTimecode != 2000 {
		t.Fatalf("got %+v", e)
	}
	if persisted(got) != 2 || len(f.list(t)) != 2 {
		t.Fatalf("%d persisted, %d stored", persisted(got), len(f.list(t)))
	}
}

// TestTimecodeBackwards: a cluster timecode lower than the previous is
// ERROR 4004, and so is a cluster that overlaps the previous one.
func TestTimecodeBackwards(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second uint64
	}{{"lower", 500}, {"overlapping", 1900}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			header, clusters := gops(t, 1000)
			_, again := gops(t, tc.second)
			got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, concat(header, clusters[0], clusters[1], again[0]))
			if err == nil {
				t.Fatal("no error")
			}
			if e := lastError(t, got); e.ErrorID != ErrTimecodeLower || e.FragmentTimecode == nil || *e.FragmentTimecode != tc.second {
				t.Fatalf("got %+v", e)
			}
			if persisted(got) != 2 || len(f.list(t)) != 2 {
				t.Fatalf("%d persisted, %d stored", persisted(got), len(f.list(t)))
			}
		})
	}
}

// TestLimits: a cluster longer than the maximum duration is 4002, larger
// than the maximum size 4001; a block of an undeclared track 4006 (the
// reader refuses it); a cluster without frames 4011; garbage 4006; a body
// cut mid-cluster 4000.
func TestLimits(t *testing.T) {
	header, clusters := gops(t, 0)
	aus, _, _, _ := putmediatest.ReadH264(clip)
	key := putmediatest.Frame{Track: 1, Keyframe: true, Data: putmediatest.AVCC(aus[0].NALUs)}
	late := key
	late.Keyframe, late.Timecode, late.Data = false, 30000, putmediatest.AVCC(aus[1].NALUs)
	stranger := key
	stranger.Track = 2
	for _, tc := range []struct {
		name string
		cfg  Config
		body []byte
		id   int
	}{
		{"duration", Config{}, concat(header, putmediatest.Cluster(0, key, late)), ErrFragmentDuration},
		{"duration configured", Config{MaxFragmentDuration: 500 * time.Millisecond}, concat(header, clusters[0]), ErrFragmentDuration},
		{"size", Config{MaxFragmentBytes: 1000}, concat(header, clusters[0]), ErrFragmentSize},
		{"undeclared track", Config{}, concat(header, putmediatest.Cluster(0, stranger)), ErrInvalidMKV},
		{"empty cluster", Config{}, concat(header, putmediatest.Cluster(0)), ErrFramesMissing},
		{"not matroska", Config{}, []byte("GET / HTTP/1.1\r\n\r\n"), ErrInvalidMKV},
		{"cut", Config{}, concat(header, clusters[0][:len(clusters[0])-100]), ErrReadBody},
		{"no keyframe", Config{}, concat(header, putmediatest.Cluster(0, putmediatest.Frame{Track: 1, Data: late.Data})), ErrInvalidMKV},
		{"no stored track", Config{}, concat(putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "S_TEXT/UTF8"})), ErrInvalidMKV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cfg)
			got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, tc.body)
			if err == nil {
				t.Fatal("no error")
			}
			if e := lastError(t, got); e.ErrorID != tc.id || e.ErrorCode != ErrorCode(tc.id) {
				t.Fatalf("got %+v, want %d (%v)", e, tc.id, err)
			}
			if n := len(f.list(t)); n != 0 {
				t.Fatalf("%d fragments stored", n)
			}
		})
	}
}

// TestUnknownSizeClusters: clusters of unknown size (as the KVS producer
// libraries send them), with Tags between them, are fragments too; each is
// handed on when the next element starts, the last at the body's end.
func TestUnknownSizeClusters(t *testing.T) {
	f := newFixture(t, Config{})
	aus, sps, pps, _ := putmediatest.ReadH264(clip)
	body := putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 320, Height: 240})
	for g := 0; g < 3; g++ {
		var frames []putmediatest.Frame
		for i := 0; i < 25; i++ {
			au := aus[g*25+i]
			frames = append(frames, putmediatest.Frame{Track: 1, Timecode: int16(i * 40), Keyframe: au.Keyframe, Data: putmediatest.AVCC(au.NALUs)})
		}
		body = concat(body, putmediatest.ClusterUnknownSize(uint64(g*1000), frames...), putmediatest.Tags("site", "hq"))
	}
	got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, body)
	if err != nil {
		t.Fatal(err, got)
	}
	if persisted(got) != 3 || len(f.list(t)) != 3 {
		t.Fatalf("%d persisted, %d stored: %+v", persisted(got), len(f.list(t)), got)
	}
}

// TestNewTracksNewInit: a second EBML document with other codec private
// data starts a new init segment (a discontinuity).
func TestNewTracksNewInit(t *testing.T) {
	f := newFixture(t, Config{})
	header, clusters := gops(t, 0)
	aus, sps, pps, _ := putmediatest.ReadH264(clip)
	_ = aus
	other := putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: append(putmediatest.AVCConfig(sps, pps), 0), Video: true, Width: 320, Height: 240})
	_, later := gops(t, 10000)
	got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, concat(header, clusters[0], clusters[1], other, later[0]))
	if err != nil {
		t.Fatal(err, got)
	}
	l := f.list(t)
	if len(l) != 3 || !l[0].Discontinuity || l[1].Discontinuity || !l[2].Discontinuity {
		t.Fatalf("fragments %+v", l)
	}
}

// TestBusy: one publisher per stream.
func TestBusy(t *testing.T) {
	f := newFixture(t, Config{})
	up, err := f.svc.Start(Request{Stream: "cam"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Start(Request{Stream: "cam"}); !errors.Is(err, ingest.ErrBusy) {
		t.Fatalf("second upload: %v", err)
	}
	if _, err := f.svc.Start(Request{Stream: "nope"}); !errors.Is(err, ingest.ErrNoStream) {
		t.Fatalf("missing stream: %v", err)
	}
	up.Close()
}

// TestIdle: IDLE while no data comes, then the upload ends by itself
// (Interrupt) and frees the slot.
func TestIdle(t *testing.T) {
	f := newFixture(t, Config{IdleEvery: 50 * time.Millisecond, IdleTimeout: 400 * time.Millisecond})
	pr, pw := io.Pipe()
	up, err := f.svc.Start(Request{Stream: "cam", Interrupt: func() { pw.CloseWithError(errors.New("deadline")) }})
	if err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	if err := up.Run(pr, a.send); err != nil {
		t.Fatal(err)
	}
	if len(a.got) == 0 || a.got[0].EventType != EventIdle {
		t.Fatalf("acks %+v", a.got)
	}
	up2, err := f.svc.Start(Request{Stream: "cam"})
	if err != nil {
		t.Fatal(err)
	}
	up2.Close()
}

// TestManagerCloseEndsUpload: closing the ingest manager interrupts a
// waiting upload.
func TestManagerCloseEndsUpload(t *testing.T) {
	f := newFixture(t, Config{})
	pr, pw := io.Pipe()
	up, err := f.svc.Start(Request{Stream: "cam", Interrupt: func() { pw.CloseWithError(errors.New("closing")) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- up.Run(pr, newAcks().send) }()
	f.m.Close()
	if err := <-done; err == nil {
		t.Fatal("no error")
	}
}

// TestAudioAndVideo: a cluster with H.264 and AAC frames (by time) is one
// fragment holding both tracks.
func TestAudioAndVideo(t *testing.T) {
	f := newFixture(t, Config{})
	aus, sps, pps, err := putmediatest.ReadH264(clip)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../fragments/testdata/audio.aac")
	if err != nil {
		t.Fatal(err)
	}
	var adts mpeg4audio.ADTSPackets
	if err := adts.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	asc := mpeg4audio.AudioSpecificConfig{Type: adts[0].Type, SampleRate: adts[0].SampleRate, ChannelConfig: adts[0].ChannelConfig}
	ascb, err := asc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body := putmediatest.Header(1000000,
		putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC", CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 320, Height: 240},
		putmediatest.Track{Number: 2, CodecID: "A_AAC", CodecPrivate: ascb, SampleRate: float64(asc.SampleRate), Channels: 1})
	type timed struct {
		ms int
		f  putmediatest.Frame
	}
	for g := 0; g < 3; g++ {
		var all []timed
		for i := g * 25; i < (g+1)*25; i++ {
			all = append(all, timed{i * 40, putmediatest.Frame{Track: 1, Keyframe: aus[i].Keyframe, Data: putmediatest.AVCC(aus[i].NALUs)}})
		}
		for i, p := range adts {
			ms := i * 1024 * 1000 / asc.SampleRate
			if ms >= g*1000 && ms < (g+1)*1000 {
				all = append(all, timed{ms, putmediatest.Frame{Track: 2, Keyframe: true, Data: p.AU}})
			}
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a].ms < all[b].ms })
		var frames []putmediatest.Frame
		for _, x := range all {
			x.f.Timecode = int16(x.ms - g*1000)
			frames = append(frames, x.f)
		}
		body = concat(body, putmediatest.Cluster(uint64(g*1000), frames...))
	}
	got, err := f.run(t, Request{TimecodeType: TimecodeAbsolute}, body)
	if err != nil {
		t.Fatal(err, got)
	}
	l := f.list(t)
	if persisted(got) != 3 || len(l) != 3 {
		t.Fatalf("%d persisted, %d stored", persisted(got), len(l))
	}
	st, _ := f.store.Lookup(fragments.StreamRef{Name: "cam"})
	for _, fi := range l {
		fr, _, err := st.Fragment(context.Background(), fi.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if len(fr.Tracks) != 2 || fr.Tracks[0].Samples != 25 || fr.Tracks[1].Samples < 40 {
			t.Fatalf("fragment %s: tracks %+v", fi.Number, fr.Tracks)
		}
	}
}

// TestNoRetentionNoPersisted: on a stream without retention RECEIVED is
// the last acknowledgement of a cluster.
func TestNoRetentionNoPersisted(t *testing.T) {
	f := newFixture(t, Config{})
	if _, err := f.store.CreateStream(fragments.CreateInput{Name: "live", RetentionHours: 0}); err != nil {
		t.Fatal(err)
	}
	header, clusters := gops(t, 0)
	up, err := f.svc.Start(Request{Stream: "live", TimecodeType: TimecodeAbsolute})
	if err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	if err := up.Run(bytes.NewReader(concat(header, clusters[0], clusters[1])), a.send); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, x := range a.got {
		events = append(events, x.EventType)
	}
	if got := strings.Join(events, ","); got != "BUFFERING,RECEIVED,BUFFERING,RECEIVED" {
		t.Fatalf("acks %s", got)
	}
}
