package fragments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/ratelog"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// Config configures a Store.
type Config struct {
	// Catalog keeps the stream definitions and Store the fragment logs (cmd
	// chooses them). Store belongs to the video store: logs in it of no
	// video stream are removed at Open. MemStore, when set, holds the live
	// buffers of streams with retention 0, which never reach the disk.
	Catalog  registry.Catalog
	Store    shard.Store
	MemStore shard.Store
	// Index is the fragment time index; nil keeps it in memory.
	Index   TimeIndex
	Keyring *envelope.Keyring
	Account string
	Region  string

	StreamLimit     int           // video streams per account (default 10000)
	SegmentMaxBytes int64         // shard segment size (default 64 MiB)
	RetentionCheck  time.Duration // how often expired fragments are dropped (default 1m)
	// LiveBuffer is how much a stream with retention 0 keeps, in memory only,
	// for live readers (default 5 minutes, as KVS).
	LiveBuffer time.Duration
	// The disk reserve (reserve.go): while free space on ReserveDir's file system
	// is below ReserveBytes or ReservePercent of its size (the larger), the
	// oldest video is deleted. Both 0: off. ReserveCheck is how often free
	// space is checked (default 10s).
	ReserveDir     string
	ReserveBytes   int64
	ReservePercent float64
	ReserveCheck   time.Duration

	Now    func() time.Time
	Logger *slog.Logger
}

// Limits that follow KVS.
const (
	MaxRetentionHours = 87600
	MaxTags           = 50
	logName           = "fragments"
	defaultKMSAlias   = "aws/kinesisvideo"
)

// Store runs the video streams of one server: the KVS rules over the
// registry of video streams, each stream's fragments being the records of
// one shard log.
type Store struct {
	cfg Config
	reg *registry.Registry[*Stream]
	idx TimeIndex
	ix  *indexer // write-behind of idx

	ixLog      ratelog.Limiter // failed index writes, logged at a bounded rate
	reserveLog ratelog.Limiter // a reserve that cannot be kept
	reserveC   chan struct{}

	stop chan struct{}
	wg   sync.WaitGroup
}

// Stream is a live video stream.
type Stream struct {
	s     *Store
	entry *registry.Stream[*Stream]
	log   atomic.Pointer[logRef]

	publisher atomic.Pointer[string] // id of the publishing session, if any
	live      live
	feed      unitFeed // access units of the current publisher, for live readers
	held      held     // fragments a full disk kept from being stored
}

// logRef is the stream's current log; memory says it is a live buffer.
type logRef struct {
	*shard.SealedLog
	memory bool
}

// def returns the stream's current definition.
func (st *Stream) def() *index.Stream { return st.entry.Def() }

// videoExtra is what a video stream keeps beyond the generic definition.
type videoExtra struct {
	DeviceName string `json:"deviceName,omitempty"`
	MediaType  string `json:"mediaType,omitempty"`
	KmsKeyID   string `json:"kmsKeyId"`
}

func extraOf(m *index.Stream) videoExtra {
	var x videoExtra
	json.Unmarshal(m.Extra, &x)
	return x
}

// Open loads every video stream of the catalog.
func Open(cfg Config) (*Store, error) {
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.StreamLimit <= 0 {
		cfg.StreamLimit = DefaultStreamLimit
	}
	if cfg.LiveBuffer <= 0 {
		cfg.LiveBuffer = DefaultLiveBuffer
	}
	if cfg.ReserveCheck <= 0 {
		cfg.ReserveCheck = DefaultReserveCheck
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("fragments: a catalog and a store are required")
	}
	s := &Store{cfg: cfg, idx: cfg.Index, stop: make(chan struct{}), reserveC: make(chan struct{}, 1)}
	if s.idx == nil {
		s.idx = newMemIndex()
	}
	s.ix = &indexer{idx: s.idx}
	reg, err := registry.Open(context.Background(), registry.Config[*Stream]{
		Kind: index.KindVideo, Catalog: cfg.Catalog, Store: cfg.Store, Memory: cfg.MemStore, Keyring: cfg.Keyring,
		RetentionCheck: cfg.RetentionCheck, Now: cfg.Now, Logger: cfg.Logger,
		Hooks: registry.Hooks[*Stream]{
			Open:      s.openStream,
			Close:     func(e *registry.Stream[*Stream]) { e.Runtime().log.Load().Close() },
			Retention: func(_ context.Context, e *registry.Stream[*Stream]) { s.enforce(e.Runtime()) },
		},
	})
	if err != nil {
		return nil, fmt.Errorf("fragments: %w", err)
	}
	s.reg = reg
	s.wg.Add(1)
	go s.indexLoop()
	if s.reserveOn() {
		s.wg.Add(1)
		go s.reserveLoop()
	}
	return s, nil
}

