package ingest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/ratelog"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// Actions a front end asks its access check about for a publisher and a
// reader of live media, named as IAM names them (as web/awsapi does).
const (
	ActionPublish = "kinesisvideo:PutMedia"
	ActionRead    = "kinesisvideo:GetMedia"
)

// Errors of Start; check them with errors.Is.
var (
	ErrNoStream = errors.New("ingest: no such video stream")
	ErrBusy     = errors.New("ingest: the stream already has a publisher")
	errNoTracks = errors.New("ingest: no supported track")
	ErrClosed   = errors.New("ingest: the manager is closed")
)

// Streams finds, and on first publish creates, the video streams that
// sessions feed (*fragments.Store is one).
type Streams interface {
	Lookup(ref fragments.StreamRef) (*fragments.Stream, error)
	CreateStream(in fragments.CreateInput) (string, error)
}

// Config configures a Manager.
type Config struct {
	Store Streams
	// AutoCreate creates a missing stream on first publish.
	AutoCreate bool
	// AutoCreateRetentionHours is the retention of auto-created streams.
	AutoCreateRetentionHours int
	Fragments                fragments.Options
	QueueLen                 int // units buffered per session (default 512: ~10 s of video and audio)
	Logger                   *slog.Logger
}

// Manager runs the publisher sessions of a server.
type Manager struct {
	cfg Config

	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool
}

// NewManager returns a manager.
func NewManager(cfg Config) *Manager {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 512
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, sessions: map[string]*Session{}}
}

// Request describes a publisher.
type Request struct {
	Stream   string
	Protocol string // "rtsp", "rtsp-pull", "webrtc"
	Remote   string // the peer's address
	Tracks   []fragments.Track
	// RequestKeyframe, when the protocol can, asks the sender for a keyframe.
	RequestKeyframe func()
}

// Session is one publisher feeding one stream.
type Session struct {
	ID      string
	req     Request
	m       *Manager
	stream  *fragments.Stream
	release func()
	frag    *fragments.Fragmenter
	log     *slog.Logger
	started time.Time

	queue   chan unit
	clock   producerClock // run's alone
	done    chan struct{} // closed by Close
	ended   chan struct{} // closed when run has stored the last fragment
	closing sync.Once

	units, videoUnits, dropped, fragCount, bytes atomic.Int64
	lastNumber                                   atomic.Pointer[string]
	// lost is set when a full queue dropped video (or a Gap): the next
	// unit queued carries the gap, so no frame after the loss is stored.
	lost atomic.Bool

	lmu       sync.Mutex
	latencies []time.Duration // ring of recent commit latencies
	latNext   int

	// Storing failures (a full disk): the current error, counts, and a
	// log repeated at a bounded rate.
	emu        sync.Mutex
	storeErr   string
	storeErrAt time.Time
	held       int64 // fragments kept in memory to be stored when space returns
	unstored   int64 // fragments not stored at all
	errLog     ratelog.Limiter
}

type unitKind uint8

const (
	kindH264 unitKind = iota
	kindH265
	kindAAC
	kindOpus
	kindVP9
	kindAV1
	kindGap
)

type unit struct {
	kind  unitKind
	track int
	at    Timing
	pts   int64
	data  [][]byte
	gap   bool // video was lost before this unit
	owned bool // data is the session's already (WriteH264AVCC): no copy
}

