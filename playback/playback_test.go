package playback

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	hlsplaylist "github.com/bluenviron/gohlslib/v2/pkg/playlist"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
)

// A 320x240 H.264 SPS and PPS (x264 baseline).
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x42, 0x99, 0x20}
	testPPS = []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
)

// openStore opens an on-disk video store (bbolt index, encrypted logs).
func openStore(t testing.TB) *fragments.Store {
	t.Helper()
	st := fragmentstest.Open(t, fragments.Config{})
	return st
}

func testInit(t testing.TB) []byte {
	t.Helper()
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{ID: 1, TimeScale: 90000, Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}}}}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeFragment is a 2 s fragment of 50 tiny samples starting at producer time at.
func fakeFragment(t testing.TB, init []byte, i int, at time.Time, disc bool) *fragments.Fragment {
	t.Helper()
	pt := &fmp4.PartTrack{ID: 1, BaseTime: uint64(i) * 180000}
	for j := 0; j < 50; j++ {
		pt.Samples = append(pt.Samples, &fmp4.Sample{Duration: 3600, IsNonSyncSample: j > 0, Payload: []byte{0, 0, 0, 2, 0x65, byte(j)}})
	}
	var buf seekablebuffer.Buffer
	if err := (&fmp4.Part{SequenceNumber: uint32(i), Tracks: []*fmp4.PartTrack{pt}}).Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	return &fragments.Fragment{Init: init, Data: buf.Bytes(), ProducerTime: at, Duration: 2 * time.Second, Discontinuity: disc,
		Tracks: []fragments.TrackInfo{{ID: 1, TimeScale: 90000, BaseTime: pt.BaseTime, Duration: 180000, Samples: 50}}}
}

// fill appends n fragments 2 s apart from start, with a gap of gapAt (when
// positive) before fragment gapAt, by workers appenders at once.
func fill(t testing.TB, st *fragments.Stream, n int, start time.Time, gapAt, workers int) {
	t.Helper()
	init := testInit(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				at := start.Add(time.Duration(i) * 2 * time.Second)
				if gapAt > 0 && i >= gapAt {
					at = at.Add(5 * time.Second)
				}
				if _, err := st.Append(context.Background(), fakeFragment(t, init, i, at, i == 0)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func newService(t testing.TB, name string, now func() time.Time) (*Service, *fragments.Stream) {
	t.Helper()
	store := openStore(t)
	if _, err := store.CreateStream(fragments.CreateInput{Name: name, RetentionHours: 48}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Lookup(fragments.StreamRef{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: store, Key: []byte("0123456789abcdef0123456789abcdef"), Now: now}), st
}

func tokenOf(t testing.TB, path string) string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("SessionToken")
}

func TestSessionTokenTampering(t *testing.T) {
	key := []byte("k")
	tok := sealSession(key, session{StreamID: "abc", Mode: ModeOnDemand, Container: ContainerFMP4, Disc: DiscontinuityAlways,
		Start: 1, End: 2, Max: 1000, Created: 3, Expires: time.Now().Add(time.Hour).UnixNano()})
	if _, err := openSession(key, tok, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	// Every one-character change of the token is refused.
	for i := range tok {
		chars := []byte{'A', 'B', '_'}
		if i == len(tok)-1 {
			chars = []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
		}
		for _, c := range chars {
			if tok[i] == c {
				continue
			}
			bad := tok[:i] + string(c) + tok[i+1:]
			if _, err := openSession(key, bad, time.Now(), false); !errors.Is(err, ErrNotAuthorized) {
				t.Fatalf("token changed at %d (%q) accepted: %v", i, c, err)
			}
		}
	}
	// So is every one-byte change of its contents, and a token sealed with another key.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		if _, err := openSession(key, base64.RawURLEncoding.EncodeToString(b), time.Now(), false); !errors.Is(err, ErrNotAuthorized) {
			t.Fatalf("byte %d altered accepted", i)
		}
	}
	if _, err := openSession([]byte("other"), tok, time.Now(), false); !errors.Is(err, ErrNotAuthorized) {
		t.Fatal("token of another key accepted")
	}
	// Go's base64 decoders skip CR and LF, even in Strict mode: a token with
	// them inserted decodes to the same bytes, yet it is not the token issued.
	for _, at := range []int{0, 1, len(tok) / 2, len(tok) - 1, len(tok)} {
		for _, ins := range []string{"\r", "\n", "\r\n", "\n\n"} {
			bad := tok[:at] + ins + tok[at:]
			if _, err := openSession(key, bad, time.Now(), false); !errors.Is(err, ErrNotAuthorized) {
				t.Fatalf("token with %q inserted at %d accepted: %v", ins, at, err)
			}
		}
	}
}

// A session URL whose token has CR/LF inserted (as %0D%0A in the query)
// is refused like any other changed token.
func TestSessionTokenWithLineBreaks(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s, st := newService(t, "cam", func() time.Time { return now })
	fill(t, st, 3, now.Add(-time.Hour), 0, 1)
	path, err := s.StartHLS(context.Background(), HLSInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
		Start: ptr(now.Add(-2 * time.Hour)), End: ptr(now), Expires: 300})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, path)
	if _, err := s.HLS(context.Background(), "getHLSMasterPlaylist.m3u8", url.Values{"SessionToken": {tok}}); err != nil {
		t.Fatalf("issued token: %v", err)
	}
	u, _ := url.Parse("/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + tok[:7] + "%0D%0A" + tok[7:])
	if _, err := s.HLS(context.Background(), "getHLSMasterPlaylist.m3u8", u.Query()); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("token with CR/LF: %v", err)
	}
}