// openStream opens a stream's log and catches its time index up: the
// registry's Open hook.
func (s *Store) openStream(ctx context.Context, e *registry.Stream[*Stream]) (*Stream, error) {
	st := &Stream{s: s, entry: e}
	if err := st.openLog(ctx, 0); err != nil {
		return nil, err
	}
	if err := s.reindex(ctx, st); err != nil {
		st.log.Load().Close()
		return nil, err
	}
	return st, nil
}

// byName returns the stream called name, or nil.
func (s *Store) byName(name string) *Stream {
	if e := s.reg.Get(name); e != nil {
		return e.Runtime()
	}
	return nil
}

// all returns every stream, in name order.
func (s *Store) all() []*Stream {
	list := s.reg.All()
	out := make([]*Stream, len(list))
	for i, e := range list {
		out[i] = e.Runtime()
	}
	return out
}

// flushIndex writes the pending index entries for a reader. A failure (a
// full disk) keeps them pending: the reader sees the index as it is.
func (s *Store) flushIndex() {
	if err := s.ix.flush(); err != nil {
		if ok, n := s.ixLog.Allow(time.Now()); ok {
			s.cfg.Logger.Warn("fragments: write the time index (kept in memory, retried)", "err", err, "failures", n)
		}
	}
}

// indexLoop flushes the time index behind the appends.
func (s *Store) indexLoop() {
	defer s.wg.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.writeHeld()
			if err := s.ix.flush(); err != nil {
				if ok, n := s.ixLog.Allow(time.Now()); ok {
					s.cfg.Logger.Warn("fragments: write the time index (kept in memory, retried)", "err", err, "failures", n)
				}
			}
		}
	}
}

// openLog opens the stream's log for its retention: a durable log, or an
// in-memory buffer when retention is 0. firstSeq continues numbering across
// a switch between the two.
func (st *Stream) openLog(ctx context.Context, firstSeq uint64) error {
	m := st.def()
	hours := m.RetentionHours
	age := time.Duration(hours) * time.Hour / 24
	l, err := st.entry.OpenLog(ctx, logName, shard.LogOptions{
		SegmentMaxBytes: st.s.cfg.SegmentMaxBytes, SegmentMaxAge: max(age, time.Minute), FirstSeq: firstSeq,
	}, hours == 0)
	if err != nil {
		return fmt.Errorf("fragments: %w", err)
	}
	st.log.Store(&logRef{SealedLog: l, memory: hours == 0})
	return nil
}

