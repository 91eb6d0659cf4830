package playback

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback/ffdecode"
)

// paintDecoder stands in for ffmpeg in the sampling tests (the fragments
// here hold no real video; ffdecode's own tests and the end-to-end tests
// decode real video): it paints each frame asked for a solid gray of its
// index and records the calls.
type paintDecoder struct {
	mu    sync.Mutex
	calls [][]int
	fail  bool
	delay time.Duration // a decoder's run takes this long
}

func (d *paintDecoder) Frames(ctx context.Context, req ffdecode.Request, fn func(int, *image.RGBA) error) (int, error) {
	d.mu.Lock()
	d.calls = append(d.calls, slices.Clone(req.Frames))
	d.mu.Unlock()
	if d.fail {
		return 0, errors.New("decoder failed")
	}
	time.Sleep(d.delay)
	img := image.NewRGBA(image.Rect(0, 0, req.Width, req.Height))
	for i, f := range req.Frames {
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = byte(f*4), byte(f*4), byte(f*4), 255
		}
		if err := fn(i, img); err != nil {
			return i, err
		}
	}
	return len(req.Frames), nil
}

func (d *paintDecoder) reset() [][]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.calls
	d.calls = nil
	return c
}

// allImages pages through a request as the SDK's paginator does.
func allImages(t *testing.T, s *Service, in ImagesInput) []Image {
	t.Helper()
	var out []Image
	for pages := 0; ; pages++ {
		got, next, err := s.GetImages(context.Background(), in)
		if err != nil {
			t.Fatalf("GetImages page %d: %v", pages, err)
		}
		if in.MaxResults > 0 && len(got) > in.MaxResults || len(got) > ImagesPageSize {
			t.Fatalf("page of %d images, MaxResults %d", len(got), in.MaxResults)
		}
		out = append(out, got...)
		if next == "" {
			return out
		}
		in.NextToken = next
	}
}

