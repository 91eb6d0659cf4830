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
	f.start([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}})
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
	s, err := f.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Tracks[0].Codec.(*codecs.H264); string(c.SPS) != "\x07" {
		t.Fatalf("tracks carry the keyframe's parameters: %+v", c)
	}
	for _, want := range []int64{2, 3, 4} {
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
