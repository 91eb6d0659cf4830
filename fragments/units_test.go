package fragments

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

func TestUnitFeed(t *testing.T) {
	var f unitFeed
	ctx := context.Background()
	if _, err := f.subscribe(ctx); !errors.Is(err, ErrNotLive) {
		t.Fatalf("no publisher: %v", err)
	}
	asked := 0
	f.start([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}}, func() { asked++ })
	// Before the first keyframe a subscriber waits.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := f.subscribe(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("before a keyframe: %v", err)
	}
	f.add(Unit{Track: 0, PTS: 1, Data: []byte{1}}, nil) // not a keyframe: not cached
	f.add(Unit{Track: 0, PTS: 2, Random: true, Data: []byte{2}}, &codecs.H264{SPS: []byte{7}, PPS: []byte{8}})
	f.add(Unit{Track: 1, PTS: 3, Random: true, Data: []byte{3}}, nil)
	f.add(Unit{Track: 0, PTS: 4, Data: []byte{4}}, nil)
	// Nobody watched: nothing was cached. The first reader starts at the
	// next keyframe, which the publisher is asked for.
	first, err := f.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := first.Tracks[0].Codec.(*codecs.H264); string(c.SPS) != "\x07" {
		t.Fatalf("tracks carry the keyframe's parameters: %+v", c)
	}
	if asked != 1 || len(first.C()) != 0 {
		t.Fatalf("a cold start: %d keyframe requests, %d units at once", asked, len(first.C()))
	}
	f.add(Unit{Track: 0, PTS: 5, Data: []byte{5}}, nil)
	f.add(Unit{Track: 0, PTS: 6, Random: true, Data: []byte{6}}, nil)
	f.add(Unit{Track: 1, PTS: 7, Random: true, Data: []byte{7}}, nil)
	f.add(Unit{Track: 0, PTS: 8, Data: []byte{8}}, nil)
	if u := <-first.C(); u.PTS != 6 || first.Dropped() != 0 {
		t.Fatalf("the first reader starts at the keyframe: %+v, %d dropped", u, first.Dropped())
	}
	first.Close()
	// Watched lately: the GOP is cached, a reader starts with it at once.
	s, err := f.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1 {
		t.Fatalf("a warm start asked for a keyframe")
	}
	for _, want := range []int64{6, 7, 8} {
		if u := <-s.C(); u.PTS != want {
			t.Fatalf("cached unit %d, want %d", u.PTS, want)
		}
	}
	// A reader that does not read misses units and resumes at a keyframe.
	for i := range unitQueue + 10 {
		f.add(Unit{Track: 0, PTS: int64(100 + i), Data: []byte{0}}, nil)
	}
	if s.Dropped() == 0 {
		t.Fatal("a full queue drops")
	}
	for len(s.C()) > 0 {
		<-s.C()
	}
	f.add(Unit{Track: 0, PTS: 9000, Data: []byte{0}}, nil)
	f.add(Unit{Track: 0, PTS: 9001, Random: true, Data: []byte{0}}, nil)
	if u := <-s.C(); u.PTS != 9001 || !u.Random {
		t.Fatalf("after a drop the reader resumes at the next keyframe, got %+v", u)
	}
	f.stop()
	select {
	case <-s.Done():
	default:
		t.Fatal("the publisher leaving ends subscriptions")
	}
	s.Close()
}