// reindex adds to the time index the fragments it lacks: those written
// after the last index update before a crash or while the index could not
// be written (a full disk), all of them when the catalog was lost, and any
// hole that an earlier version left by writing a later batch past a failed one.
func (s *Store) reindex(ctx context.Context, st *Stream) error {
	m := st.def()
	l := st.log.Load()
	b := l.Bounds()
	type gap struct{ from, to uint64 } // [from, to)
	var gaps []gap
	expect := b.First
	err := s.idx.FragmentsFrom(m.ID, b.First, func(f index.FragmentInfo) bool {
		if f.Seq >= b.Next {
			return false
		}
		if f.Seq > expect {
			gaps = append(gaps, gap{expect, f.Seq})
		}
		expect = f.Seq + 1
		return true
	})
	if err != nil {
		return fmt.Errorf("fragments: reindex %s: %w", m.Name, err)
	}
	if expect < b.Next {
		gaps = append(gaps, gap{expect, b.Next})
	}
	n := 0
	failed := false // after a failed write, the rest waits in the indexer: no holes
	for _, g := range gaps {
		for from := g.from; from < g.to; {
			recs, err := l.Read(ctx, from, int(min(64, g.to-from)), 64<<20)
			if err != nil {
				return fmt.Errorf("fragments: reindex %s: %w", m.Name, err)
			}
			infos := make([]index.FragmentInfo, 0, len(recs))
			for _, r := range recs {
				if r.Seq >= g.to {
					break
				}
				var f Fragment
				if err := decodeMeta(r.Meta, &f); err != nil {
					return fmt.Errorf("fragments: reindex %s fragment %d: %w", m.Name, r.Seq, err)
				}
				infos = append(infos, infoOf(r.Seq, r.Time, &f, len(r.Data)))
			}
			if len(infos) == 0 {
				break
			}
			from = infos[len(infos)-1].Seq + 1
			if !failed {
				if err := s.idx.PutFragments(m.ID, infos); err != nil {
					// A full disk: start anyway; the entries stay pending
					// and are written, with every later one, once they can be.
					failed = true
					s.cfg.Logger.Warn("fragments: write the time index (kept in memory, retried)", "stream", m.Name, "err", err)
				}
			}
			if failed {
				for _, fi := range infos {
					s.ix.add(m.ID, fi)
				}
			}
			n += len(infos)
		}
	}
	if n > 0 {
		s.cfg.Logger.Info("fragments: time index rebuilt", "stream", m.Name, "fragments", n, "ranges", len(gaps))
	}
	return nil
}

func infoOf(seq uint64, server int64, f *Fragment, size int) index.FragmentInfo {
	fi := index.FragmentInfo{Seq: seq, Producer: f.ProducerTime.UnixNano(), Server: server, Duration: int64(f.Duration), Size: uint32(size)}
	if f.Discontinuity {
		fi.Flags |= index.FlagDiscontinuity
	}
	return fi
}

// IDs returns the ids of the store's streams.
func (s *Store) IDs() []string {
	var ids []string
	for _, st := range s.all() {
		ids = append(ids, st.ID())
	}
	return ids
}

// Close stops background work and closes every log.
func (s *Store) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	s.wg.Wait()
	s.writeHeld()
	for _, st := range s.all() {
		if h := st.Held(); h.Held > 0 {
			s.cfg.Logger.Error("fragments: closing with fragments held in memory that the disk refused: they are lost",
				"stream", st.def().Name, "fragments", h.Held, "bytes", h.HeldBytes, "err", h.Err)
		}
	}
	err := s.ix.flush()
	s.reg.Close()
	return err
}

// StreamRef names a stream by name or ARN.
type StreamRef struct {
	Name string
	ARN  string
}

func (s *Store) arn(name string, created time.Time) string {
	return fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", s.cfg.Region, s.cfg.Account, name, created.UnixMilli())
}

// Lookup returns the stream a reference names.
func (s *Store) Lookup(ref StreamRef) (*Stream, error) {
	if ref.Name != "" && ref.ARN != "" {
		return nil, errorf(registry.ErrInvalidArgument, "Specify either StreamName or StreamARN, not both.")
	}
	name := ref.Name
	if ref.ARN != "" {
		parts := strings.SplitN(ref.ARN, ":", 6)
		if len(parts) != 6 || parts[2] != "kinesisvideo" || !strings.HasPrefix(parts[5], "stream/") {
			return nil, errorf(registry.ErrInvalidArgument, "Invalid ARN %s.", ref.ARN)
		}
		rest := strings.TrimPrefix(parts[5], "stream/")
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return nil, errorf(registry.ErrInvalidArgument, "Invalid ARN %s.", ref.ARN)
		}
		e := s.reg.ByARN(ref.ARN)
		if e == nil || e.Def().Name != rest[:i] {
			return nil, notFound()
		}
		return e.Runtime(), nil
	}
	if name == "" {
		return nil, errorf(registry.ErrInvalidArgument, "StreamName or StreamARN must be specified.")
	}
	if st := s.byName(name); st != nil {
		return st, nil
	}
	return nil, notFound()
}

