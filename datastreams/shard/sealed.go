package shard

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shardcast/shardcast/datastreams/envelope"
)

// Record encoding of SealedLog, in the entries it gives the inner log:
//
//	plaintext: Meta = 0x00 | meta                 Data = data (not copied)
//	sealed:    Meta = 0x01 | u32 key version | 12-byte nonce
//	           Data = AES-256-GCM(u32 len(meta) | meta | data), AAD = the log's aad
const (
	tagPlain       = 0
	tagSealed      = 1
	sealedMetaSize = 1 + 4 + envelope.NonceSize
	sealedLenSize  = 4
	gcmTagSize     = envelope.Overhead
)

// maxSealDamage bounds the damage a SealedLog remembers.
const maxSealDamage = 1024

// SealedLog is the decorator that seals records at rest with a stream's
// data key, whatever log it wraps: every store gets the same sealing.
// SetKey chooses the key version of later appends (0 stores plaintext).
// Log is the inner log, which holds the encoded records.
type SealedLog struct {
	Log

	keys   KeySource
	aad    []byte
	ver    atomic.Uint32
	nonces envelope.Nonces

	cmu     sync.RWMutex
	ciphers map[uint32]*envelope.Cipher

	dmu    sync.Mutex
	damage []Damage // records that did not open, by sequence
}

// Seal wraps l. keys resolves key versions (nil: the log is never keyed);
// aad binds every sealed record to the log it was written in (the LogID's
// string), so a record copied into another log does not open there.
func Seal(l Log, keys KeySource, aad string) *SealedLog {
	return &SealedLog{Log: l, keys: keys, aad: []byte(aad), ciphers: map[uint32]*envelope.Cipher{}}
}

// SetKey makes later appends seal with key version ver (0 = plaintext).
func (s *SealedLog) SetKey(ver uint32) { s.ver.Store(ver) }

// cipher returns the cipher of a key version, resolving it on first use.
// A failure is not remembered: the key may be available later.
func (s *SealedLog) cipher(ver uint32) (*envelope.Cipher, error) {
	s.cmu.RLock()
	c := s.ciphers[ver]
	s.cmu.RUnlock()
	if c != nil {
		return c, nil
	}
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if c := s.ciphers[ver]; c != nil {
		return c, nil
	}
	if s.keys == nil {
		return nil, fmt.Errorf("%w: version %d: the log has no key source", ErrNoKey, ver)
	}
	k, err := s.keys(ver)
	if err != nil {
		return nil, fmt.Errorf("%w: version %d: %w", ErrNoKey, ver, err)
	}
	c, err = envelope.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("%w: version %d: %w", ErrNoKey, ver, err)
	}
	s.ciphers[ver] = c
	return c, nil
}

