package ingest

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
)

// vp9Frames reads the VP9 test clip of package fragments (IVF: a 32-byte
// header, frames behind 12-byte headers; 25 fps, a keyframe every 25).
func vp9Frames(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("../fragments/testdata/video.vp9.ivf")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for p := 32; p+12 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[p:]))
		out = append(out, b[p+12:p+12+n])
		p += 12 + n
	}
	return out
}

// TestQueueOverflowIsALoss: video dropped because a session's queue is
// full is a loss like a missing packet: no frame after it is stored until
// the next keyframe, which is asked for.
func TestQueueOverflowIsALoss(t *testing.T) {
	store := fragmentstest.Open(t, fragments.Config{})
	m := NewManager(Config{Store: store, AutoCreate: true, AutoCreateRetentionHours: 1, QueueLen: 2})
	defer m.Close()
	frames := vp9Frames(t)
	var asked atomic.Int64
	// Bursts of the clip, faster than the session stores them: the small
	// queue overflows. Every stored fragment must hold consecutive frames.
	// (A loss at the very end of a burst has no frame after it to guard,
	// nor a keyframe to ask for: bursts go on until one asked.)
	dropped := int64(0)
	for round := 0; round < 50 && (dropped == 0 || asked.Load() == 0); round++ {
		s, err := m.Start(Request{Stream: "burst", Protocol: "test", Tracks: []fragments.Track{{Codec: &codecs.VP9{}, ClockRate: 90000}},
			RequestKeyframe: func() { asked.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		base := int64(round) * 1000 * 3600
		for i, f := range frames {
			s.WriteVP9(0, Timing{Arrival: time.Now()}, base+int64(i)*3600, f)
		}
		s.Close()
		dropped += s.Info().DroppedUnits
	}
	if dropped == 0 {
		t.Fatal("the queue never overflowed")
	}
	if asked.Load() == 0 {
		t.Error("no keyframe was asked for after video was dropped")
	}
	st, err := store.Lookup(fragments.StreamRef{Name: "burst"})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := st.Select(context.Background(), fragments.Selector{Type: fragments.ServerTimestamp, Start: time.Unix(0, 0), End: time.Unix(0, math.MaxInt64)}, 1000)
	if err != nil || len(got) == 0 {
		t.Fatalf("%d fragments: %v", len(got), err)
	}
	for _, info := range got {
		fr, _, err := st.Fragment(context.Background(), info.Seq)
		if err != nil {
			t.Fatal(err)
		}
		var parts fmp4.Parts
		if err := parts.Unmarshal(fr.Data); err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			for _, pt := range p.Tracks {
				for i, smp := range pt.Samples {
					if i == 0 && smp.IsNonSyncSample && p == parts[0] {
						t.Errorf("fragment %s does not start with a keyframe", st.FragmentNumber(info.Seq))
					}
					// The last sample of a fragment may stretch to the next.
					if i < len(pt.Samples)-1 && smp.Duration != 3600 {
						t.Errorf("fragment %s: a sample lasts %d ticks: a frame is missing before the next", st.FragmentNumber(info.Seq), smp.Duration)
					}
				}
			}
		}
	}
}