// Info describes a stream as DescribeStream does.
type Info struct {
	Name             string
	ARN              string
	DeviceName       string
	MediaType        string
	KmsKeyID         string
	Version          string
	Status           string
	Created          time.Time
	RetentionHours   int
	Tags             map[string]string
	EncryptionKeyVer uint32
}

// Info returns the stream's description.
func (st *Stream) Info() Info {
	m := st.def()
	x := extraOf(m)
	return Info{Name: m.Name, ARN: m.ARN, DeviceName: x.DeviceName, MediaType: x.MediaType, KmsKeyID: x.KmsKeyID,
		Version: strconv.FormatInt(m.Version, 10), Status: m.Status, Created: m.Created, RetentionHours: m.RetentionHours, Tags: m.Tags}
}

// FragmentNumber renders a sequence number of the stream as a KVS fragment
// number: 47 digits, the stream's creation time in milliseconds followed by
// the zero-padded sequence, so numbers grow by one per fragment and sort as text.
func (st *Stream) FragmentNumber(seq uint64) string {
	var b [47]byte
	return string(st.AppendFragmentNumber(b[:0], seq))
}

// AppendFragmentNumber appends the fragment number of seq to b.
func (st *Stream) AppendFragmentNumber(b []byte, seq uint64) []byte {
	n := len(b)
	b = append(b, make([]byte, 47)...)
	putDigits(b[n:n+13], uint64(st.def().Created.UnixMilli()))
	putDigits(b[n+13:], seq)
	return b
}

// putDigits writes v in decimal, zero-padded to fill dst (long playlists
// render tens of thousands of fragment numbers).
func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// ParseFragmentNumber returns the sequence number a fragment number of
// this stream holds.
func (st *Stream) ParseFragmentNumber(n string) (uint64, bool) {
	prefix := fmt.Sprintf("%013d", st.def().Created.UnixMilli())
	if len(n) != 47 || !strings.HasPrefix(n, prefix) {
		return 0, false
	}
	seq, err := strconv.ParseUint(strings.TrimLeft(n[13:], "0"), 10, 64)
	if err != nil {
		return 0, n[13:] == strings.Repeat("0", 34)
	}
	return seq, true
}

// Stored says where an appended fragment landed.
type Stored struct {
	Seq        uint64
	Number     string
	ServerTime time.Time
	Durable    time.Time // when the append returned: the fragment was on disk
}

// Append stores a fragment durably and indexes it by time. When the disk
// is full the fragment is held in memory instead (see held.go) and the
// error is a *NotStoredError.
func (st *Stream) Append(ctx context.Context, f *Fragment) (Stored, error) {
	h := &st.held
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if err := st.writeHeldLocked(ctx); err != nil {
		return st.holdLocked(f, err)
	}
	stored, err := st.appendLocked(ctx, f)
	if errors.Is(err, shard.ErrDiskFull) {
		return st.holdLocked(f, err)
	}
	if err == nil {
		h.setErr(nil)
	}
	return stored, err
}