// Append encodes entries (sealing them under the current key version) and
// appends them to the inner log. Nothing is appended when the key cannot
// be resolved (ErrNoKey) or an entry is over MaxRecordSize.
func (s *SealedLog) Append(ctx context.Context, entries []Entry) (Appended, error) {
	metas := 0
	for _, e := range entries {
		if n := len(e.Meta) + len(e.Data); n > MaxRecordSize {
			return Appended{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
		}
		metas += len(e.Meta)
	}
	inner := make([]Entry, len(entries))
	ver := s.ver.Load()
	if ver == 0 {
		// One arena for every tagged meta; data goes through untouched.
		arena := make([]byte, 0, metas+len(entries))
		for i, e := range entries {
			start := len(arena)
			arena = append(arena, tagPlain)
			arena = append(arena, e.Meta...)
			inner[i] = Entry{Meta: arena[start:len(arena):len(arena)], Data: e.Data}
		}
		return s.Log.Append(ctx, inner)
	}
	c, err := s.cipher(ver)
	if err != nil {
		return Appended{}, err
	}
	// One arena for the encoded metas, one for every sealed body.
	hdrs := make([]byte, 0, len(entries)*sealedMetaSize)
	bodies := 0
	for _, e := range entries {
		bodies += sealedLenSize + len(e.Meta) + len(e.Data) + gcmTagSize
	}
	nonces := s.nonces.Append(make([]byte, 0, len(entries)*envelope.NonceSize), len(entries))
	arena := make([]byte, bodies)
	off := 0
	for i, e := range entries {
		start := len(hdrs)
		nonce := nonces[i*envelope.NonceSize : (i+1)*envelope.NonceSize]
		hdrs = append(hdrs, tagSealed)
		hdrs = binary.BigEndian.AppendUint32(hdrs, ver)
		hdrs = append(hdrs, nonce...)
		plain := sealedLenSize + len(e.Meta) + len(e.Data)
		body := arena[off : off+plain : off+plain+gcmTagSize]
		binary.BigEndian.PutUint32(body, uint32(len(e.Meta)))
		copy(body[sealedLenSize:], e.Meta)
		copy(body[sealedLenSize+len(e.Meta):], e.Data)
		sealed := c.Seal(body[:0], nonce, body, s.aad)
		off += len(sealed)
		inner[i] = Entry{Meta: hdrs[start:len(hdrs):len(hdrs)], Data: sealed}
	}
	return s.Log.Append(ctx, inner)
}

// Read returns opened records from sequence from on. A record that does
// not open (altered, or sealed for another log) is passed over, as the file
// store passes over damage, and listed by Damaged; a key version that
// cannot be resolved fails the read with ErrNoKey after the records before
// it.
func (s *SealedLog) Read(ctx context.Context, from uint64, max, maxBytes int) ([]Record, error) {
	if max <= 0 {
		return nil, nil
	}
	// The inner log counts encoded sizes; ask for enough to fill maxBytes
	// of opened records, and cut the rest.
	extra := min(max, 1<<16) * SealOverhead
	innerBytes := maxBytes
	if innerBytes <= math.MaxInt-extra {
		innerBytes += extra
	} else {
		innerBytes = math.MaxInt
	}
	for {
		recs, err := s.Log.Read(ctx, from, max, innerBytes)
		out := recs[:0]
		total := 0
		for _, r := range recs {
			rec, oerr := s.open(r)
			if oerr != nil {
				if !isCorrupt(oerr) {
					return out, oerr
				}
				s.addDamage(Damage{FromSeq: r.Seq, ToSeq: r.Seq, Reason: oerr.Error()})
				continue
			}
			sz := len(rec.Meta) + len(rec.Data)
			if len(out) > 0 && total+sz > maxBytes {
				return out, nil
			}
			total += sz
			out = append(out, rec)
			if total >= maxBytes {
				return out, nil
			}
		}
		if len(out) > 0 || len(recs) == 0 || err != nil {
			return out, err
		}
		// Every record read was passed over: read on after them.
		from = recs[len(recs)-1].Seq + 1
	}
}

type corruptErr struct{ error }

func (e corruptErr) Unwrap() error { return e.error }

func isCorrupt(err error) bool { _, ok := err.(corruptErr); return ok }

// open decodes one inner record in place.
func (s *SealedLog) open(r Record) (Record, error) {
	if len(r.Meta) == 0 {
		return r, corruptErr{fmt.Errorf("%w: record %d has no encoding tag", ErrCorrupt, r.Seq)}
	}
	switch r.Meta[0] {
	case tagPlain:
		r.Meta, r.KeyVer = r.Meta[1:], 0
		return r, nil
	case tagSealed:
	default:
		return r, corruptErr{fmt.Errorf("%w: record %d has unknown encoding tag %d", ErrCorrupt, r.Seq, r.Meta[0])}
	}
	if len(r.Meta) != sealedMetaSize {
		return r, corruptErr{fmt.Errorf("%w: record %d: sealed header of %d bytes", ErrCorrupt, r.Seq, len(r.Meta))}
	}
	ver := binary.BigEndian.Uint32(r.Meta[1:])
	c, err := s.cipher(ver)
	if err != nil {
		return r, fmt.Errorf("record %d: %w", r.Seq, err)
	}
	plain, err := c.Open(r.Data[:0], r.Meta[5:], r.Data, s.aad)
	if err != nil {
		return r, corruptErr{fmt.Errorf("%w: record %d does not open with key version %d in log %s: %w", ErrCorrupt, r.Seq, ver, s.aad, err)}
	}
	if len(plain) < sealedLenSize {
		return r, corruptErr{fmt.Errorf("%w: record %d: sealed body of %d bytes", ErrCorrupt, r.Seq, len(plain))}
	}
	ml := int(binary.BigEndian.Uint32(plain))
	if ml > len(plain)-sealedLenSize {
		return r, corruptErr{fmt.Errorf("%w: record %d: meta length %d exceeds body", ErrCorrupt, r.Seq, ml)}
	}
	plain = plain[sealedLenSize:]
	r.Meta, r.Data, r.KeyVer = plain[:ml:ml], plain[ml:], ver
	return r, nil
}

func (s *SealedLog) addDamage(d Damage) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	i, found := slices.BinarySearchFunc(s.damage, d.FromSeq, func(x Damage, seq uint64) int {
		switch {
		case x.FromSeq < seq:
			return -1
		case x.FromSeq > seq:
			return 1
		}
		return 0
	})
	if found || len(s.damage) >= maxSealDamage {
		return
	}
	s.damage = slices.Insert(s.damage, i, d)
}

// Damaged lists the inner log's damage and the records that did not open.
func (s *SealedLog) Damaged() []Damage {
	out := s.Log.Damaged()
	s.dmu.Lock()
	mine := slices.Clone(s.damage)
	s.dmu.Unlock()
	if len(mine) == 0 {
		return out
	}
	out = append(out, mine...)
	slices.SortStableFunc(out, func(a, b Damage) int {
		switch {
		case a.FromSeq < b.FromSeq:
			return -1
		case a.FromSeq > b.FromSeq:
			return 1
		}
		return 0
	})
	return out
}
