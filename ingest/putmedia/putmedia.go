package putmedia

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/fragments/matroska"
	"github.com/shardcast/shardcast/ingest"
)

// Timecode types (x-amzn-fragment-timecode-type).
const (
	TimecodeAbsolute = "ABSOLUTE"
	TimecodeRelative = "RELATIVE"
)

// Defaults of Config.
const (
	DefaultMaxFragmentDuration = 20 * time.Second
	DefaultMaxFragmentBytes    = 50 << 20
	DefaultIdleEvery           = 3 * time.Second
	DefaultIdleTimeout         = 30 * time.Second
)

// Config configures a Service.
type Config struct {
	Ingest *ingest.Manager
	// MaxFragmentDuration bounds a cluster's duration (default 20 s, KVS's
	// quota); a longer one is ERROR 4002.
	MaxFragmentDuration time.Duration
	// MaxFragmentBytes bounds a cluster's size (default 50 MiB); a larger
	// one is ERROR 4001.
	MaxFragmentBytes int64
	// IdleEvery is how often IDLE is sent while no data arrives (default
	// 3 s); IdleTimeout ends an upload that sends nothing for that long
	// (default 30 s).
	IdleEvery, IdleTimeout time.Duration
	Logger                 *slog.Logger
}

// Service runs PutMedia uploads.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.MaxFragmentDuration <= 0 {
		cfg.MaxFragmentDuration = DefaultMaxFragmentDuration
	}
	if cfg.MaxFragmentBytes <= 0 {
		cfg.MaxFragmentBytes = DefaultMaxFragmentBytes
	}
	if cfg.IdleEvery <= 0 {
		cfg.IdleEvery = DefaultIdleEvery
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// Request describes an upload.
type Request struct {
	Stream        string // the stream's name
	Remote        string // the producer's address, for logs
	TimecodeType  string // TimecodeAbsolute or TimecodeRelative
	ProducerStart time.Time
	// Interrupt, when set, makes a blocked read of the body return with an
	// error (an HTTP handler sets a read deadline in the past). It is
	// called, from another goroutine, to end an idle upload or when the
	// server closes.
	Interrupt func()
}

// Upload is one PutMedia upload holding its stream's publisher slot.
type Upload struct {
	svc *Service
	req Request
	d   *ingest.Direct
	log *slog.Logger
	ran bool
}

// Start takes the stream's publisher slot for req. Its errors wrap
// ingest.ErrNoStream (no such stream), ingest.ErrBusy (the stream has a
// publisher) or ingest.ErrClosed.
func (s *Service) Start(req Request) (*Upload, error) {
	d, err := s.cfg.Ingest.StartDirect(ingest.Request{Stream: req.Stream, Protocol: "putmedia", Remote: req.Remote})
	if err != nil {
		return nil, err
	}
	return &Upload{svc: s, req: req, d: d, log: s.cfg.Logger.With("stream", req.Stream, "session", d.ID(), "remote", req.Remote)}, nil
}

// Close frees the publisher slot of an upload that Run was not called for.
func (u *Upload) Close() {
	if !u.ran {
		u.d.End()
	}
}

// activity is the body as read, noting when data last arrived.
type activity struct {
	r    io.Reader
	last atomic.Int64 // unix nanoseconds
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// ackError is a failure that ends an upload with an ERROR ack.
type ackError struct {
	id       int
	timecode *uint64
	err      error
}

func (e *ackError) Error() string {
	return fmt.Sprintf("putmedia: %s (%d): %v", ErrorCode(e.id), e.id, e.err)
}

func (e *ackError) Unwrap() error { return e.err }

func fail(id int, timecode *uint64, format string, args ...any) *ackError {
	return &ackError{id: id, timecode: timecode, err: fmt.Errorf(format, args...)}
}

// run is the state of one Run.
type run struct {
	u      *Upload
	send   func(Ack) error
	tracks *trackMap
	scale  int64 // ns per timecode unit
	// Timecodes of the previous cluster, in ns: its Timecode and each
	// track's latest frame.
	havePrev  bool
	prevStart int64
	prevEnd   map[uint64]int64
	// origin is the first cluster's time (ns): presentation times count from it.
	origin     int64
	haveOrigin bool
	// reading is the Timecode of the cluster being read, for an error
	// found inside it; nil between clusters.
	reading *uint64
}

// Run reads the body, stores each cluster as a fragment and sends
// acknowledgements to send (never from two goroutines at once). It ends at
// the body's end, after an ERROR ack, after IdleTimeout without data, or
// when the ingest manager closes; the publisher slot is freed before it
// returns. The error says why it ended early (nil at the body's clean end
// or an idle timeout).
func (u *Upload) Run(body io.Reader, send func(Ack) error) error {
	u.ran = true
	defer u.d.End()
	var smu sync.Mutex
	var sendErr error
	locked := func(a Ack) error {
		smu.Lock()
		defer smu.Unlock()
		if sendErr == nil {
			sendErr = send(a)
		}
		return sendErr
	}
	act := &activity{r: body}
	act.last.Store(time.Now().UnixNano())
	var idledOut, closing atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		u.watch(act, locked, stop, &idledOut, &closing)
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()

	r := &run{u: u, send: locked, prevEnd: map[uint64]int64{}}
	mr := matroska.NewReader(act, matroska.Options{
		MaxClusterBytes: u.svc.cfg.MaxFragmentBytes,
		ClusterStart: func(c *matroska.Cluster) {
			tc := c.Timecode
			r.reading = &tc
			locked(Ack{EventType: EventBuffering, FragmentTimecode: &tc})
		},
	})
	err := r.loop(mr)
	var ae *ackError
	switch {
	case err == nil:
		return nil
	case idledOut.Load():
		u.log.Info("putmedia: no data for the idle timeout: upload ended", "timeout", u.svc.cfg.IdleTimeout)
		return nil
	case closing.Load():
		return fmt.Errorf("putmedia: the server is closing: %w", err)
	case errors.As(err, &ae):
		u.log.Warn("putmedia: upload ended with an error", "err", err)
		locked(Ack{EventType: EventError, FragmentTimecode: ae.timecode, ErrorID: ae.id, ErrorCode: ErrorCode(ae.id)})
		return err
	default:
		return err
	}
}

// watch sends IDLE while no data arrives, and ends the upload (Interrupt)
// after the idle timeout or when the ingest manager closes.
func (u *Upload) watch(act *activity, send func(Ack) error, stop chan struct{}, idledOut, closing *atomic.Bool) {
	cfg := u.svc.cfg
	tick := time.NewTicker(min(cfg.IdleEvery, time.Second))
	defer tick.Stop()
	lastIdle := time.Time{}
	interrupt := func() {
		if u.req.Interrupt != nil {
			u.req.Interrupt()
		}
	}
	for {
		select {
		case <-stop:
			return
		case <-u.d.Done():
			closing.Store(true)
			interrupt()
			return
		case now := <-tick.C:
			quiet := now.Sub(time.Unix(0, act.last.Load()))
			switch {
			case quiet >= cfg.IdleTimeout:
				idledOut.Store(true)
				interrupt()
				return
			case quiet >= cfg.IdleEvery && now.Sub(lastIdle) >= cfg.IdleEvery:
				lastIdle = now
				send(Ack{EventType: EventIdle})
			}
		}
	}
}

// loop reads events until the body ends or fails.
func (r *run) loop(mr *matroska.Reader) error {
	for {
		ev, err := mr.Next()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, matroska.ErrTooLarge):
			return fail(ErrFragmentSize, r.reading, "%w", err)
		case errors.Is(err, matroska.ErrInvalid):
			return fail(ErrInvalidMKV, r.reading, "%w", err)
		case err != nil:
			return fail(ErrReadBody, r.reading, "%w", err)
		}
		r.reading = nil
		switch ev.Kind {
		case matroska.KindHeader:
			if err := r.header(ev.Header); err != nil {
				return err
			}
		case matroska.KindCluster:
			if err := r.cluster(ev.Cluster); err != nil {
				return err
			}
		}
	}
}