func TestSessionExpires(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, st := newService(t, "cam", clock)
	fill(t, st, 10, now.Add(-time.Hour), 0, 1)
	path, err := s.StartHLS(context.Background(), HLSInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
		Start: ptr(now.Add(-2 * time.Hour)), End: ptr(now), Expires: 300})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"SessionToken": {tokenOf(t, path)}}
	if _, err := s.HLS(context.Background(), "getHLSMasterPlaylist.m3u8", q); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	now = now.Add(301 * time.Second)
	_, err = s.HLS(context.Background(), "getHLSMediaPlaylist.m3u8", q)
	if !errors.Is(err, ErrNotAuthorized) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired session: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestOnDemandDiscontinuityModes(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s, st := newService(t, "cam", func() time.Time { return now })
	start := now.Add(-time.Hour)
	fill(t, st, 10, start, 6, 1) // a 5 s gap before fragment 6
	for _, tc := range []struct {
		mode  string
		discs int
	}{{DiscontinuityAlways, 10}, {DiscontinuityNever, 0}, {DiscontinuityOn, 2}} {
		path, err := s.StartHLS(context.Background(), HLSInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
			Start: ptr(start), End: ptr(now), Discontinuity: tc.mode, DisplayTimestamp: "ALWAYS"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.HLS(context.Background(), "getHLSMediaPlaylist.m3u8", url.Values{"SessionToken": {tokenOf(t, path)}})
		if err != nil {
			t.Fatal(err)
		}
		pl, err := hlsplaylist.Unmarshal(res.Body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.mode, err, res.Body)
		}
		m := pl.(*hlsplaylist.Media)
		discs := 0
		for i, seg := range m.Segments {
			if seg.Discontinuity {
				discs++
			}
			want := start.Add(time.Duration(i) * 2 * time.Second)
			if i >= 6 {
				want = want.Add(5 * time.Second)
			}
			if seg.DateTime == nil || !seg.DateTime.Equal(want) || seg.Duration != 2*time.Second {
				t.Errorf("%s: segment %d at %v for %v", tc.mode, i, seg.DateTime, seg.Duration)
			}
		}
		if len(m.Segments) != 10 || !m.Endlist || discs != tc.discs {
			t.Errorf("%s: %d segments, endlist %v, %d discontinuities (want %d)", tc.mode, len(m.Segments), m.Endlist, discs, tc.discs)
		}
	}
	// A range picks exactly the fragments that start in it.
	path, err := s.StartHLS(context.Background(), HLSInput{Stream: fragments.StreamRef{Name: "cam"}, PlaybackMode: ModeOnDemand, SelectorType: fragments.ProducerTimestamp,
		Start: ptr(start.Add(2 * time.Second)), End: ptr(start.Add(8 * time.Second))})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := s.HLS(context.Background(), "getHLSMediaPlaylist.m3u8", url.Values{"SessionToken": {tokenOf(t, path)}})
	if n := strings.Count(string(res.Body), "#EXTINF"); n != 4 {
		t.Errorf("range of fragments 1 to 4 lists %d", n)
	}
	// Requests KVS refuses.
	for name, in := range map[string]HLSInput{
		"live with range": {PlaybackMode: ModeLive, Start: ptr(start)},
		"no end":          {PlaybackMode: ModeOnDemand, Start: ptr(start)},
		"over 24 h":       {PlaybackMode: ModeOnDemand, Start: ptr(start), End: ptr(start.Add(25 * time.Hour))},
		"expires":         {Expires: 299},
		"max results":     {MaxResults: 5001},
		"container":       {ContainerFormat: "WEBM"},
	} {
		in.Stream = fragments.StreamRef{Name: "cam"}
		if _, err := s.StartHLS(context.Background(), in); !errors.Is(err, registry.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkOnDemandPlaylist24h builds the ON_DEMAND media playlist of 24 h
// of 2 s fragments (43,200 of them, from the bbolt index): in full, and
// capped at KVS's 5,000 entries as sessions are.
func BenchmarkOnDemandPlaylist24h(b *testing.B) {
	now := time.Now()
	s, st := newService(b, "day", func() time.Time { return now })
	start := now.Add(-25 * time.Hour)
	const n = 43200
	fill(b, st, n, start, 0, 64)
	for _, max := range []int{n, maxPlaylistItems} {
		b.Run(fmt.Sprintf("entries=%d", max), func(b *testing.B) {
			sess := session{StreamID: st.ID(), Mode: ModeOnDemand, Producer: true, Container: ContainerFMP4, Disc: DiscontinuityNever,
				ShowTime: true, Start: start.UnixNano(), End: start.Add(24 * time.Hour).UnixNano(), Max: max}
			tok := sealSession(s.cfg.Key, sess)
			u := uris{token: tok, st: st}
			var size int
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				res, err := s.onDemandPlaylist(context.Background(), st, sess, u)
				if err != nil {
					b.Fatal(err)
				}
				size = len(res.Body)
				if got := strings.Count(string(res.Body), "#EXTINF"); got != min(max, n) {
					b.Fatalf("%d entries", got)
				}
			}
			b.ReportMetric(float64(time.Since(t0).Milliseconds())/float64(b.N), "ms/playlist")
			b.ReportMetric(float64(size)/(1<<20), "MiB/playlist")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func TestAppendTimeMatchesFormat(t *testing.T) {
	for _, ts := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 22, 23, 59, 59, 999999999, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 6000000, time.FixedZone("x", 3600)), time.Now()} {
		if got, want := string(appendTime(nil, ts)), ts.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("%v: %s, want %s", ts, got, want)
		}
	}
}

// FuzzOpenSession: no token crashes the check, only sealed ones pass, and
// none passes as both an HLS and a DASH token.
func FuzzOpenSession(f *testing.F) {
	key := []byte("fuzz-key")
	good := sealSession(key, session{StreamID: "id", Mode: ModeLive, Container: ContainerTS, Disc: DiscontinuityOn, Max: 5,
		Expires: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()})
	dash := sealSession(key, session{StreamID: "id", Mode: ModeOnDemand, DASH: true, ShowNum: true, ShowTime: true, Container: ContainerFMP4,
		Disc: DiscontinuityNever, Max: 1000, Start: 1, End: 2, Expires: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()})
	f.Add(good)
	f.Add(dash)
	f.Add("")
	f.Add("AQ")
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, tok string) {
		passed := 0
		for _, proto := range []bool{false, true} {
			s, err := openSession(key, tok, time.Now(), proto)
			if err != nil {
				if !errors.Is(err, ErrNotAuthorized) {
					t.Fatalf("error of the wrong kind: %v", err)
				}
				continue
			}
			passed++
			if s.DASH != proto || sealSession(key, s) != tok {
				t.Fatalf("accepted a token that is not the seal of its session: %q", tok)
			}
		}
		if passed > 1 {
			t.Fatalf("token %q passes for HLS and DASH", tok)
		}
	})
}

// A plain live playlist ends endGrace target durations after the newest
// fragment or the publisher's leaving, whichever is later; never while a
// publisher is connected.
func TestLiveEnded(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	recent := []fragments.FragmentInfo{{Seq: 1, Duration: 1500 * time.Millisecond, ServerTime: at}}
	for _, c := range []struct {
		name  string
		v     fragments.LiveView
		after time.Duration
		want  bool
	}{
		{"publishing", fragments.LiveView{Recent: recent, Publishing: true}, time.Hour, false},
		{"within grace", fragments.LiveView{Recent: recent}, 3999 * time.Millisecond, false},
		{"after grace (2 targets of 2 s)", fragments.LiveView{Recent: recent}, 4 * time.Second, true},
		{"grace counts from the leaving", fragments.LiveView{Recent: recent, PublisherLeft: at.Add(time.Second)}, 4 * time.Second, false},
		{"and ends after it", fragments.LiveView{Recent: recent, PublisherLeft: at.Add(time.Second)}, 5 * time.Second, true},
		{"nothing to play", fragments.LiveView{}, 0, true},
	} {
		if got := liveEnded(c.v, 6, at.Add(c.after)); got != c.want {
			t.Errorf("%s: ended %v, want %v", c.name, got, c.want)
		}
	}
}
