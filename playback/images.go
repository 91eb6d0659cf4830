package playback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback/ffdecode"
)

// GetImages formats, per-image errors and limits, as KVS names and sets them.
const (
	ImageJPEG       = "JPEG"
	ImagePNG        = "PNG"
	ImageNoMedia    = "NO_MEDIA"
	ImageMediaError = "MEDIA_ERROR"

	// ImagesMaxRange bounds EndTimestamp - StartTimestamp.
	ImagesMaxRange = 300 * time.Second
	// ImagesMinInterval is the shortest SamplingInterval.
	ImagesMinInterval = 200 * time.Millisecond
	// ImagesDefaultInterval is the SamplingInterval when none is given
	// (the model marks it optional and says nothing of a default).
	ImagesDefaultInterval = 3 * time.Second
	// ImagesPageSize is the most images one answer holds.
	ImagesPageSize = 25
	// DefaultJPEGQuality is the JPEG quality when FormatConfig has none.
	DefaultJPEGQuality = 80
	// DefaultImageCacheBytes bounds the cache of decoded images.
	DefaultImageCacheBytes = 64 << 20

	// imageMaxBase64 is the largest ImageContent KVS returns, in base64
	// characters.
	imageMaxBase64 = 6291456
	// imageNeighbour is how far outside a fragment a sample time may lie
	// and still get that fragment's nearest frame (producers' timestamps
	// leave slivers between fragments); farther out nothing was published.
	imageNeighbour = 500 * time.Millisecond
	// imageLookback is how long before a sample time a fragment covering
	// it may start: longer than any fragment.
	imageLookback = time.Minute
)

// ErrImagesUnavailable is GetImages' error when the server has no decoder
// (no ffmpeg binary); web/kvs answers it with a message that says what to
// install.
var ErrImagesUnavailable = errors.New("images unavailable")

// FrameDecoder decodes frames of a fragment (*ffdecode.Decoder is one).
type FrameDecoder interface {
	Frames(ctx context.Context, req ffdecode.Request, fn func(i int, img *image.RGBA) error) (int, error)
}

// ImagesInput is a GetImages request, checked against the model by the
// caller (patterns, lengths, required members).
type ImagesInput struct {
	Stream       fragments.StreamRef
	SelectorType string
	Start, End   time.Time
	// Interval is the SamplingInterval; 0 means ImagesDefaultInterval.
	Interval time.Duration
	Format   string
	// Quality is the JPEG quality, 1..100; 0 means DefaultJPEGQuality.
	Quality int
	// Width and Height are the pictures' size; 0 for either keeps the
	// source's aspect, 0 for both is the source size.
	Width, Height int
	// MaxResults bounds the answer (at most ImagesPageSize); 0 means the page size.
	MaxResults int
	NextToken  string
}

// Image is one sample of a GetImages answer: Content (an encoded JPEG or
// PNG) or Error (ImageNoMedia, ImageMediaError).
type Image struct {
	Time    time.Time
	Error   string
	Content []byte
}

// GetImages returns one page of images sampled from a stream's stored
// fragments, and the token of the next page ("" at the end).
func (s *Service) GetImages(ctx context.Context, in ImagesInput) ([]Image, string, error) {
	if err := checkImagesInput(&in); err != nil {
		return nil, "", err
	}
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return nil, "", err
	}
	if s.cfg.Decoder == nil {
		return nil, "", errorf(ErrImagesUnavailable, "GetImages needs the ffmpeg binary to decode video, and this server has none: "+
			"install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or point --ffmpeg (SHARDCAST_FFMPEG) at it, then restart shardcast.")
	}
	if st.Info().RetentionHours == 0 {
		return nil, "", errorf(registry.ErrNoDataRetention, "The stream %s does not retain data.", st.Info().Name)
	}
	total := sampleCount(in.End.Sub(in.Start), in.Interval)
	next := 0
	if in.NextToken != "" {
		if next, err = openImagesToken(s.cfg.Key, st.ID(), &in, in.NextToken, total); err != nil {
			return nil, "", err
		}
	}
	page := ImagesPageSize
	if in.MaxResults > 0 && in.MaxResults < page {
		page = in.MaxResults
	}
	end := min(total, next+page)
	times := make([]time.Time, 0, end-next)
	for i := next; i < end; i++ {
		times = append(times, in.Start.Add(time.Duration(i)*in.Interval))
	}
	out, err := s.sampleImages(ctx, st, &in, times)
	if err != nil {
		return nil, "", err
	}
	token := ""
	if end < total {
		token = sealImagesToken(s.cfg.Key, st.ID(), &in, end)
	}
	return out, token, nil
}