// Start begins a session for req.
func (m *Manager) Start(req Request) (*Session, error) {
	if len(req.Tracks) == 0 {
		return nil, errNoTracks
	}
	st, id, release, err := m.acquire(req)
	if err != nil {
		return nil, err
	}
	s := &Session{ID: id, req: req, m: m, stream: st, release: release, started: time.Now(),
		queue: make(chan unit, m.cfg.QueueLen), done: make(chan struct{}), ended: make(chan struct{}),
		log: m.cfg.Logger.With("stream", req.Stream, "session", id, "protocol", req.Protocol, "remote", req.Remote)}
	opts := m.cfg.Fragments
	opts.RequestKeyframe = req.RequestKeyframe
	opts.OnPart = st.AddPart // live readers see parts before the fragment is stored
	opts.OnUnit = st.AddUnit // and units as they arrive
	opts.TimelineStart = s.timelineEnd()
	s.frag, err = fragments.NewFragmenter(req.Tracks, opts, s.store)
	if err != nil {
		release()
		return nil, err
	}
	st.StartUnits(req.Tracks)
	if err := m.register(s); err != nil {
		st.StopUnits()
		release()
		return nil, err
	}
	go s.run()
	s.log.Info("ingest: publisher started", "tracks", describe(req.Tracks))
	return s, nil
}

// acquire finds (or creates) req's stream and takes its publisher slot.
func (m *Manager) acquire(req Request) (st *fragments.Stream, id string, release func(), err error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, "", nil, ErrClosed
	}
	st, err = m.cfg.Store.Lookup(fragments.StreamRef{Name: req.Stream})
	if errors.Is(err, registry.ErrResourceNotFound) && m.cfg.AutoCreate {
		_, err = m.cfg.Store.CreateStream(fragments.CreateInput{Name: req.Stream, RetentionHours: m.cfg.AutoCreateRetentionHours, MediaType: mediaType(req.Tracks)})
		if errors.Is(err, registry.ErrResourceInUse) {
			err = nil // another publisher created it first
		}
		if err == nil {
			st, err = m.cfg.Store.Lookup(fragments.StreamRef{Name: req.Stream})
		}
	}
	if errors.Is(err, registry.ErrResourceNotFound) {
		return nil, "", nil, fmt.Errorf("%w: %s", ErrNoStream, req.Stream)
	}
	if err != nil {
		return nil, "", nil, err
	}
	id = newID()
	release, ok := st.AcquirePublisher(id)
	if !ok {
		return nil, "", nil, fmt.Errorf("%w: %s", ErrBusy, req.Stream)
	}
	return st, id, release, nil
}

// timelineEnd is where the stream's stored media ends: a session continues
// the stream's decode times there. A short read of the stored timeline's
// end, bounded on its own: the session outlives whatever request started it.
func (s *Session) timelineEnd() time.Duration {
	tctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	end, err := s.stream.TimelineEnd(tctx)
	cancel()
	if err != nil {
		s.log.Warn("ingest: decode times restart at 0: the newest fragment cannot be read", "err", err)
		return 0
	}
	return end
}

// register lists s among the running sessions, under the lock that Close
// takes: a Close that came after acquire either finds the session here and
// ends it, or has already marked the manager closed and the session is
// given up (ErrClosed).
func (m *Manager) register(s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.sessions[s.ID] = s
	return nil
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Session) enqueue(u unit) {
	s.units.Add(1)
	if u.kind == kindH264 || u.kind == kindH265 || u.kind == kindVP9 || u.kind == kindAV1 {
		s.videoUnits.Add(1)
	}
	switch {
	case u.owned:
		// Given to the session: stored as it is.
	case u.kind == kindH264 || u.kind == kindH265:
		// One copy, straight into the AVCC form the fMP4 sample stores.
		u.data = [][]byte{avcc(u.data)}
	default:
		// Copy: protocol stacks reuse their packet buffers after the callback.
		for i, b := range u.data {
			u.data[i] = append([]byte(nil), b...)
		}
	}
	u.gap = s.lost.Swap(false)
	select {
	case s.queue <- u:
	case <-s.done:
	default:
		if u.gap || u.kind == kindH264 || u.kind == kindH265 || u.kind == kindVP9 || u.kind == kindAV1 {
			s.lost.Store(true)
		}
		if s.dropped.Add(1)%1000 == 1 {
			s.log.Warn("ingest: queue full, dropping media", "dropped", s.dropped.Load())
		}
	}
}