func TestGetImagesSampling(t *testing.T) {
	s, st := newService(t, "thumbs", nil)
	dec := &paintDecoder{}
	s.cfg.Decoder = dec
	start := time.Unix(1_700_000_000, 0)
	// 2 s fragments at 0, 2, 4 s, then (a 5 s gap) at 11 and 13 s.
	fill(t, st, 5, start, 3, 1)
	published := func(t time.Time) (in bool, far bool) {
		d := t.Sub(start)
		in = d >= 0 && d < 6*time.Second || d >= 11*time.Second && d < 15*time.Second
		// A second or more from any media: nothing was published there.
		far = d <= -time.Second || d >= 7*time.Second && d <= 10*time.Second || d >= 16*time.Second
		return
	}
	in := ImagesInput{Stream: fragments.StreamRef{Name: "thumbs"}, SelectorType: fragments.ProducerTimestamp,
		Start: start.Add(-2 * time.Second), End: start.Add(17 * time.Second), Interval: 500 * time.Millisecond,
		Format: ImageJPEG, Width: 160, MaxResults: 10}
	images := allImages(t, s, in)
	if len(images) != 38 {
		t.Fatalf("%d images, want 38 (19 s every 500 ms)", len(images))
	}
	media, noMedia := 0, 0
	for i, im := range images {
		if want := in.Start.Add(time.Duration(i) * in.Interval); !im.Time.Equal(want) {
			t.Fatalf("image %d at %v, want %v", i, im.Time, want)
		}
		inside, far := published(im.Time)
		switch {
		case inside && im.Content == nil:
			t.Errorf("image at %v: %q inside the published media", im.Time.Sub(start), im.Error)
		case far && im.Error != ImageNoMedia:
			t.Errorf("image at %v: %q (%d bytes) where nothing was published", im.Time.Sub(start), im.Error, len(im.Content))
		case far:
			noMedia++
		case im.Content != nil:
			media++
			pic, err := jpeg.Decode(bytes.NewReader(im.Content))
			if err != nil || pic.Bounds() != image.Rect(0, 0, 160, 120) {
				t.Fatalf("image at %v: %v, %v", im.Time.Sub(start), err, pic)
			}
		}
	}
	if media < 20 || noMedia != 12 {
		t.Errorf("%d images with media, %d NO_MEDIA far from media (want 12)", media, noMedia)
	}
	calls := dec.reset()
	// One decoder run per fragment per page; fragment 0's frames nearest
	// its samples (-0.5 s is its neighbour, then 0, 0.5, 1, 1.5 s at 25 fps).
	if len(calls) > 5+3 {
		t.Errorf("%d decoder runs for 5 fragments over 4 pages", len(calls))
	}
	if !slices.ContainsFunc(calls, func(c []int) bool { return slices.Equal(c, []int{0, 12, 25, 37}) }) {
		t.Errorf("decoder runs %v lack fragment 0's frames 0, 12, 25, 37", calls)
	}
	// The same timeline again comes from the cache.
	again := allImages(t, s, in)
	if calls := dec.reset(); len(calls) != 0 {
		t.Errorf("warm: %d decoder runs: %v", len(calls), calls)
	}
	for i := range again {
		if !bytes.Equal(again[i].Content, images[i].Content) || again[i].Error != images[i].Error {
			t.Fatalf("warm image %d differs", i)
		}
	}
	// A gray of the frame index: the sample at 1 s is frame 25.
	pic, _ := jpeg.Decode(bytes.NewReader(images[6].Content))
	if r, _, _, _ := pic.At(80, 60).RGBA(); r>>8 < 95 || r>>8 > 105 {
		t.Errorf("sample at 1 s has gray %d, want about 100 (frame 25)", r>>8)
	}

	// PNG, stretched to both sizes given; height only keeps the aspect;
	// neither is the source size (320x240).
	for _, c := range []struct{ w, h, wantW, wantH int }{{100, 50, 100, 50}, {0, 60, 80, 60}, {0, 0, 320, 240}} {
		got, _, err := s.GetImages(context.Background(), ImagesInput{Stream: in.Stream, SelectorType: fragments.ProducerTimestamp,
			Start: start.Add(time.Second), End: start.Add(time.Second), Format: ImagePNG, Width: c.w, Height: c.h})
		if err != nil || len(got) != 1 || got[0].Content == nil {
			t.Fatalf("%dx%d: %v %+v", c.w, c.h, err, got)
		}
		pic, err := png.Decode(bytes.NewReader(got[0].Content))
		if err != nil || pic.Bounds() != image.Rect(0, 0, c.wantW, c.wantH) {
			t.Errorf("%dx%d: %v, %v", c.w, c.h, err, pic.Bounds())
		}
		if _, ok := pic.At(0, 0).(color.NRGBA); !ok && pic.ColorModel() != color.RGBAModel && pic.ColorModel() != color.NRGBAModel {
			t.Errorf("PNG color model %v", pic.ColorModel())
		}
	}

	// A decoder failure is MEDIA_ERROR for the samples it would have made.
	dec.fail = true
	got, _, err := s.GetImages(context.Background(), ImagesInput{Stream: in.Stream, SelectorType: fragments.ProducerTimestamp,
		Start: start.Add(11 * time.Second), End: start.Add(12 * time.Second), Interval: 300 * time.Millisecond, Format: ImagePNG, Width: 33})
	if err != nil || len(got) != 4 {
		t.Fatalf("failing decoder: %v, %d images", err, len(got))
	}
	for _, im := range got {
		if im.Error != ImageMediaError || im.Content != nil {
			t.Errorf("failing decoder: %+v", im)
		}
	}
}

