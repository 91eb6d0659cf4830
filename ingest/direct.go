package ingest

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// Direct is a publisher session that its protocol drives itself, without
// the queue and goroutine of Start: PutMedia, whose producer decides where
// fragments end (one per Matroska cluster) and waits for each to be
// durable before acknowledging it. Media is written synchronously, so a
// slow disk holds the producer back (through its request body) instead of
// dropping media. It takes the same publisher slot as Start: one publisher
// per stream, whatever the protocol.
//
// A Direct is not safe for concurrent use: one goroutine (the protocol's
// read loop) drives it, and ends it with End. Manager.Close closes Done;
// the owner must then stop and call End, which Close waits for.
type Direct struct {
	s      *Session
	frag   *fragments.Fragmenter
	tracks []fragments.Track
	stored []fragments.Stored // since the last Cut
	err    error              // the first append that failed since the last Cut
	ended  bool
}

// StartDirect begins a Direct session for req. Tracks may be empty: they
// are set with SetTracks before media is written. Errors are Start's.
func (m *Manager) StartDirect(req Request) (*Direct, error) {
	st, id, release, err := m.acquire(req)
	if err != nil {
		return nil, err
	}
	s := &Session{ID: id, req: req, m: m, stream: st, release: release, started: time.Now(),
		done: make(chan struct{}), ended: make(chan struct{}),
		log: m.cfg.Logger.With("stream", req.Stream, "session", id, "protocol", req.Protocol, "remote", req.Remote)}
	if err := m.register(s); err != nil {
		release()
		return nil, err
	}
	d := &Direct{s: s}
	if len(req.Tracks) > 0 {
		if err := d.SetTracks(req.Tracks); err != nil {
			d.End()
			return nil, err
		}
	}
	s.log.Info("ingest: publisher started")
	return d, nil
}

// ID is the session's id.
func (d *Direct) ID() string { return d.s.ID }

// Stream is the video stream the session feeds.
func (d *Direct) Stream() *fragments.Stream { return d.s.stream }

// Done is closed when the manager closes: the owner must stop and End.
func (d *Direct) Done() <-chan struct{} { return d.s.done }

// Info is the session's state, as Manager.Sessions reports it.
func (d *Direct) Info() Info { return d.s.Info() }

// SetTracks (re)starts fragmenting with tracks: the open fragment, if any,
// is cut first (see Cut, whose results the next Cut returns), and the next
// fragment carries a new init segment. Decode times continue where the
// stream's stored media ends.
func (d *Direct) SetTracks(tracks []fragments.Track) error {
	if len(tracks) == 0 {
		return errNoTracks
	}
	if d.frag != nil {
		if err := d.frag.Flush(); err != nil && d.err == nil {
			d.err = err
		}
		d.s.stream.StopUnits()
		d.frag = nil
	}
	m, s := d.s.m, d.s
	opts := m.cfg.Fragments
	// The producer decides where fragments end (Cut): no keyframe within
	// one ends it early, and none is too far apart (its protocol bounds a
	// fragment's duration itself).
	opts.MinDuration = time.Duration(math.MaxInt64 / 8)
	opts.MaxDuration = time.Duration(math.MaxInt64 / 8)
	opts.AudioDuration = time.Duration(math.MaxInt64 / 8)
	opts.RequestKeyframe = nil
	opts.OnPart = s.stream.AddPart
	opts.OnUnit = s.stream.AddUnit
	opts.TimelineStart = s.timelineEnd()
	f, err := fragments.NewFragmenter(tracks, opts, d.emit)
	if err != nil {
		return err
	}
	d.frag, d.tracks = f, tracks
	s.emu.Lock()
	s.req.Tracks = tracks
	s.emu.Unlock()
	s.stream.StartUnits(tracks)
	s.log.Info("ingest: tracks", "tracks", describe(tracks))
	return nil
}

// emit is the fragmenter's output: append durably, keep the result for Cut.
func (d *Direct) emit(f *fragments.Fragment) error {
	stored, err := d.s.appendFragment(f)
	if err != nil {
		if d.err == nil {
			d.err = err
		}
		return err
	}
	d.stored = append(d.stored, stored)
	return nil
}

var errNoFragmenter = errors.New("ingest: no tracks set")

// write hands one unit to the fragmenter, accounting it.
func (d *Direct) write(fn func(*fragments.Fragmenter) error) error {
	if d.frag == nil {
		return errNoFragmenter
	}
	d.s.units.Add(1)
	return fn(d.frag)
}

// WriteH264AVCC writes an H.264 access unit in AVCC form (4-byte lengths)
// with its presentation time in the track's clock and its producer time.
// The session takes buf over.
func (d *Direct) WriteH264AVCC(track int, producer time.Time, pts int64, buf []byte) error {
	return d.write(func(f *fragments.Fragmenter) error { return f.WriteH264AVCC(track, producer, pts, buf) })
}

// WriteH265AVCC writes an H.265 access unit in AVCC form.
func (d *Direct) WriteH265AVCC(track int, producer time.Time, pts int64, buf []byte) error {
	return d.write(func(f *fragments.Fragmenter) error { return f.WriteH265AVCC(track, producer, pts, buf) })
}

// WriteMPEG4Audio writes AAC access units (unit i at pts + i*1024).
func (d *Direct) WriteMPEG4Audio(track int, producer time.Time, pts int64, aus [][]byte) error {
	return d.write(func(f *fragments.Fragmenter) error { return f.WriteMPEG4Audio(track, producer, pts, aus) })
}

// WriteOpus writes Opus packets.
func (d *Direct) WriteOpus(track int, producer time.Time, pts int64, packets [][]byte) error {
	return d.write(func(f *fragments.Fragmenter) error { return f.WriteOpus(track, producer, pts, packets) })
}

// Cut ends the open fragment and stores it durably; it returns the
// fragments stored since the last Cut (usually one; none when nothing
// decodable was written, as video before its first keyframe), or the
// error of the first append that failed.
func (d *Direct) Cut() ([]fragments.Stored, error) {
	if d.frag != nil {
		if err := d.frag.Flush(); err != nil && d.err == nil {
			d.err = err
		}
	}
	stored, err := d.stored, d.err
	d.stored, d.err = nil, nil
	if err != nil {
		return stored, fmt.Errorf("ingest: store fragment: %w", err)
	}
	return stored, nil
}

// End ends the session: the publisher slot is freed. Media written since
// the last Cut is dropped; the owner cuts what it means to keep first.
func (d *Direct) End() {
	if d.ended {
		return
	}
	d.ended = true
	s := d.s
	if d.frag != nil {
		s.stream.StopUnits()
	}
	s.release()
	s.m.mu.Lock()
	delete(s.m.sessions, s.ID)
	s.m.mu.Unlock()
	s.log.Info("ingest: publisher ended", "fragments", s.fragCount.Load(), "bytes", s.bytes.Load(),
		"seconds", int(time.Since(s.started).Seconds()))
	close(s.ended)
}