// header takes a document's header: the first sets the tracks, a later
// one with other tracks starts a new init segment.
func (r *run) header(h *matroska.Header) error {
	tm, err := mapTracks(h)
	if err != nil {
		return fail(ErrInvalidMKV, nil, "%w", err)
	}
	scale := int64(h.TimecodeScale)
	if scale <= 0 {
		scale = 1000000
	}
	r.scale = scale
	if r.tracks != nil && string(r.tracks.sig) == string(tm.sig) {
		r.tracks = tm
		return nil
	}
	if err := r.u.d.SetTracks(tm.tracks); err != nil {
		return fail(ErrInvalidMKV, nil, "%w", err)
	}
	r.tracks = tm
	return nil
}

// ns converts a timecode to nanoseconds, false when it does not fit.
func (r *run) ns(tc int64) (int64, bool) {
	if tc > math.MaxInt64/r.scale || tc < math.MinInt64/r.scale {
		return 0, false
	}
	return tc * r.scale, true
}

// cluster stores one cluster as one fragment and acknowledges it.
func (r *run) cluster(c *matroska.Cluster) error {
	tc := c.Timecode
	tcp := &tc
	if c.Timecode > math.MaxInt64 {
		return fail(ErrProducerTimestamp, tcp, "cluster timecode %d out of range", c.Timecode)
	}
	start, ok := r.ns(int64(c.Timecode))
	if !ok {
		return fail(ErrProducerTimestamp, tcp, "cluster timecode %d out of range", c.Timecode)
	}
	if len(c.Frames) == 0 {
		return fail(ErrFramesMissing, tcp, "cluster %d holds no frames", c.Timecode)
	}
	// Check the whole cluster before storing any of it.
	first := map[uint64]int64{}
	last := map[uint64]int64{}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, f := range c.Frames {
		if r.tracks.byNum[f.Track] == nil && !declared(f.Track, r) {
			return fail(ErrTrackMismatch, tcp, "a frame of track %d, which the header does not declare", f.Track)
		}
		t, ok := r.ns(f.Timecode)
		if !ok {
			return fail(ErrProducerTimestamp, tcp, "frame timecode %d out of range", f.Timecode)
		}
		if v, ok := first[f.Track]; !ok || t < v {
			first[f.Track] = t
		}
		if v, ok := last[f.Track]; !ok || t > v {
			last[f.Track] = t
		}
		lo, hi = min(lo, t), max(hi, t)
	}
	if d := time.Duration(hi - lo); d > r.u.svc.cfg.MaxFragmentDuration {
		return fail(ErrFragmentDuration, tcp, "cluster %d lasts %v, over %v", c.Timecode, d, r.u.svc.cfg.MaxFragmentDuration)
	}
	if r.havePrev {
		if start < r.prevStart {
			return fail(ErrTimecodeLower, tcp, "cluster timecode %d is lower than the previous cluster's", c.Timecode)
		}
		for track, t := range first {
			if prev, ok := r.prevEnd[track]; ok && t <= prev {
				return fail(ErrTimecodeLower, tcp, "track %d of cluster %d starts at or before the end of the previous cluster", track, c.Timecode)
			}
		}
	}
	if !r.haveOrigin {
		r.origin, r.haveOrigin = lo, true
	}
	if err := r.send(Ack{EventType: EventReceived, FragmentTimecode: tcp}); err != nil {
		return fmt.Errorf("putmedia: acknowledge: %w", err)
	}
	// Feed the frames, then cut: one cluster, one fragment.
	for _, f := range c.Frames {
		m := r.tracks.byNum[f.Track]
		if m == nil {
			continue // a track that is not stored
		}
		t, _ := r.ns(f.Timecode)
		if err := r.write(m, t, f.Data); err != nil {
			return fail(ErrInvalidMKV, tcp, "track %d: %w", f.Track, err)
		}
	}
	stored, err := r.u.d.Cut()
	if err != nil {
		return fail(ErrPersist, tcp, "%w", err)
	}
	if len(stored) == 0 {
		return fail(ErrInvalidMKV, tcp, "cluster %d holds no keyframe to start a fragment with", c.Timecode)
	}
	r.havePrev, r.prevStart = true, start
	for track, t := range last {
		r.prevEnd[track] = t
	}
	if r.u.d.Stream().Info().RetentionHours == 0 {
		// Kept in memory for live readers only: RECEIVED was the last
		// acknowledgement, as KVS sends for streams without retention.
		return nil
	}
	return r.send(Ack{EventType: EventPersisted, FragmentTimecode: tcp, FragmentNumber: stored[0].Number})
}

