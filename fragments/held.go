package fragments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// Fragments that a full disk kept from being stored are held in memory, in
// order, under the sequence numbers they will be stored with: a stream has
// one publisher, so nothing else takes those numbers. Live readers (HLS)
// see them as they see stored ones, so viewers keep watching; ListFragments
// and the time index get them once they are stored. They are written as
// soon as the disk has room again: before the publisher's next fragment,
// and by the store's loop while no fragment comes. Past maxHeldBytes a
// stream's new fragments are refused and counted as unstored.

// maxHeldBytes bounds the fragments one stream holds in memory (about four
// minutes of a 2 Mbit/s camera).
const maxHeldBytes = 64 << 20

// NotStoredError reports a fragment the store could not write because the
// disk is full. Held says it waits in memory and will be written when space
// returns; otherwise it is lost (the stream's memory for held fragments was
// used up).
type NotStoredError struct {
	Held bool
	Err  error
}

func (e *NotStoredError) Error() string {
	if e.Held {
		return fmt.Sprintf("fragment held in memory until it can be stored: %v", e.Err)
	}
	return fmt.Sprintf("fragment not stored, the memory for held fragments is full: %v", e.Err)
}

func (e *NotStoredError) Unwrap() error { return e.Err }

type held struct {
	wmu sync.Mutex // one writer of the log at a time: the publisher or the store's loop

	mu      sync.Mutex // guards what follows; never held across a write
	frags   []heldFrag
	bytes   int
	dropped int64
	err     error // why storing failed; nil once it works again

	n    atomic.Int64  // len(frags), for readers without the lock
	next atomic.Uint64 // the number after the newest held fragment; draining leaves it
}

type heldFrag struct {
	seq uint64
	f   *Fragment
	at  int64 // server time it was held at
}

// HeldInfo says how a stream's storing fares.
type HeldInfo struct {
	Held      int   // fragments waiting in memory to be stored
	HeldBytes int   // their size
	Dropped   int64 // fragments refused since the stream was opened: not stored anywhere
	Err       error // why storing fails now; nil when it works
}

// Held reports the fragments held in memory and the current storing error.
func (st *Stream) Held() HeldInfo {
	h := &st.held
	h.mu.Lock()
	defer h.mu.Unlock()
	return HeldInfo{Held: len(h.frags), HeldBytes: h.bytes, Dropped: h.dropped, Err: h.err}
}

func (h *held) setErr(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// nextSeq is the sequence number the next fragment will get. It does not
// move while held fragments are written (the log's end grows into it).
func (st *Stream) nextSeq() uint64 {
	return max(st.log.Load().Bounds().Next, st.held.next.Load())
}

// holdLocked keeps f in memory after the disk refused it (cause), with the
// writer lock held.
func (st *Stream) holdLocked(f *Fragment, cause error) (Stored, error) {
	h := &st.held
	st.s.reserveWake()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = cause
	if h.bytes+len(f.Data) > maxHeldBytes {
		h.dropped++
		st.dropParts()
		return Stored{}, &NotStoredError{Err: cause}
	}
	seq := st.log.Load().Bounds().Next + uint64(len(h.frags))
	now := st.s.cfg.Now().UnixNano()
	h.frags = append(h.frags, heldFrag{seq: seq, f: f, at: now})
	h.bytes += len(f.Data)
	h.n.Store(int64(len(h.frags)))
	h.next.Store(seq + 1)
	li := st.infoFrom(infoOf(seq, now, f, len(f.Data)))
	li.Parts = PartsOf(f)
	st.committed(li)
	return Stored{Seq: seq, Number: st.FragmentNumber(seq), ServerTime: time.Unix(0, now)},
		&NotStoredError{Held: true, Err: cause}
}

// writeHeldLocked stores the held fragments, oldest first, with the writer
// lock held. It stops at the first that the disk refuses.
func (st *Stream) writeHeldLocked(ctx context.Context) error {
	h := &st.held
	for {
		h.mu.Lock()
		if len(h.frags) == 0 {
			h.mu.Unlock()
			return nil
		}
		hf := h.frags[0]
		h.mu.Unlock()
		entry := []shard.Entry{{Meta: encodeMeta(hf.f), Data: hf.f.Data}}
		res, err := st.log.Load().Append(ctx, entry)
		if errors.Is(err, shard.ErrDiskFull) {
			h.setErr(err)
			return err
		}
		h.mu.Lock()
		h.frags = h.frags[1:]
		h.bytes -= len(hf.f.Data)
		h.n.Store(int64(len(h.frags)))
		if err != nil {
			h.dropped++
		}
		if len(h.frags) == 0 {
			h.frags = nil
		}
		h.mu.Unlock()
		if err != nil {
			st.s.cfg.Logger.Error("fragments: store a held fragment", "stream", st.def().Name, "err", err)
			continue
		}
		if res.FirstSeq != hf.seq {
			st.s.cfg.Logger.Warn("fragments: held fragment stored under another number", "stream", st.def().Name,
				"held_as", hf.seq, "stored_as", res.FirstSeq)
		}
		st.s.ix.add(st.def().ID, infoOf(res.FirstSeq, res.Time, hf.f, len(hf.f.Data)))
	}
}

// heldFrom returns up to max held fragments from sequence number from on.
func (st *Stream) heldFrom(from uint64, max int) ([]*Fragment, []FragmentInfo) {
	h := &st.held
	h.mu.Lock()
	defer h.mu.Unlock()
	var frags []*Fragment
	var infos []FragmentInfo
	for _, hf := range h.frags {
		if len(frags) == max {
			break
		}
		if hf.seq < from {
			continue
		}
		frags = append(frags, hf.f)
		infos = append(infos, FragmentInfo{Number: st.FragmentNumber(hf.seq), Seq: hf.seq, Size: int64(len(hf.f.Data)),
			ProducerTime: hf.f.ProducerTime, ServerTime: time.Unix(0, hf.at), Duration: hf.f.Duration, Discontinuity: hf.f.Discontinuity})
	}
	return frags, infos
}

// dropHeld forgets the held fragments of a deleted stream.
func (st *Stream) dropHeld() {
	h := &st.held
	h.mu.Lock()
	h.frags, h.bytes, h.err = nil, 0, nil
	h.n.Store(0)
	h.next.Store(0)
	h.mu.Unlock()
}

// writeHeld stores what every stream holds, when the disk has room.
func (s *Store) writeHeld() {
	var list []*Stream
	for _, st := range s.all() {
		if st.held.n.Load() > 0 {
			list = append(list, st)
		}
	}
	for _, st := range list {
		st.held.wmu.Lock()
		if err := st.writeHeldLocked(context.Background()); err == nil {
			st.held.setErr(nil)
		}
		st.held.wmu.Unlock()
	}
}