// checkImagesInput applies the rules the model's shapes cannot express
// and fills in defaults.
func checkImagesInput(in *ImagesInput) error {
	if in.SelectorType != fragments.ProducerTimestamp && in.SelectorType != fragments.ServerTimestamp {
		return invalid("ImageSelectorType %q is not one of PRODUCER_TIMESTAMP, SERVER_TIMESTAMP.", in.SelectorType)
	}
	if in.Format != ImageJPEG && in.Format != ImagePNG {
		return invalid("Format %q is not one of JPEG, PNG.", in.Format)
	}
	if in.Start.IsZero() || in.End.IsZero() {
		return invalid("StartTimestamp and EndTimestamp are required.")
	}
	if in.End.Before(in.Start) {
		return invalid("The EndTimestamp must not be earlier than the StartTimestamp.")
	}
	if in.End.Sub(in.Start) > ImagesMaxRange {
		return invalid("The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds.")
	}
	if in.Interval == 0 {
		in.Interval = ImagesDefaultInterval
	}
	if in.Interval < ImagesMinInterval {
		return invalid("SamplingInterval must be at least 200 milliseconds.")
	}
	if in.Quality == 0 {
		in.Quality = DefaultJPEGQuality
	}
	if in.Quality < 1 || in.Quality > 100 {
		return invalid("JPEGQuality must be an integer from 1 to 100.")
	}
	if in.Width < 0 || in.Width > 3840 || in.Height < 0 || in.Height > 2160 {
		return invalid("WidthPixels must be from 1 to 3840 and HeightPixels from 1 to 2160.")
	}
	return nil
}

// sampleCount is how many samples a range holds: one per interval from the
// start, the end excluded, and at least the one at the start.
func sampleCount(span, interval time.Duration) int {
	n := int((span + interval - 1) / interval)
	return max(n, 1)
}

// NextToken layout (standard base64, as the model's pattern wants): version
// 1 | next sample 4 | HMAC-SHA256, first 12 bytes, of the stream id, the
// request's timeline (selector, start, end, interval) and the next sample.
// A token only continues the request that made it.
const (
	imagesTokenVersion = 1
	imagesTokenMAC     = 12
)

func imagesTokenMACOf(key []byte, streamID string, in *ImagesInput, next uint32) []byte {
	m := hmac.New(sha256.New, key)
	b := []byte("shardcast GetImages\x00")
	b = append(b, streamID...)
	b = append(b, 0, in.SelectorType[0])
	for _, v := range []int64{in.Start.UnixNano(), in.End.UnixNano(), int64(in.Interval)} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = binary.BigEndian.AppendUint32(b, next)
	m.Write(b)
	return m.Sum(nil)[:imagesTokenMAC]
}

func sealImagesToken(key []byte, streamID string, in *ImagesInput, next int) string {
	b := []byte{imagesTokenVersion}
	b = binary.BigEndian.AppendUint32(b, uint32(next))
	b = append(b, imagesTokenMACOf(key, streamID, in, uint32(next))...)
	return base64.StdEncoding.EncodeToString(b)
}

// openImagesToken checks a NextToken against the request and returns the
// sample it continues at.
func openImagesToken(key []byte, streamID string, in *ImagesInput, token string, total int) (int, error) {
	bad := invalid("The NextToken is not valid for this request.")
	b, err := base64.StdEncoding.Strict().DecodeString(token)
	if err != nil || base64.StdEncoding.EncodeToString(b) != token || len(b) != 5+imagesTokenMAC || b[0] != imagesTokenVersion {
		return 0, bad
	}
	next := binary.BigEndian.Uint32(b[1:])
	if !hmac.Equal(b[5:], imagesTokenMACOf(key, streamID, in, next)) || int64(next) >= int64(total) {
		return 0, bad
	}
	return int(next), nil
}