func TestGetImagesInput(t *testing.T) {
	s, st := newService(t, "checks", nil)
	s.cfg.Decoder = &paintDecoder{}
	start := time.Unix(1_700_000_000, 0)
	fill(t, st, 3, start, 0, 1)
	base := ImagesInput{Stream: fragments.StreamRef{Name: "checks"}, SelectorType: fragments.ServerTimestamp,
		Start: start, End: start.Add(10 * time.Second), Interval: time.Second, Format: ImageJPEG}
	for name, c := range map[string]struct {
		change func(*ImagesInput)
		kind   error
	}{
		"selector":       {func(in *ImagesInput) { in.SelectorType = "NOW" }, registry.ErrInvalidArgument},
		"format":         {func(in *ImagesInput) { in.Format = "GIF" }, registry.ErrInvalidArgument},
		"range too long": {func(in *ImagesInput) { in.End = in.Start.Add(300*time.Second + time.Millisecond) }, registry.ErrInvalidArgument},
		"end first":      {func(in *ImagesInput) { in.End = in.Start.Add(-time.Millisecond) }, registry.ErrInvalidArgument},
		"interval":       {func(in *ImagesInput) { in.Interval = 199 * time.Millisecond }, registry.ErrInvalidArgument},
		"quality":        {func(in *ImagesInput) { in.Quality = 101 }, registry.ErrInvalidArgument},
		"width":          {func(in *ImagesInput) { in.Width = 3841 }, registry.ErrInvalidArgument},
		"height":         {func(in *ImagesInput) { in.Height = 2161 }, registry.ErrInvalidArgument},
		"no stream":      {func(in *ImagesInput) { in.Stream.Name = "nope" }, registry.ErrResourceNotFound},
		"token garbage":  {func(in *ImagesInput) { in.NextToken = "AAAA" }, registry.ErrInvalidArgument},
	} {
		in := base
		c.change(&in)
		if _, _, err := s.GetImages(context.Background(), in); !errors.Is(err, c.kind) {
			t.Errorf("%s: %v, want %v", name, err, c.kind)
		}
	}
	// Exactly 300 s is allowed: 300 samples a second apart, in pages of 25.
	in := base
	in.End = in.Start.Add(300 * time.Second)
	in.SelectorType = fragments.ProducerTimestamp
	got, next, err := s.GetImages(context.Background(), in)
	if err != nil || len(got) != ImagesPageSize || next == "" {
		t.Fatalf("300 s: %v, %d images, token %q", err, len(got), next)
	}
	// The token continues only its own request.
	other := in
	other.End = other.End.Add(-time.Second)
	other.NextToken = next
	if _, _, err := s.GetImages(context.Background(), other); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Errorf("token of another request: %v", err)
	}
	for i := range next {
		if next[i] == '=' {
			break
		}
		bad := in
		c := byte('A')
		if next[i] == 'A' {
			c = 'B'
		}
		bad.NextToken = next[:i] + string(c) + next[i+1:]
		if _, _, err := s.GetImages(context.Background(), bad); !errors.Is(err, registry.ErrInvalidArgument) {
			t.Fatalf("token changed at %d accepted: %v", i, err)
		}
	}
	in.NextToken = next
	got2, _, err := s.GetImages(context.Background(), in)
	if err != nil || len(got2) != ImagesPageSize || !got2[0].Time.Equal(start.Add(25*time.Second)) {
		t.Fatalf("second page: %v, %d", err, len(got2))
	}
	// A range shorter than the interval: the one image at the start.
	in = base
	in.End = in.Start.Add(999 * time.Millisecond)
	in.SelectorType = fragments.ProducerTimestamp
	if got, next, err := s.GetImages(context.Background(), in); err != nil || len(got) != 1 || next != "" || got[0].Content == nil {
		t.Errorf("short range: %v %+v %q", err, got, next)
	}
	// No decoder: the clear error, after the input checks.
	s.cfg.Decoder = nil
	if _, _, err := s.GetImages(context.Background(), base); !errors.Is(err, ErrImagesUnavailable) {
		t.Errorf("no decoder: %v", err)
	}
}

