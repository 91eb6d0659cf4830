package playback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
)

// The MPD as the tests read it back.
type testMPD struct {
	Type                  string `xml:"type,attr"`
	AvailabilityStartTime string `xml:"availabilityStartTime,attr"`
	MinimumUpdatePeriod   string `xml:"minimumUpdatePeriod,attr"`
	Duration              string `xml:"mediaPresentationDuration,attr"`
	Periods               []struct {
		ID    string `xml:"id,attr"`
		Start string `xml:"start,attr"`
		Sets  []struct {
			ContentType string `xml:"contentType,attr"`
			MimeType    string `xml:"mimeType,attr"`
			Reps        []struct {
				Codecs   string `xml:"codecs,attr"`
				Width    int    `xml:"width,attr"`
				Height   int    `xml:"height,attr"`
				Template struct {
					Timescale uint64 `xml:"timescale,attr"`
					PTO       uint64 `xml:"presentationTimeOffset,attr"`
					Start     uint64 `xml:"startNumber,attr"`
					Init      string `xml:"initialization,attr"`
					Media     string `xml:"media,attr"`
					S         []struct {
						T  *uint64 `xml:"t,attr"`
						D  uint64  `xml:"d,attr"`
						TS string  `xml:"https://kinesisvideo.amazonaws.com/dash ts,attr"`
						FN string  `xml:"https://kinesisvideo.amazonaws.com/dash fn,attr"`
					} `xml:"SegmentTimeline>S"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

func parseMPD(t *testing.T, b []byte) testMPD {
	t.Helper()
	var m testMPD
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

func seconds(t *testing.T, d string) float64 {
	t.Helper()
	if !strings.HasPrefix(d, "PT") || !strings.HasSuffix(d, "S") {
		t.Fatalf("duration %q", d)
	}
	v, err := strconv.ParseFloat(d[2:len(d)-1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDASHOnDemandManifest: an ON_DEMAND MPD is static, has a Period per
// run of one init segment, a SegmentTimeline that follows the media's
// decode times without gaps, kvs:ts and kvs:fn on every S element, and
// URLs that serve the fragments.
func TestDASHOnDemandManifest(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s, st := newService(t, "cam", func() time.Time { return now })
	start := now.Add(-time.Hour)
	init := testInit(t)
	for i := 0; i < 10; i++ {
		// Fragment 6 starts a new publisher session: a new init segment
		// and a media timeline from zero.
		base := i
		if i >= 6 {
			base = i - 6
		}
		f := fakeFragment(t, init, base, start.Add(time.Duration(i)*2*time.Second), i == 0 || i == 6)
		if _, err := st.Append(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	path, err := s.StartDASH(context.Background(), DASHInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand,
		SelectorType: fragments.ProducerTimestamp, Start: ptr(start), End: ptr(now), DisplayTimestamp: "ALWAYS", DisplayNumber: "ALWAYS"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, "dash/v1/getDASHManifest.mpd?SessionToken=") {
		t.Fatalf("path %s", path)
	}
	tok := tokenOf(t, path)
	res, err := s.DASH(context.Background(), "getDASHManifest.mpd", url.Values{"SessionToken": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ContentType != "application/dash+xml" || res.Live {
		t.Errorf("content type %s, live %v", res.ContentType, res.Live)
	}
	if !bytes.Contains(res.Body, []byte(`xmlns:kvs="https://kinesisvideo.amazonaws.com/dash"`)) {
		t.Errorf("no kvs namespace:\n%s", res.Body)
	}
	m := parseMPD(t, res.Body)
	if m.Type != "static" || seconds(t, m.Duration) != 20 || len(m.Periods) != 2 {
		t.Fatalf("type %s, duration %s, %d periods:\n%s", m.Type, m.Duration, len(m.Periods), res.Body)
	}
	fragment := 0
	for pi, p := range m.Periods {
		if want := float64(12 * pi); seconds(t, p.Start) != want {
			t.Errorf("period %d starts at %s, want %v s", pi, p.Start, want)
		}
		if len(p.Sets) != 1 || len(p.Sets[0].Reps) != 1 {
			t.Fatalf("period %d: %d adaptation sets", pi, len(p.Sets))
		}
		set := p.Sets[0]
		rep := set.Reps[0]
		if set.ContentType != "video" || set.MimeType != "video/mp4" || rep.Codecs != "avc1.42c00d" || rep.Width != 320 || rep.Height != 240 {
			t.Errorf("period %d: %s %s %s %dx%d", pi, set.ContentType, set.MimeType, rep.Codecs, rep.Width, rep.Height)
		}
		tpl := rep.Template
		if tpl.Timescale != 90000 || tpl.PTO != 0 {
			t.Errorf("period %d: timescale %d, presentationTimeOffset %d", pi, tpl.Timescale, tpl.PTO)
		}
		if got := s.mustGet(t, tpl.Init); !bytes.Equal(got, init) {
			t.Errorf("period %d: init segment differs", pi)
		}
		next := tpl.PTO
		for k, sg := range tpl.S {
			if k == 0 && (sg.T == nil || *sg.T != next) {
				t.Errorf("period %d: timeline starts at %v, want %d", pi, sg.T, next)
			}
			if sg.T != nil && *sg.T != next {
				t.Errorf("period %d, S %d: gap or overlap (t %d, expected %d)", pi, k, *sg.T, next)
			}
			next += sg.D
			if sg.D != 180000 {
				t.Errorf("period %d, S %d: d %d", pi, k, sg.D)
			}
			want := start.Add(time.Duration(fragment) * 2 * time.Second).Format("2006-01-02T15:04:05.000Z")
			if sg.TS != want {
				t.Errorf("fragment %d: kvs:ts %q, want %q", fragment, sg.TS, want)
			}
			seq := tpl.Start + uint64(k)
			if sg.FN != st.FragmentNumber(seq) {
				t.Errorf("fragment %d: kvs:fn %q, want %q", fragment, sg.FN, st.FragmentNumber(seq))
			}
			media := strings.ReplaceAll(tpl.Media, "$Number$", strconv.FormatUint(seq, 10))
			f, _, err := st.Fragment(context.Background(), seq)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.mustGet(t, media); !bytes.Equal(got, f.Data) {
				t.Errorf("fragment %d: media segment differs", fragment)
			}
			fragment++
		}
	}
	if fragment != 10 {
		t.Errorf("%d fragments listed, want 10", fragment)
	}
	// Without DisplayFragment*, no kvs attributes and no namespace.
	path, err = s.StartDASH(context.Background(), DASHInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand,
		SelectorType: fragments.ProducerTimestamp, Start: ptr(start), End: ptr(now), MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.DASH(context.Background(), "getDASHManifest.mpd", url.Values{"SessionToken": {tokenOf(t, path)}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Body, []byte("kvs:")) {
		t.Errorf("kvs attributes without DisplayFragment*:\n%s", res.Body)
	}
	if m := parseMPD(t, res.Body); len(m.Periods) != 1 || len(m.Periods[0].Sets[0].Reps[0].Template.S) != 3 {
		t.Errorf("MaxManifestFragmentResults 3 not kept:\n%s", res.Body)
	}
}

// mustGet fetches a resource by its URL relative to the manifest.
func (s *Service) mustGet(t *testing.T, rel string) []byte {
	t.Helper()
	u, err := url.Parse(rel)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.DASH(context.Background(), u.Path, u.Query())
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if res.ContentType != "video/mp4" {
		t.Errorf("%s: content type %s", rel, res.ContentType)
	}
	return res.Body
}

// TestDASHLiveManifest: a LIVE MPD is dynamic, lists the newest fragments,
// and keeps its Period's id and the wall-clock place of its media as the
// window slides.
func TestDASHLiveManifest(t *testing.T) {
	s, st := newService(t, "cam", time.Now)
	start := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	init := testInit(t)
	add := func(i int) {
		if _, err := st.Append(context.Background(), fakeFragment(t, init, i, start.Add(time.Duration(i)*2*time.Second), i == 0)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 8; i++ {
		add(i)
	}
	first, _ := st.Bounds() // sequence number of fragment 0
	path, err := s.StartDASH(context.Background(), DASHInput{Stream: fragments.StreamRef{Name: "cam"}})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, path)
	var id string
	var zero float64
	for round := 0; round < 3; round++ {
		res, err := s.DASH(context.Background(), "getDASHManifest.mpd", url.Values{"SessionToken": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		m := parseMPD(t, res.Body)
		if m.Type != "dynamic" || !res.Live || m.AvailabilityStartTime != "1970-01-01T00:00:00.000Z" || m.MinimumUpdatePeriod == "" || len(m.Periods) != 1 {
			t.Fatalf("round %d:\n%s", round, res.Body)
		}
		p := m.Periods[0]
		tpl := p.Sets[0].Reps[0].Template
		if len(tpl.S) != 5 || tpl.Start != first+uint64(8+round-5) {
			t.Errorf("round %d: %d segments from %d, want the newest 5", round, len(tpl.S), tpl.Start)
		}
		// The first listed fragment's media time, placed on the wall clock
		// by the period start, is its producer time.
		first := float64(*tpl.S[0].T-tpl.PTO) / float64(tpl.Timescale)
		at := seconds(t, p.Start) + first
		want := float64(start.Add(time.Duration(8+round-5)*2*time.Second).UnixMilli()) / 1000
		if d := at - want; d > 0.001 || d < -0.001 {
			t.Errorf("round %d: first segment at %.3f, producer time %.3f", round, at, want)
		}
		if round == 0 {
			id, zero = p.ID, seconds(t, p.Start)
		} else if p.ID != id || seconds(t, p.Start) != zero {
			t.Errorf("round %d: period %s at %s, was %s at %v", round, p.ID, p.Start, id, zero)
		}
		add(8 + round)
	}
}

// TestDASHTokensAreNotHLSTokens: a DASH session's token opens no HLS
// resource, an HLS session's no DASH resource, and an expired session
// nothing.
func TestDASHTokensAreNotHLSTokens(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	s, st := newService(t, "cam", func() time.Time { return clock })
	start := now.Add(-time.Hour)
	fill(t, st, 3, start, 0, 1)
	ref := fragments.StreamRef{Name: "cam"}
	dashPath, err := s.StartDASH(context.Background(), DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
		Start: ptr(start), End: ptr(now)})
	if err != nil {
		t.Fatal(err)
	}
	hlsPath, err := s.StartHLS(context.Background(), HLSInput{Stream: ref, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
		Start: ptr(start), End: ptr(now)})
	if err != nil {
		t.Fatal(err)
	}
	dashTok, hlsTok := tokenOf(t, dashPath), tokenOf(t, hlsPath)
	for _, name := range []string{"getDASHManifest.mpd", "getMP4InitFragment.mp4", "getMP4MediaFragment.mp4"} {
		if _, err := s.DASH(context.Background(), name, url.Values{"SessionToken": {hlsTok}, "SequenceNumber": {"0"}}); !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("DASH %s with an HLS token: %v", name, err)
		}
	}
	for _, name := range []string{"getHLSMasterPlaylist.m3u8", "getHLSMediaPlaylist.m3u8", "getMP4InitFragment.mp4"} {
		if _, err := s.HLS(context.Background(), name, url.Values{"SessionToken": {dashTok}}); !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("HLS %s with a DASH token: %v", name, err)
		}
	}
	if _, err := s.DASH(context.Background(), "getDASHManifest.mpd", url.Values{"SessionToken": {dashTok}}); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(301 * time.Second)
	if _, err := s.DASH(context.Background(), "getDASHManifest.mpd", url.Values{"SessionToken": {dashTok}}); !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("expired session: %v", err)
	}
}

// TestDASHRequestRules: the HLS rules, with DASH's field names.
func TestDASHRequestRules(t *testing.T) {
	now := time.Now().Add(time.Hour) // the fragments were stored more than 30 s before
	s, st := newService(t, "cam", func() time.Time { return now })
	start := now.Add(-time.Hour)
	fill(t, st, 3, start, 0, 1)
	ref := fragments.StreamRef{Name: "cam"}
	for _, tc := range []struct {
		in   DASHInput
		want string
	}{
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand}, "DASHFragmentSelector"},
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, Start: ptr(start)}, "EndTimestamp is required"},
		{DASHInput{Stream: ref, Start: ptr(start)}, "must not be specified in LIVE"},
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, Start: ptr(start), End: ptr(now), MaxResults: 5001}, "MaxManifestFragmentResults"},
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, Start: ptr(start), End: ptr(now), DisplayNumber: "SOMETIMES"}, "DisplayFragmentNumber"},
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, Start: ptr(start), End: ptr(now), Expires: 299}, "Expires"},
		{DASHInput{Stream: ref, PlaybackMode: ModeOnDemand, Start: ptr(now.Add(-time.Minute)), End: ptr(now)}, "No fragments"},
		{DASHInput{Stream: ref}, "No fragments"}, // LIVE: nothing in the last 30 s
	} {
		if _, err := s.StartDASH(context.Background(), tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestDASHTrackSplit: a fragment with video and audio is served one track
// at a time.
func TestDASHTrackSplit(t *testing.T) {
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{
		{ID: 1, TimeScale: 90000, Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}},
		{ID: 2, TimeScale: 48000, Codec: &codecs.MPEG4Audio{Config: mpeg4audio.AudioSpecificConfig{Type: 2, SampleRate: 48000, ChannelConfig: 1}}},
	}}
	var ib seekablebuffer.Buffer
	if err := init.Marshal(&ib); err != nil {
		t.Fatal(err)
	}
	var parts fmp4.Parts
	for k := 0; k < 2; k++ {
		parts = append(parts, &fmp4.Part{SequenceNumber: uint32(k), Tracks: []*fmp4.PartTrack{
			{ID: 1, BaseTime: uint64(k) * 9000, Samples: []*fmp4.Sample{{Duration: 9000, Payload: []byte{0, 0, 0, 2, 0x65, byte(k)}}}},
			{ID: 2, BaseTime: uint64(k) * 4800, Samples: []*fmp4.Sample{{Duration: 4800, Payload: []byte{1, 2, byte(k)}}}},
		}})
	}
	var mb seekablebuffer.Buffer
	if err := parts.Marshal(&mb); err != nil {
		t.Fatal(err)
	}
	f := &fragments.Fragment{Init: ib.Bytes(), Data: mb.Bytes()}
	for n, id := range []int{1, 2} {
		b, err := initTrack(f.Init, n+1)
		if err != nil {
			t.Fatal(err)
		}
		var got fmp4.Init
		if err := got.Unmarshal(bytes.NewReader(b)); err != nil || len(got.Tracks) != 1 || got.Tracks[0].ID != id {
			t.Fatalf("init of track %d: %v %+v", n+1, err, got.Tracks)
		}
		b, err = mediaTrack(f, n+1)
		if err != nil {
			t.Fatal(err)
		}
		var gp fmp4.Parts
		if err := gp.Unmarshal(b); err != nil || len(gp) != 2 {
			t.Fatalf("media of track %d: %v, %d parts", n+1, err, len(gp))
		}
		for k, p := range gp {
			if len(p.Tracks) != 1 || p.Tracks[0].ID != id || p.Tracks[0].BaseTime != parts[k].Tracks[n].BaseTime ||
				!bytes.Equal(p.Tracks[0].Samples[0].Payload, parts[k].Tracks[n].Samples[0].Payload) {
				t.Errorf("media of track %d, part %d: %+v", n+1, k, p.Tracks[0])
			}
		}
	}
	if _, err := initTrack(f.Init, 3); err == nil {
		t.Error("track 3 of a two-track init served")
	}
}

// BenchmarkDASHManifest5000 builds the ON_DEMAND MPD of KVS's most
// fragments, 5,000 2 s fragments (from the bbolt index), with kvs:ts and
// kvs:fn on every S element.
func BenchmarkDASHManifest5000(b *testing.B) {
	now := time.Now()
	s, st := newService(b, "day", func() time.Time { return now })
	start := now.Add(-4 * time.Hour)
	const n = maxPlaylistItems
	fill(b, st, n, start, 0, 1) // in order: one run, one Period
	sess := session{StreamID: st.ID(), Mode: ModeOnDemand, DASH: true, Producer: true, Container: ContainerFMP4, Disc: DiscontinuityNever,
		ShowTime: true, ShowNum: true, Start: start.UnixNano(), End: now.UnixNano(), Max: n}
	tok := sealSession(s.cfg.Key, sess)
	var size int
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := s.manifest(context.Background(), st, sess, tok)
		if err != nil {
			b.Fatal(err)
		}
		size = len(res.Body)
		if got := bytes.Count(res.Body, []byte("<S ")); got != n {
			b.Fatalf("%d S elements", got)
		}
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/float64(b.N), "ms/manifest")
	b.ReportMetric(float64(size)/(1<<20), "MiB/manifest")
	b.ReportMetric(0, "ns/op")
}
