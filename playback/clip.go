package playback

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// Limits of GetClip, as KVS sets them.
const (
	clipMaxFragments = 200
	clipMaxBytes     = 100 << 20
	// ClipContentType is the content type of GetClip answers.
	ClipContentType = "video/mp4"
)

// ClipInput is a GetClip request.
type ClipInput struct {
	Stream       fragments.StreamRef
	SelectorType string
	Start, End   *time.Time
}

// GetClip writes one progressive MP4 of the fragments that start within the
// range: at most the first 200 fragments or 100 MB of media, and only as far
// as the codec configuration of the first stays the same.
func (s *Service) GetClip(ctx context.Context, in ClipInput, w io.Writer) error {
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return err
	}
	if in.SelectorType != fragments.ServerTimestamp && in.SelectorType != fragments.ProducerTimestamp {
		return invalid("FragmentSelectorType %q is not one of PRODUCER_TIMESTAMP, SERVER_TIMESTAMP.", in.SelectorType)
	}
	if in.Start == nil || in.End == nil {
		return invalid("TimestampRange with StartTimestamp and EndTimestamp is required.")
	}
	if !in.End.After(*in.Start) {
		return invalid("The EndTimestamp must be later than the StartTimestamp.")
	}
	if in.End.Sub(*in.Start) > maxRange {
		return invalid("The timestamp range must not exceed 24 hours.")
	}
	if st.Info().RetentionHours == 0 {
		return errorf(registry.ErrNoDataRetention, "The stream %s does not retain data.", st.Info().Name)
	}
	got, _, err := st.Select(ctx, fragments.Selector{Type: in.SelectorType, Start: *in.Start, End: *in.End}, clipMaxFragments)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return notFound("No fragments found in the stream for the clip request.")
	}
	var pres pmp4.Presentation
	var firstInit []byte
	byID := map[int]*pmp4.Track{}
	ends := map[int]int64{}    // end of each track's last sample, in its time scale
	starts := map[int]int64{}  // decode time of each track's first sample
	scales := map[int]uint32{} // time scale of each track
	shift := map[int]int32{}   // presentation offset of each track's first sample
	size := 0
	for _, info := range got {
		f, _, err := st.Fragment(ctx, info.Seq)
		if err != nil {
			return err
		}
		if firstInit == nil {
			firstInit = f.Init
			init, err := parseInit(f.Init)
			if err != nil {
				return err
			}
			if err := checkPlayable(init); err != nil {
				return err
			}
			for _, it := range init.Tracks {
				t := &pmp4.Track{ID: it.ID, TimeScale: it.TimeScale, Codec: it.Codec}
				pres.Tracks = append(pres.Tracks, t)
				byID[it.ID], scales[it.ID] = t, it.TimeScale
			}
		} else if !bytes.Equal(f.Init, firstInit) {
			break // the codec configuration changed: the clip ends here
		}
		if size+len(f.Data) > clipMaxBytes && size > 0 {
			break
		}
		size += len(f.Data)
		tracks, err := decode(f)
		if err != nil {
			return err
		}
		for _, t := range tracks {
			pt := byID[t.ID]
			if pt == nil {
				continue
			}
			if end, ok := ends[t.ID]; ok && len(pt.Samples) > 0 {
				// Bridge a gap between fragments by stretching the last
				// sample, so later media keeps its place in time.
				if gap := t.Samples[0].DTS - end; gap > 0 && gap < int64(t.TimeScale)*3600 {
					pt.Samples[len(pt.Samples)-1].Duration += uint32(gap)
				}
			} else {
				// With B-frames the first (key)frame has a presentation
				// offset: the track starts that much later (an empty edit)
				// and every offset shrinks by it (B-frames go negative), so
				// the edit covers the first to the last frame.
				shift[t.ID] = t.Samples[0].PTSOffset
				starts[t.ID] = t.Samples[0].DTS + int64(shift[t.ID])
			}
			for _, smp := range t.Samples {
				payload := smp.Payload
				pt.Samples = append(pt.Samples, &pmp4.Sample{Duration: smp.Duration, PTSOffset: smp.PTSOffset - shift[t.ID],
					IsNonSyncSample: !smp.Sync, PayloadSize: uint32(len(payload)),
					GetPayload: func() ([]byte, error) { return payload, nil }})
			}
			last := t.Samples[len(t.Samples)-1]
			ends[t.ID] = last.DTS + int64(last.Duration)
		}
	}
	// Align the tracks: each starts at its first sample's time relative to
	// the earliest track.
	var origin float64 = -1
	for id, st := range starts {
		if sec := float64(st) / float64(scales[id]); origin < 0 || sec < origin {
			origin = sec
		}
	}
	kept := pres.Tracks[:0]
	for _, t := range pres.Tracks {
		if len(t.Samples) == 0 {
			continue
		}
		// The edit list lasts as long as the decode times do; when frames
		// are presented later than that (reordered frames at the end),
		// lengthen the last sample so the last frame stays in.
		var dts, end int64
		for _, smp := range t.Samples {
			end = max(end, dts+int64(smp.PTSOffset)+int64(smp.Duration))
			dts += int64(smp.Duration)
		}
		if end > dts {
			t.Samples[len(t.Samples)-1].Duration += uint32(end - dts)
		}
		t.TimeOffset = int32((float64(starts[t.ID])/float64(t.TimeScale) - origin) * float64(t.TimeScale))
		kept = append(kept, t)
	}
	pres.Tracks = kept
	if err := pres.Marshal(w); err != nil {
		return fmt.Errorf("playback: mp4: %w", err)
	}
	return nil
}