// coverage is where one sample's picture comes from.
type coverage struct {
	frag  int           // index into the fragments selected; -1: none
	at    time.Duration // sample time from the fragment's start
	frame int           // frame index in presentation order, once known
}

// sampleImages makes the images of the sample times: each time goes to the
// stored fragment covering it (or one ending or starting within
// imageNeighbour), each fragment is decoded once for all its times.
func (s *Service) sampleImages(ctx context.Context, st *fragments.Stream, in *ImagesInput, times []time.Time) ([]Image, error) {
	out := make([]Image, len(times))
	for i, t := range times {
		out[i].Time = t
	}
	if len(times) == 0 {
		return out, nil
	}
	sel := fragments.Selector{Type: in.SelectorType, Start: times[0].Add(-imageLookback), End: times[len(times)-1].Add(imageNeighbour)}
	frags, _, err := st.Select(ctx, sel, 1<<16)
	if err != nil {
		return nil, err
	}
	startOf := func(f *fragments.FragmentInfo) time.Time {
		if in.SelectorType == fragments.ProducerTimestamp {
			return f.ProducerTime
		}
		return f.ServerTime
	}
	cov := make([]coverage, len(times))
	byFrag := map[int][]int{} // fragment index -> samples
	for i, t := range times {
		best, bestDist := -1, time.Duration(math.MaxInt64)
		for j := range frags {
			start := startOf(&frags[j])
			end := start.Add(frags[j].Duration)
			var dist time.Duration
			switch {
			case t.Before(start) && start.Sub(t) < time.Millisecond:
				// Timestamps travel in milliseconds: a fragment's own
				// start, sent back, is in that fragment.
			case t.Before(start):
				dist = start.Sub(t)
			case !t.Before(end):
				dist = t.Sub(end) + 1 // the end itself belongs to the next fragment
			}
			// The latest of equally near fragments: a restarted producer's.
			if dist <= bestDist {
				best, bestDist = j, dist
			}
		}
		if best < 0 || bestDist > imageNeighbour {
			out[i].Error = ImageNoMedia
			cov[i].frag = -1
			continue
		}
		cov[i] = coverage{frag: best, at: t.Sub(startOf(&frags[best]))}
		byFrag[best] = append(byFrag[best], i)
	}
	order := make([]int, 0, len(byFrag))
	for j := range byFrag {
		order = append(order, j)
	}
	sort.Ints(order)
	// Fragments are decoded concurrently; the decoder bounds processes
	// server wide, this bounds the goroutines of one request.
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, j := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			defer func() { <-sem }()
			err := s.fragmentImages(ctx, st, in, frags[j].Seq, byFrag[j], cov, out)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(j)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// fragmentImages fills out[i] for the samples idx that fall in fragment
// seq: from the cache, else by one decoder run for every frame missing.
// Failures to read or decode the media are MEDIA_ERROR images; only the
// request's end is an error.
func (s *Service) fragmentImages(ctx context.Context, st *fragments.Stream, in *ImagesInput, seq uint64, idx []int, cov []coverage, out []Image) error {
	fail := func() {
		for _, i := range idx {
			out[i].Error = ImageMediaError
		}
	}
	key := fragKey{stream: st.ID(), seq: seq}
	meta, ok := s.images.meta(key)
	var frag *fragments.Fragment
	if !ok {
		f, _, err := st.Fragment(ctx, seq)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.cfg.Logger.Warn("playback: GetImages cannot read a fragment", "stream", st.Info().Name, "seq", seq, "err", err)
			fail()
			return nil
		}
		frag = f
		meta = frameMetaOf(f)
		s.images.putMeta(key, meta)
	}
	if len(meta.offsets) == 0 || meta.width == 0 || meta.height == 0 {
		fail() // no video track, or one whose size cannot be read
		return nil
	}
	w, h := outputSize(meta.width, meta.height, in.Width, in.Height)
	quality := 0
	if in.Format == ImageJPEG {
		quality = in.Quality
	}
	variant := imageVariant{width: w, height: h, format: in.Format, quality: quality}
	var missing []int // frames to decode, ascending
	for _, i := range idx {
		cov[i].frame = nearestFrame(meta.offsets, cov[i].at)
		if b, ok := s.images.image(key, cov[i].frame, variant); ok {
			out[i].Content = b
		} else if !slices.Contains(missing, cov[i].frame) {
			missing = append(missing, cov[i].frame)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// One decoder run per fragment at a time: a request that waited takes
	// what the one before it decoded.
	unlock, err := s.images.lockFragment(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	still := missing[:0]
	for _, n := range missing {
		if _, ok := s.images.image(key, n, variant); !ok {
			still = append(still, n)
		}
	}
	missing = still
	for _, i := range idx {
		if out[i].Content == nil {
			out[i].Content, _ = s.images.image(key, cov[i].frame, variant)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	if frag == nil {
		f, _, err := st.Fragment(ctx, seq)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fail()
			return nil
		}
		frag = f
	}
	encoded := make(map[int][]byte, len(missing))
	var buf bytes.Buffer
	_, err = s.cfg.Decoder.Frames(ctx, ffdecode.Request{Init: frag.Init, Data: frag.Data, Frames: missing, Width: w, Height: h},
		func(n int, img *image.RGBA) error {
			buf.Reset()
			if err := encodeImage(&buf, img, in.Format, in.Quality); err != nil {
				return err
			}
			b := bytes.Clone(buf.Bytes())
			encoded[missing[n]] = b
			s.images.putImage(key, missing[n], variant, b)
			return nil
		})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		s.cfg.Logger.Warn("playback: GetImages cannot decode a fragment", "stream", st.Info().Name, "seq", seq, "err", err)
	}
	for _, i := range idx {
		if out[i].Content != nil {
			continue
		}
		if b := encoded[cov[i].frame]; b != nil && base64.StdEncoding.EncodedLen(len(b)) <= imageMaxBase64 {
			out[i].Content = b
		} else {
			out[i].Error = ImageMediaError
		}
	}
	return nil
}

// encodeImage writes img as JPEG (at quality) or PNG.
func encodeImage(buf *bytes.Buffer, img *image.RGBA, format string, quality int) error {
	if format == ImageJPEG {
		return jpeg.Encode(buf, img, &jpeg.Options{Quality: quality})
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(buf, img)
}

// outputSize is the picture size asked for: both given, that size; one
// given, the other by the source's aspect; neither, the source size.
func outputSize(srcW, srcH, w, h int) (int, int) {
	switch {
	case w > 0 && h > 0:
		return w, h
	case w > 0:
		return w, max(1, int(math.Round(float64(w)*float64(srcH)/float64(srcW))))
	case h > 0:
		return max(1, int(math.Round(float64(h)*float64(srcW)/float64(srcH)))), h
	}
	return srcW, srcH
}

// frameMeta is what sampling needs of a fragment: the presentation times
// of its video frames from the fragment's start, ascending, and the
// picture size.
type frameMeta struct {
	offsets       []time.Duration
	width, height int
}

func frameMetaOf(f *fragments.Fragment) frameMeta {
	tracks, err := decode(f)
	if err != nil {
		return frameMeta{}
	}
	for _, t := range tracks {
		if !t.video() || t.TimeScale == 0 {
			continue
		}
		pts := make([]int64, len(t.Samples))
		for i, smp := range t.Samples {
			pts[i] = smp.DTS + int64(smp.PTSOffset)
		}
		slices.Sort(pts)
		m := frameMeta{offsets: make([]time.Duration, len(pts))}
		for i, p := range pts {
			m.offsets[i] = time.Duration(float64(p-pts[0]) * float64(time.Second) / float64(t.TimeScale))
		}
		m.width, m.height = resolution(t.Codec)
		return m
	}
	return frameMeta{}
}

// nearestFrame is the index of the frame presented nearest to at.
func nearestFrame(offsets []time.Duration, at time.Duration) int {
	i := sort.Search(len(offsets), func(i int) bool { return offsets[i] >= at })
	switch {
	case i == len(offsets):
		return i - 1
	case i > 0 && at-offsets[i-1] <= offsets[i]-at:
		return i - 1
	}
	return i
}