// avcc joins NAL units into one buffer, each behind a 4-byte length.
func avcc(nalus [][]byte) []byte {
	n := 0
	for _, u := range nalus {
		n += 4 + len(u)
	}
	b := make([]byte, 0, n)
	for _, u := range nalus {
		b = binary.BigEndian.AppendUint32(b, uint32(len(u)))
		b = append(b, u...)
	}
	return b
}

// WriteH264 queues an H.264 access unit (NAL units without start codes).
// pts is in the track's clock, on a time line shared by the publisher's
// tracks; at says when the unit arrived and what the sender's clock said.
func (s *Session) WriteH264(track int, at Timing, pts int64, au [][]byte) {
	s.enqueue(unit{kind: kindH264, track: track, at: at, pts: pts, data: append([][]byte(nil), au...)})
}

// WriteH264AVCC queues an H.264 access unit in AVCC form: each NAL unit
// behind its length in 4 bytes, big-endian. The session takes buf over and
// stores it without copying: the caller must neither change nor reuse it.
func (s *Session) WriteH264AVCC(track int, at Timing, pts int64, buf []byte) {
	s.enqueue(unit{kind: kindH264, track: track, at: at, pts: pts, data: [][]byte{buf}, owned: true})
}

// WriteH265 queues an H.265 access unit.
func (s *Session) WriteH265(track int, at Timing, pts int64, au [][]byte) {
	s.enqueue(unit{kind: kindH265, track: track, at: at, pts: pts, data: append([][]byte(nil), au...)})
}

// WriteMPEG4Audio queues AAC access units (unit i at pts + i*1024).
func (s *Session) WriteMPEG4Audio(track int, at Timing, pts int64, aus [][]byte) {
	s.enqueue(unit{kind: kindAAC, track: track, at: at, pts: pts, data: append([][]byte(nil), aus...)})
}

// WriteOpus queues Opus packets.
func (s *Session) WriteOpus(track int, at Timing, pts int64, packets [][]byte) {
	s.enqueue(unit{kind: kindOpus, track: track, at: at, pts: pts, data: append([][]byte(nil), packets...)})
}

// WriteVP9 queues a VP9 frame.
func (s *Session) WriteVP9(track int, at Timing, pts int64, frame []byte) {
	s.enqueue(unit{kind: kindVP9, track: track, at: at, pts: pts, data: [][]byte{frame}})
}

// WriteAV1 queues an AV1 temporal unit (its OBUs).
func (s *Session) WriteAV1(track int, at Timing, pts int64, obus [][]byte) {
	s.enqueue(unit{kind: kindAV1, track: track, at: at, pts: pts, data: append([][]byte(nil), obus...)})
}

// Gap reports that video was lost on the way (the protocol dropped a frame
// with a missing packet): the stream waits for the next keyframe, which the
// protocol should ask for, and marks a discontinuity there (see
// fragments.Fragmenter.Gap). It is queued in order with the media.
func (s *Session) Gap() {
	s.units.Add(1)
	select {
	case s.queue <- unit{kind: kindGap}:
	case <-s.done:
	default:
		s.lost.Store(true)
		s.dropped.Add(1)
	}
}

func (s *Session) run() {
	for {
		select {
		case u := <-s.queue:
			s.feed(u)
		case <-s.done:
			// Drain what was queued before Close, then store the last GOP.
			for {
				select {
				case u := <-s.queue:
					s.feed(u)
					continue
				default:
				}
				break
			}
			s.stream.StopUnits()
			if err := s.frag.Flush(); err != nil {
				s.log.Warn("ingest: store last fragment", "err", err)
			}
			s.release()
			s.m.mu.Lock()
			delete(s.m.sessions, s.ID)
			s.m.mu.Unlock()
			s.log.Info("ingest: publisher ended", "fragments", s.fragCount.Load(), "bytes", s.bytes.Load(),
				"dropped_units", s.dropped.Load(), "seconds", int(time.Since(s.started).Seconds()))
			close(s.ended)
			return
		}
	}
}

