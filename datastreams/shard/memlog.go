package shard

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemLog is a Log held in memory. It stores entries as given (sealing is
// SealedLog's) and serves tests and servers started without a data
// directory. A MemLog made by NewMem is dropped with its last reference;
// one opened from a MemStore keeps its records in the store after Close.
type MemLog struct {
	d      *memData
	mu     sync.RWMutex // guards closed
	closed bool
}

// memData is the content of one in-memory log, shared by the MemLogs that
// open it one after another.
type memData struct {
	now func() time.Time

	mu     sync.RWMutex
	recs   []memRec
	first  uint64 // sequence number of recs[0], or the next one when empty
	next   uint64 // the next record's sequence number
	lastT  int64
	notify chan struct{}
}

type memRec struct {
	seq  uint64
	time int64
	meta []byte
	data []byte
}

var _ Log = (*MemLog)(nil)

// NewMem returns an empty in-memory log whose first record will be
// firstSeq (0 means 1). now may be nil (time.Now).
func NewMem(now func() time.Time, firstSeq uint64) *MemLog {
	return &MemLog{d: newMemData(now, firstSeq)}
}

func newMemData(now func() time.Time, firstSeq uint64) *memData {
	if now == nil {
		now = time.Now
	}
	if firstSeq == 0 {
		firstSeq = 1
	}
	return &memData{now: now, first: firstSeq, next: firstSeq, notify: make(chan struct{})}
}

// wake closes the current notify channel; the caller holds d.mu.
func (d *memData) wake() {
	close(d.notify)
	d.notify = make(chan struct{})
}

func (m *MemLog) isClosed() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.closed
}

// Damaged returns nothing: memory is not damaged the way disks are.
func (m *MemLog) Damaged() []Damage { return nil }

// Append stores entries and reports their position.
func (m *MemLog) Append(ctx context.Context, entries []Entry) (Appended, error) {
	if err := ctx.Err(); err != nil {
		return Appended{}, err
	}
	size := 0
	for _, e := range entries {
		n := len(e.Meta) + len(e.Data)
		if n > MaxStoredSize {
			return Appended{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
		}
		size += n
	}
	// Copy outside the lock: the caller may reuse its buffers.
	arena := make([]byte, 0, size)
	recs := make([]memRec, len(entries))
	for i, e := range entries {
		start := len(arena)
		arena = append(arena, e.Meta...)
		arena = append(arena, e.Data...)
		ml := len(e.Meta)
		recs[i] = memRec{meta: arena[start : start+ml : start+ml], data: arena[start+ml : len(arena) : len(arena)]}
	}
	m.mu.RLock() // held so that Close waits for the append
	defer m.mu.RUnlock()
	if m.closed {
		return Appended{}, ErrClosed
	}
	d := m.d
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now().UnixNano()
	if now < d.lastT {
		now = d.lastT
	}
	if len(entries) == 0 {
		return Appended{FirstSeq: d.next, Time: d.lastT}, nil
	}
	res := Appended{FirstSeq: d.next, Time: now}
	for i := range recs {
		recs[i].seq, recs[i].time = d.next, now
		d.next++
	}
	d.recs = append(d.recs, recs...)
	d.lastT = now
	d.wake()
	return res, nil
}

// Read returns stored records from sequence from on, copied.
func (m *MemLog) Read(ctx context.Context, from uint64, max, maxBytes int) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.isClosed() {
		return nil, ErrClosed
	}
	d := m.d
	d.mu.RLock()
	if from < d.first {
		from = d.first
	}
	// Numbers may have been skipped (SkipTo): find from by search.
	start := sort.Search(len(d.recs), func(i int) bool { return d.recs[i].seq >= from })
	end, total := start, 0
	for end < len(d.recs) && end-start < max {
		sz := len(d.recs[end].meta) + len(d.recs[end].data)
		if end > start && total+sz > maxBytes {
			break
		}
		total += sz
		end++
		if total >= maxBytes {
			break
		}
	}
	picked := d.recs[start:end:end]
	d.mu.RUnlock()
	if len(picked) == 0 {
		return nil, nil
	}
	// Stored records are never changed, so they are copied unlocked.
	out := make([]Record, len(picked))
	arena := make([]byte, 0, total)
	for i, r := range picked {
		s := len(arena)
		arena = append(arena, r.meta...)
		arena = append(arena, r.data...)
		ml := len(r.meta)
		out[i] = Record{Seq: r.seq, Time: r.time, Meta: arena[s : s+ml : s+ml], Data: arena[s+ml : len(arena) : len(arena)]}
	}
	return out, nil
}

// SeekTime returns the first sequence number whose time is >= t.
func (m *MemLog) SeekTime(ctx context.Context, t int64) (uint64, error) {
	if m.isClosed() {
		return 0, ErrClosed
	}
	d := m.d
	d.mu.RLock()
	defer d.mu.RUnlock()
	i := sort.Search(len(d.recs), func(i int) bool { return d.recs[i].time >= t })
	if i == len(d.recs) {
		return d.next, nil
	}
	return d.recs[i].seq, nil
}

// Bounds returns the readable extent.
func (m *MemLog) Bounds() Bounds {
	d := m.d
	d.mu.RLock()
	defer d.mu.RUnlock()
	return Bounds{First: d.first, Next: d.next, LastTime: d.lastT}
}

// Notify returns a channel closed at the next append (or at Close).
func (m *MemLog) Notify() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return closedChan
	}
	m.d.mu.RLock()
	defer m.d.mu.RUnlock()
	return m.d.notify
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// TrimBefore drops records older than t. A MemLog trims record by record.
func (m *MemLog) TrimBefore(t int64) (int, error) {
	if m.isClosed() {
		return 0, ErrClosed
	}
	d := m.d
	d.mu.Lock()
	defer d.mu.Unlock()
	i := sort.Search(len(d.recs), func(i int) bool { return d.recs[i].time >= t })
	if i == 0 {
		return 0, nil
	}
	d.recs = append([]memRec(nil), d.recs[i:]...)
	d.first = d.next
	if len(d.recs) > 0 {
		d.first = d.recs[0].seq
	}
	return i, nil
}

// SkipTo makes the next record's sequence number at least seq.
func (m *MemLog) SkipTo(ctx context.Context, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	d := m.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if seq > d.next {
		if len(d.recs) == 0 {
			d.first = seq
		}
		d.next = seq
	}
	return nil
}

// Close stops this MemLog and wakes its tailing readers; the records stay
// with whoever holds the log's data (a MemStore).
func (m *MemLog) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.d.mu.Lock()
		m.d.wake() // readers of this log find it closed; others wake for nothing
		m.d.mu.Unlock()
	}
	return nil
}
