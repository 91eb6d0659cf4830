package fragments

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
)

// TimelineEnd is where the stream's stored media ends: the latest time at
// which any sample of its newest fragment is decoded or still presented
// (decode time, plus presentation offset, plus duration), 0 when it has no
// fragment. A new publisher session starts its decode times there
// (Options.TimelineStart), so that the stream's fragments keep one
// increasing timeline across sessions and restarts.
func (st *Stream) TimelineEnd(ctx context.Context) (time.Duration, error) {
	seq, ok := st.newest()
	if !ok {
		return 0, nil
	}
	f, _, err := st.Fragment(ctx, seq)
	if err != nil {
		return 0, fmt.Errorf("fragments: timeline end: %w", err)
	}
	next := seq + 1
	var init fmp4.Init
	if err := init.Unmarshal(bytes.NewReader(f.Init)); err != nil {
		return 0, fmt.Errorf("fragments: timeline end: init segment of fragment %d: %w", next-1, err)
	}
	var parts fmp4.Parts
	if err := parts.Unmarshal(f.Data); err != nil {
		return 0, fmt.Errorf("fragments: timeline end: fragment %d: %w", next-1, err)
	}
	scale := map[int]uint64{}
	for _, t := range init.Tracks {
		scale[t.ID] = uint64(t.TimeScale)
	}
	var end time.Duration
	for _, p := range parts {
		for _, pt := range p.Tracks {
			ts := scale[pt.ID]
			if ts == 0 {
				continue
			}
			dts := int64(pt.BaseTime)
			var last int64 // the track's latest decode or presentation end, in ts units
			for _, s := range pt.Samples {
				d := int64(s.Duration)
				last = max(last, dts+d, dts+int64(s.PTSOffset)+d)
				dts += d
			}
			// Rounded up, so that the next session's first decode time, in
			// any track's clock, is not below this track's end.
			u := uint64(last)
			d := time.Duration(u/ts)*time.Second + time.Duration((u%ts*uint64(time.Second)+ts-1)/ts)
			end = max(end, d)
		}
	}
	return end, nil
}

// newest returns the newest stored fragment that the time index lists (the
// log's last number may be a gap left by a crash, or damaged).
func (st *Stream) newest() (uint64, bool) {
	first, next := st.Bounds()
	if next == first {
		return 0, false
	}
	st.s.ix.flush()
	seq, ok := st.s.idx.LastFragment(st.def().ID)
	if !ok || seq < first {
		return 0, false
	}
	return seq, true
}
