package shard

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
)

// MemLog is a Log held in memory: nothing survives Close. It seals records
// like FileLog does, so keyed logs behave the same, and serves tests and
// servers started without a data directory.
type MemLog struct {
	keys KeySource
	now  func() time.Time

	mu      sync.RWMutex
	recs    []memRec
	first   uint64 // sequence number of recs[0], or the next one when empty
	next    uint64 // the next record's sequence number
	lastT   int64
	keyVer  uint32
	ciphers map[uint32]*envelope.Cipher
	salt    []byte
	closed  bool
	notify  chan struct{}
}

type memRec struct {
	seq     uint64
	time    int64
	keyVer  uint32
	metaLen int
	body    []byte // meta||data, sealed when keyVer != 0
	hdr     []byte // the record's AAD when sealed
}

var _ Log = (*MemLog)(nil)

// Damaged returns nothing: memory is not damaged the way disks are.
func (m *MemLog) Damaged() []Damage { return nil }

// NewMem returns an empty in-memory log whose first record will be
// firstSeq (0 means 1). now may be nil (time.Now).
func NewMem(keys KeySource, now func() time.Time, firstSeq uint64) *MemLog {
	if now == nil {
		now = time.Now
	}
	if firstSeq == 0 {
		firstSeq = 1
	}
	salt := make([]byte, envelope.SaltSize)
	rand.Read(salt)
	return &MemLog{keys: keys, now: now, first: firstSeq, next: firstSeq, notify: make(chan struct{}), ciphers: map[uint32]*envelope.Cipher{}, salt: salt}
}

func (m *MemLog) cipher(ver uint32) (*envelope.Cipher, error) {
	if c := m.ciphers[ver]; c != nil {
		return c, nil
	}
	if m.keys == nil {
		return nil, fmt.Errorf("%w: no key source for version %d", ErrNoKey, ver)
	}
	k, err := m.keys(ver)
	if err != nil {
		return nil, fmt.Errorf("%w: version %d: %w", ErrNoKey, ver, err)
	}
	c, err := envelope.NewCipher(k, m.salt)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoKey, err)
	}
	m.ciphers[ver] = c
	return c, nil
}

// Append stores entries and reports their position.
func (m *MemLog) Append(ctx context.Context, entries []Entry) (Appended, error) {
	if err := ctx.Err(); err != nil {
		return Appended{}, err
	}
	for _, e := range entries {
		if n := len(e.Meta) + len(e.Data); n > MaxRecordSize {
			return Appended{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Appended{}, ErrClosed
	}
	now := m.now().UnixNano()
	if now < m.lastT {
		now = m.lastT
	}
	next := m.next
	var c *envelope.Cipher
	if m.keyVer != 0 {
		var err error
		if c, err = m.cipher(m.keyVer); err != nil {
			return Appended{}, err
		}
	}
	res := Appended{FirstSeq: next, Time: now}
	for _, e := range entries {
		r := memRec{seq: next, time: now, keyVer: m.keyVer, metaLen: len(e.Meta)}
		if c != nil {
			enc := appendRecord(nil, next, now, e, c)
			r.hdr, r.body = enc[:recHeaderSize], enc[recHeaderSize:len(enc)-recTrailer]
		} else {
			r.body = append(append([]byte(nil), e.Meta...), e.Data...)
		}
		m.recs = append(m.recs, r)
		next++
	}
	m.next = next
	if len(entries) > 0 {
		m.lastT = now
		close(m.notify)
		m.notify = make(chan struct{})
	}
	return res, nil
}

// Read returns stored records from sequence from on.
func (m *MemLog) Read(ctx context.Context, from uint64, max, maxBytes int) ([]Record, error) {
	m.mu.Lock() // opening may fill the cipher cache
	defer m.mu.Unlock()
	if from < m.first {
		from = m.first
	}
	var out []Record
	total := 0
	// Numbers may have been skipped (SkipTo): find from by search.
	start := sort.Search(len(m.recs), func(i int) bool { return m.recs[i].seq >= from })
	for i := start; i < len(m.recs) && len(out) < max; i++ {
		r := m.recs[i]
		rec := Record{Seq: r.seq, Time: r.time, KeyVer: r.keyVer}
		metaLen := r.metaLen
		body := r.body
		if r.keyVer != 0 {
			c, err := m.cipher(r.keyVer)
			if err != nil {
				return out, err
			}
			if body, err = c.Open(nil, r.seq, body, r.hdr); err != nil {
				return out, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
		} else {
			body = append([]byte(nil), body...)
		}
		rec.Meta, rec.Data = body[:metaLen:metaLen], body[metaLen:]
		sz := len(body)
		if len(out) > 0 && total+sz > maxBytes {
			break
		}
		total += sz
		out = append(out, rec)
		if total >= maxBytes {
			break
		}
	}
	return out, nil
}

// SeekTime returns the first sequence number whose time is >= t.
func (m *MemLog) SeekTime(ctx context.Context, t int64) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := sort.Search(len(m.recs), func(i int) bool { return m.recs[i].time >= t })
	if i == len(m.recs) {
		return m.next, nil
	}
	return m.recs[i].seq, nil
}

// Bounds returns the readable extent.
func (m *MemLog) Bounds() Bounds {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return Bounds{First: m.first, Next: m.next, LastTime: m.lastT}
}

// Notify returns a channel closed at the next append.
func (m *MemLog) Notify() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.notify
}

// SetKey makes later appends seal with data-key version ver (0 = plaintext).
func (m *MemLog) SetKey(ver uint32) {
	m.mu.Lock()
	m.keyVer = ver
	m.mu.Unlock()
}

// TrimBefore drops records older than t. A MemLog trims record by record.
func (m *MemLog) TrimBefore(t int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := sort.Search(len(m.recs), func(i int) bool { return m.recs[i].time >= t })
	m.recs = append([]memRec(nil), m.recs[i:]...)
	m.first = m.next
	if len(m.recs) > 0 {
		m.first = m.recs[0].seq
	}
	return i, nil
}

// SkipTo makes the next record's sequence number at least seq.
func (m *MemLog) SkipTo(ctx context.Context, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if seq > m.next {
		if len(m.recs) == 0 {
			m.first = seq
		}
		m.next = seq
	}
	return nil
}

// Close drops the records and wakes tailing readers.
func (m *MemLog) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.notify) // left closed: tailing readers see the end at once
	}
	return nil
}