func TestImageCacheBound(t *testing.T) {
	c := newImageCache(10_000)
	v := imageVariant{width: 1, height: 1, format: ImageJPEG, quality: 80}
	for i := 0; i < 100; i++ {
		k := fragKey{stream: "s", seq: uint64(i)}
		c.putMeta(k, frameMeta{offsets: []time.Duration{0}, width: 1, height: 1})
		c.putImage(k, 0, v, make([]byte, 1000))
		if c.bytes() > 10_000 {
			t.Fatalf("cache holds %d bytes, over its 10000", c.bytes())
		}
	}
	if _, ok := c.image(fragKey{stream: "s", seq: 99}, 0, v); !ok {
		t.Error("the latest image was evicted")
	}
	if _, ok := c.image(fragKey{stream: "s", seq: 0}, 0, v); ok {
		t.Error("the oldest image is still cached")
	}
}

func TestNearestFrame(t *testing.T) {
	offs := []time.Duration{0, 40 * time.Millisecond, 80 * time.Millisecond}
	for at, want := range map[time.Duration]int{-time.Second: 0, 0: 0, 19 * time.Millisecond: 0, 20 * time.Millisecond: 0,
		21 * time.Millisecond: 1, 79 * time.Millisecond: 2, time.Hour: 2} {
		if got := nearestFrame(offs, at); got != want {
			t.Errorf("nearestFrame(%v) = %d, want %d", at, got, want)
		}
	}
	if n := sampleCount(0, time.Second); n != 1 {
		t.Errorf("empty range: %d samples", n)
	}
	if n := sampleCount(10*time.Second, 3*time.Second); n != 4 {
		t.Errorf("10 s every 3 s: %d samples", n)
	}
	if n := sampleCount(9*time.Second, 3*time.Second); n != 3 {
		t.Errorf("9 s every 3 s: %d samples", n)
	}
}

// FuzzOpenImagesToken: no input panics, and only what sealImagesToken made
// for the same request opens.
func FuzzOpenImagesToken(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	in := &ImagesInput{SelectorType: fragments.ProducerTimestamp, Start: time.Unix(1_700_000_000, 0),
		End: time.Unix(1_700_000_300, 0), Interval: time.Second}
	f.Add(sealImagesToken(key, "stream-id", in, 25))
	f.Add(sealImagesToken(key, "stream-id", in, 299))
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		next, err := openImagesToken(key, "stream-id", in, tok, 300)
		if err != nil {
			return
		}
		if next < 0 || next >= 300 || sealImagesToken(key, "stream-id", in, next) != tok {
			t.Fatalf("token %q opened to %d", tok, next)
		}
	})
}

// Viewers asking for the same thumbnails at once decode each fragment once.
func TestGetImagesConcurrentViewers(t *testing.T) {
	s, st := newService(t, "shared", nil)
	dec := &paintDecoder{delay: 100 * time.Millisecond} // long enough for the viewers to meet
	s.cfg.Decoder = dec
	start := time.Unix(1_700_000_000, 0)
	fill(t, st, 3, start, 0, 1)
	in := ImagesInput{Stream: fragments.StreamRef{Name: "shared"}, SelectorType: fragments.ProducerTimestamp,
		Start: start, End: start.Add(6 * time.Second), Interval: time.Second, Format: ImageJPEG, Width: 64}
	var wg sync.WaitGroup
	for v := 0; v < 8; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := s.GetImages(context.Background(), in)
			if err != nil || len(got) != 6 {
				t.Errorf("viewer: %v, %d images", err, len(got))
				return
			}
			for _, im := range got {
				if im.Content == nil {
					t.Errorf("viewer: %+v", im)
				}
			}
		}()
	}
	wg.Wait()
	if calls := dec.reset(); len(calls) != 3 {
		t.Errorf("%d decoder runs for 3 fragments: %v", len(calls), calls)
	}
	// A request whose context ends while another decodes its fragment gives up.
	k := fragKey{stream: st.ID(), seq: 1}
	unlock, err := s.images.lockFragment(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.images.lockFragment(ctx, k); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled wait: %v", err)
	}
	unlock()
	if len(s.images.decoding) != 0 {
		t.Errorf("%d decode locks left", len(s.images.decoding))
	}
}
