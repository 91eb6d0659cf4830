package fragments

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// The unit feed: the access units of the current publisher, handed to live
// readers (WHEP, RTSP re-serve) as they arrive, without waiting for a part
// or a fragment. It keeps the units since the latest keyframe, so a reader
// that joins starts with a picture at once.

// Unit is one access unit of a live stream as the fragmenter accepted it.
type Unit struct {
	Track int   // index into the feed's tracks
	PTS   int64 // presentation time in the track's clock, on the publisher's timeline
	DTS   int64 // decode time in the track's clock
	// Random marks a unit a decoder can start at: a video keyframe (its
	// parameter sets in band), and every audio unit.
	Random bool
	// Data is the unit, which readers must not modify: H.264 and H.265 in
	// AVCC form (each NAL unit behind a 4-byte length), VP9 a frame
	// (superframes whole), AV1 a temporal unit of OBUs each with its size
	// field and no temporal delimiter, AAC one access unit, Opus one packet.
	Data     []byte
	Arrival  time.Time // when it reached the server
	Producer time.Time // the producer's wall-clock time of it
}

// Errors of SubscribeUnits.
var (
	ErrNotLive = errors.New("fragments: the stream has no publisher")
)

// Feed limits: a subscriber's queue, and what the keyframe cache holds
// at most (a long GOP is cut short: a late joiner then waits for the next
// keyframe).
const (
	unitQueue    = 512
	gopMaxUnits  = 2048
	gopMaxBytes  = 16 << 20
	waitKeyframe = 15 * time.Second
)

// unitFeed is a stream's unit feed.
type unitFeed struct {
	mu     sync.Mutex
	epoch  uint64        // publisher sessions so far
	on     bool          // a publisher is connected
	tracks []Track       // codecs of the publisher, parameters from its latest keyframe
	gop    []Unit        // units since the latest video keyframe (or recent audio)
	gopLen int           // bytes in gop
	ready  bool          // a keyframe (or, audio only, a unit) was seen
	wake   chan struct{} // closed when ready or the publisher changes
	subs   map[*UnitSubscription]struct{}
	video  int // index of the video track whose keyframes start the cache; -1 when audio only
}

// UnitSubscription is a reader of a stream's unit feed.
type UnitSubscription struct {
	// Tracks are the publisher's tracks, with the codec parameters of the
	// keyframe the subscription starts at.
	Tracks []Track
	// Epoch numbers the publisher session; a new publisher ends the
	// subscription (Done), and a new subscription has a new epoch.
	Epoch uint64

	f       *unitFeed
	c       chan Unit
	done    chan struct{}
	closeMu sync.Once
	skip    bool // dropping units until the next keyframe (run under feed.mu)
	dropped atomic.Int64
}

// C delivers the units in order, starting at the latest keyframe.
func (s *UnitSubscription) C() <-chan Unit { return s.c }

// Done is closed when the subscription ends: the publisher left, the
// stream was closed, or Close was called. Units already in C remain.
func (s *UnitSubscription) Done() <-chan struct{} { return s.done }

// Dropped counts units this subscriber missed because it read too slowly;
// after a drop it resumes at the next keyframe.
func (s *UnitSubscription) Dropped() int64 { return s.dropped.Load() }

// Close ends the subscription.
func (s *UnitSubscription) Close() {
	s.f.mu.Lock()
	delete(s.f.subs, s)
	s.f.mu.Unlock()
	s.end()
}

func (s *UnitSubscription) end() { s.closeMu.Do(func() { close(s.done) }) }

// start begins a publisher session with its tracks (codec parameters may
// come with the first keyframe).
func (f *unitFeed) start(tracks []Track) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endLocked()
	f.epoch++
	f.on = true
	f.tracks = make([]Track, len(tracks))
	f.video = -1
	for i, t := range tracks {
		f.tracks[i] = Track{Codec: copyCodec(t.Codec), ClockRate: t.ClockRate}
		if f.video < 0 && isVideo(t.Codec) {
			f.video = i
		}
	}
}

// stop ends the publisher session: subscriptions end.
func (f *unitFeed) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endLocked()
	f.on = false
}

func (f *unitFeed) endLocked() {
	for s := range f.subs {
		s.end()
	}
	f.subs = nil
	f.gop, f.gopLen, f.ready = nil, 0, false
	f.tracks = nil
	if f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
}