func (s *Session) feed(u unit) {
	if u.gap {
		if err := s.frag.Gap(); err != nil {
			s.log.Debug("ingest: gap", "err", err)
		}
		if s.req.RequestKeyframe != nil {
			s.req.RequestKeyframe()
		}
	}
	if u.kind == kindGap {
		if err := s.frag.Gap(); err != nil {
			s.log.Debug("ingest: gap", "err", err)
		}
		return
	}
	if u.track < 0 || u.track >= len(s.req.Tracks) {
		s.log.Debug("ingest: media unit refused", "err", fmt.Errorf("no track %d", u.track))
		return
	}
	// Producer time: the session's anchor plus the media time (producerClock).
	rate := int64(s.req.Tracks[u.track].ClockRate)
	sec, frac := u.pts/rate, u.pts%rate
	media := time.Duration(sec)*time.Second + time.Duration(frac*int64(time.Second)/rate)
	producer := s.clock.observe(u.track, media, u.at)
	var err error
	switch u.kind {
	case kindH264:
		err = s.frag.WriteH264AVCC(u.track, producer, u.pts, u.data[0])
	case kindH265:
		err = s.frag.WriteH265AVCC(u.track, producer, u.pts, u.data[0])
	case kindAAC:
		err = s.frag.WriteMPEG4Audio(u.track, producer, u.pts, u.data)
	case kindOpus:
		err = s.frag.WriteOpus(u.track, producer, u.pts, u.data)
	case kindVP9:
		err = s.frag.WriteVP9(u.track, producer, u.pts, u.data[0])
	case kindAV1:
		err = s.frag.WriteAV1(u.track, producer, u.pts, u.data)
	}
	if err != nil {
		s.log.Debug("ingest: media unit refused", "err", err)
	}
}

// store is the fragmenter's output: append durably, then account. A
// fragment the disk refused is held in memory by the stream (live viewers
// still get it) or, past that memory, not stored: either way the session
// shows the error and goes on; storing resumes by itself.
func (s *Session) store(f *fragments.Fragment) error {
	_, err := s.appendFragment(f)
	return err
}

// appendFragment appends f durably and accounts it (see store).
func (s *Session) appendFragment(f *fragments.Fragment) (fragments.Stored, error) {
	stored, err := s.stream.Append(context.Background(), f)
	if err != nil {
		s.storeFailed(err)
		return stored, err
	}
	s.storeWorked()
	lat := stored.Durable.Sub(f.Arrival)
	s.fragCount.Add(1)
	s.bytes.Add(int64(len(f.Data)))
	s.lastNumber.Store(&stored.Number)
	s.lmu.Lock()
	if len(s.latencies) < 1024 {
		s.latencies = append(s.latencies, lat)
	} else {
		s.latencies[s.latNext%1024] = lat
	}
	s.latNext++
	s.lmu.Unlock()
	return stored, nil
}

func (s *Session) storeFailed(err error) {
	var ns *fragments.NotStoredError
	held := errors.As(err, &ns) && ns.Held
	now := time.Now()
	s.emu.Lock()
	if s.storeErr == "" {
		s.storeErrAt = now
	}
	s.storeErr = err.Error()
	if held {
		s.held++
	} else {
		s.unstored++
	}
	logNow, n := s.errLog.Allow(now)
	heldN, unstored := s.held, s.unstored
	s.emu.Unlock()
	if logNow {
		s.log.Error("ingest: store fragment", "err", err, "failures", n, "held_fragments", heldN, "unstored_fragments", unstored)
	}
}

func (s *Session) storeWorked() {
	s.emu.Lock()
	was := s.storeErr
	s.storeErr = ""
	s.errLog = ratelog.Limiter{}
	s.emu.Unlock()
	if was != "" {
		s.log.Info("ingest: storing fragments again", "after", was)
	}
}

// Close ends the session: queued media is fragmented, the last GOP stored,
// the publisher slot freed. It waits for that to finish.
func (s *Session) Close() {
	s.closing.Do(func() { close(s.done) })
	<-s.ended
}