// appendLocked appends one fragment to the log, with the held list's
// writer lock held.
func (st *Stream) appendLocked(ctx context.Context, f *Fragment) (Stored, error) {
	entry := []shard.Entry{{Meta: encodeMeta(f), Data: f.Data}}
	var res shard.Appended
	var err error
	for try := 0; try < 2; try++ {
		res, err = st.log.Load().Append(ctx, entry)
		if !errors.Is(err, shard.ErrClosed) || st.s.byName(st.def().Name) != st {
			break // a retention switch closed the log: append to the new one
		}
	}
	if errors.Is(err, shard.ErrDiskFull) {
		return Stored{}, err
	}
	if errors.Is(err, shard.ErrClosed) {
		st.dropParts()
		return Stored{}, notFound()
	}
	if err != nil {
		st.dropParts()
		return Stored{}, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	durable := time.Now()
	info := infoOf(res.FirstSeq, res.Time, f, len(f.Data))
	st.s.ix.add(st.def().ID, info)
	li := st.infoFrom(info)
	li.Parts = PartsOf(f)
	st.committed(li)
	return Stored{Seq: res.FirstSeq, Number: st.FragmentNumber(res.FirstSeq), ServerTime: time.Unix(0, res.Time), Durable: durable}, nil
}

// AcquirePublisher makes session the stream's only publisher; release gives
// the slot back. ok is false while another session publishes.
func (st *Stream) AcquirePublisher(session string) (release func(), ok bool) {
	if !st.publisher.CompareAndSwap(nil, &session) {
		return nil, false
	}
	p := st.publisher.Load()
	st.setPublishing(true)
	return func() {
		if st.publisher.CompareAndSwap(p, nil) {
			st.setPublishing(false)
		}
	}, true
}

// EnforceRetention drops every stream's fragments past retention (for
// retention 0, past the live buffer). It runs periodically on its own.
func (s *Store) EnforceRetention() { s.reg.EnforceRetention(context.Background()) }

func (s *Store) enforce(st *Stream) {
	m := st.def()
	keep := time.Duration(m.RetentionHours) * time.Hour
	if keep == 0 {
		keep = s.cfg.LiveBuffer
	}
	l := st.log.Load()
	if _, err := l.TrimBefore(s.cfg.Now().Add(-keep).UnixNano()); err != nil && !errors.Is(err, shard.ErrClosed) {
		s.cfg.Logger.Warn("fragments: retention", "stream", m.Name, "err", err)
		return
	}
	s.ix.flush()
	if err := s.idx.TrimFragments(m.ID, l.Bounds().First); err != nil {
		s.cfg.Logger.Warn("fragments: retention of the time index", "stream", m.Name, "err", err)
	}
}

// RewrapDataKeys moves the data keys the master key keyID wraps onto its
// newest version, for every stream.
func (s *Store) RewrapDataKeys(keyID string) (int, error) {
	n, err := s.reg.Rewrap(context.Background(), keyID)
	if err != nil {
		return n, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return n, nil
}

// ID returns the stream's incarnation id: a deleted and recreated stream of
// the same name has another.
func (st *Stream) ID() string { return st.def().ID }

// LookupID returns the stream whose incarnation id is id.
func (s *Store) LookupID(id string) (*Stream, error) {
	if e := s.reg.ByID(id); e != nil {
		return e.Runtime(), nil
	}
	return nil, notFound()
}

// Fragment returns the stored fragment with sequence number seq.
func (st *Stream) Fragment(ctx context.Context, seq uint64) (*Fragment, FragmentInfo, error) {
	frags, infos, err := st.Read(ctx, seq, 1)
	if err != nil {
		return nil, FragmentInfo{}, err
	}
	if len(frags) == 0 || infos[0].Seq != seq {
		if st.damagedAt(seq) {
			return nil, FragmentInfo{}, errorf(registry.ErrDamaged, "Fragment %s of stream %s is damaged in storage and cannot be read.",
				st.FragmentNumber(seq), st.def().Name)
		}
		return nil, FragmentInfo{}, errorf(registry.ErrResourceNotFound, "Fragment %s was not found.", st.FragmentNumber(seq))
	}
	return frags[0], infos[0], nil
}

// Bounds returns the sequence numbers of the oldest retained fragment and
// of the next to be stored.
func (st *Stream) Bounds() (first, next uint64) {
	b := st.log.Load().Bounds()
	return b.First, b.Next
}