// add publishes a unit; codec, for a video keyframe, carries the track's
// parameters as of that keyframe.
func (f *unitFeed) add(u Unit, codec codecs.Codec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on || u.Track < 0 || u.Track >= len(f.tracks) {
		return
	}
	key := u.Random && (u.Track == f.video || f.video < 0)
	if codec != nil {
		f.tracks[u.Track].Codec = codec
	}
	switch {
	case key && f.video >= 0:
		f.gop, f.gopLen = f.gop[:0:0], 0
		if !f.ready {
			f.ready = true
			if f.wake != nil {
				close(f.wake)
				f.wake = nil
			}
		}
	case !f.ready && f.video < 0:
		f.ready = true
		if f.wake != nil {
			close(f.wake)
			f.wake = nil
		}
	}
	if !f.ready {
		return // nothing before the first keyframe is of use
	}
	if f.video < 0 && len(f.gop) >= 50 {
		// Audio only: keep about a second.
		f.gop, f.gopLen = append(f.gop[:0:0], f.gop[len(f.gop)-25:]...), 0
		for _, g := range f.gop {
			f.gopLen += len(g.Data)
		}
	}
	if len(f.gop) < gopMaxUnits && f.gopLen+len(u.Data) <= gopMaxBytes {
		f.gop = append(f.gop, u)
		f.gopLen += len(u.Data)
	}
	for s := range f.subs {
		if s.skip {
			if !key {
				s.dropped.Add(1)
				continue
			}
			s.skip = false
		}
		select {
		case s.c <- u:
		default:
			// A slow reader never holds back the publisher or the others:
			// it misses units and resumes at the next keyframe.
			s.skip = true
			s.dropped.Add(1)
		}
	}
}

// subscribe returns a subscription that starts at the latest keyframe,
// waiting up to ctx (and at most waitKeyframe) for the first one.
func (f *unitFeed) subscribe(ctx context.Context) (*UnitSubscription, error) {
	timer := time.NewTimer(waitKeyframe)
	defer timer.Stop()
	for {
		f.mu.Lock()
		if !f.on {
			f.mu.Unlock()
			return nil, ErrNotLive
		}
		if f.ready {
			s := &UnitSubscription{f: f, Epoch: f.epoch, c: make(chan Unit, unitQueue+len(f.gop)), done: make(chan struct{})}
			s.Tracks = make([]Track, len(f.tracks))
			for i, t := range f.tracks {
				s.Tracks[i] = Track{Codec: copyCodec(t.Codec), ClockRate: t.ClockRate}
			}
			for _, u := range f.gop {
				s.c <- u
			}
			if f.subs == nil {
				f.subs = map[*UnitSubscription]struct{}{}
			}
			f.subs[s] = struct{}{}
			f.mu.Unlock()
			return s, nil
		}
		if f.wake == nil {
			f.wake = make(chan struct{})
		}
		wake := f.wake
		f.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, errors.New("fragments: the publisher sent no keyframe in time")
		}
	}
}

// SubscribeUnits follows the stream's live access units from the latest
// keyframe. With no publisher it answers ErrNotLive; with a publisher that
// has sent no keyframe yet it waits for one (until ctx ends). The
// subscription ends when the publisher leaves; Close it when done.
func (st *Stream) SubscribeUnits(ctx context.Context) (*UnitSubscription, error) {
	return st.feed.subscribe(ctx)
}

// StartUnits begins the unit feed of a publisher session with its tracks;
// the ingest session calls it when it takes the publisher slot.
func (st *Stream) StartUnits(tracks []Track) { st.feed.start(tracks) }

// StopUnits ends the unit feed of the publisher session.
func (st *Stream) StopUnits() { st.feed.stop() }

// AddUnit publishes a unit to live readers; it is the fragmenter's OnUnit.
func (st *Stream) AddUnit(u Unit, codec codecs.Codec) { st.feed.add(u, codec) }

func isVideo(c codecs.Codec) bool {
	switch c.(type) {
	case *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1:
		return true
	}
	return false
}

// copyCodec copies a codec description so the fragmenter's later changes
// do not reach readers.
func copyCodec(c codecs.Codec) codecs.Codec {
	switch c := c.(type) {
	case *codecs.H264:
		return &codecs.H264{SPS: clone(c.SPS), PPS: clone(c.PPS)}
	case *codecs.H265:
		return &codecs.H265{VPS: clone(c.VPS), SPS: clone(c.SPS), PPS: clone(c.PPS)}
	case *codecs.VP9:
		v := *c
		return &v
	case *codecs.AV1:
		v := *c
		v.SequenceHeader = clone(c.SequenceHeader)
		return &v
	case *codecs.MPEG4Audio:
		v := *c
		return &v
	case *codecs.Opus:
		v := *c
		return &v
	}
	return c
}