// Info is a session's state for operators.
type Info struct {
	ID       string    `json:"id"`
	Stream   string    `json:"stream"`
	Protocol string    `json:"protocol"`
	Remote   string    `json:"remote"`
	Tracks   []string  `json:"tracks"`
	Started  time.Time `json:"started"`
	Units    int64     `json:"units"`
	// VideoUnits are the video frames among Units (frames/s from two readings).
	VideoUnits   int64  `json:"videoUnits"`
	DroppedUnits int64  `json:"droppedUnits"`
	Fragments    int64  `json:"fragments"`
	Bytes        int64  `json:"bytes"`
	LastFragment string `json:"lastFragment,omitempty"`
	// StoreError is why fragments are not being stored (a full disk), since
	// StoreErrorSince; empty while storing works.
	StoreError      string    `json:"storeError,omitempty"`
	StoreErrorSince time.Time `json:"storeErrorSince,omitzero"`
	// HeldFragments were refused by the disk and kept in memory: live
	// viewers get them and they are stored when space returns.
	// StreamHeldFragments is how many of the stream's wait now.
	HeldFragments       int64 `json:"heldFragments"`
	StreamHeldFragments int   `json:"streamHeldFragments"`
	// UnstoredFragments were refused by the disk when the memory for held
	// fragments was full: they are not stored anywhere.
	UnstoredFragments int64         `json:"unstoredFragments"`
	CommitP50         time.Duration `json:"commitP50Nanos"`
	CommitP99         time.Duration `json:"commitP99Nanos"`
	// CommitLatencies are the recent commit latencies (up to 1024), given
	// only when asked for (Manager.SessionsWithLatencies).
	CommitLatencies []time.Duration `json:"commitLatenciesNanos,omitempty"`
}

// Info returns the session's state.
func (s *Session) Info() Info {
	s.emu.Lock()
	tracks := s.req.Tracks // a Direct session sets them under emu
	s.emu.Unlock()
	in := Info{ID: s.ID, Stream: s.req.Stream, Protocol: s.req.Protocol, Remote: s.req.Remote, Tracks: describe(tracks),
		Started: s.started, Units: s.units.Load(), VideoUnits: s.videoUnits.Load(), DroppedUnits: s.dropped.Load(), Fragments: s.fragCount.Load(), Bytes: s.bytes.Load()}
	if n := s.lastNumber.Load(); n != nil {
		in.LastFragment = *n
	}
	s.emu.Lock()
	in.StoreError, in.StoreErrorSince, in.HeldFragments, in.UnstoredFragments = s.storeErr, s.storeErrAt, s.held, s.unstored
	s.emu.Unlock()
	hi := s.stream.Held()
	in.StreamHeldFragments = hi.Held
	if in.StoreError == "" && hi.Err != nil {
		in.StoreError = hi.Err.Error() // the publisher's appends work, held ones wait
	}
	s.lmu.Lock()
	l := append([]time.Duration(nil), s.latencies...)
	s.lmu.Unlock()
	if len(l) > 0 {
		in.CommitLatencies = append([]time.Duration(nil), l...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		in.CommitP50, in.CommitP99 = l[len(l)/2], l[len(l)*99/100]
	}
	return in
}

// Sessions returns the state of every running session, by stream name.
func (m *Manager) Sessions() []Info {
	out := m.SessionsWithLatencies()
	for i := range out {
		out[i].CommitLatencies = nil
	}
	return out
}

// SessionsWithLatencies is Sessions with each session's recent commit
// latencies, for measuring.
func (m *Manager) SessionsWithLatencies() []Info {
	m.mu.Lock()
	list := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		list = append(list, s)
	}
	m.mu.Unlock()
	out := make([]Info, 0, len(list))
	for _, s := range list {
		out = append(out, s.Info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}

// Close ends every session and refuses new ones.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	list := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		list = append(list, s)
	}
	m.mu.Unlock()
	for _, s := range list {
		s.Close()
	}
}