// declared reports whether the current header declares a track (one that
// is not stored).
func declared(track uint64, r *run) bool {
	_, ok := r.tracks.declared[track]
	return ok
}

// write hands one frame to the session. t is its time in ns.
func (r *run) write(m *mapped, t int64, data []byte) error {
	var producer time.Time
	if r.u.req.TimecodeType == TimecodeRelative {
		producer = r.u.req.ProducerStart.Add(time.Duration(t))
	} else {
		producer = time.Unix(0, t)
	}
	rel := t - r.origin
	sec, frac := rel/1e9, rel%1e9
	pts := sec*m.rate + frac*m.rate/1e9
	var err error
	switch m.kind {
	case kindH264, kindH265:
		var buf []byte
		if buf, err = toAVCC4(data, m.nalSize); err != nil {
			return err
		}
		if m.kind == kindH264 {
			err = r.u.d.WriteH264AVCC(m.index, producer, pts, buf)
		} else {
			err = r.u.d.WriteH265AVCC(m.index, producer, pts, buf)
		}
	case kindAAC:
		err = r.u.d.WriteMPEG4Audio(m.index, producer, pts, [][]byte{data})
	case kindOpus:
		err = r.u.d.WriteOpus(m.index, producer, pts, [][]byte{data})
	}
	if err != nil {
		// A unit the fragmenter refuses (timestamps it cannot order) is
		// dropped, as for the other publishers.
		r.u.log.Debug("putmedia: frame refused", "err", err)
	}
	return nil
}
