package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The fragment index of video streams, per stream id:
//
//	fragments/<id>: sequence (8) -> producer ns (8) | server ns (8) | duration ns (8) | size (4) | flags (1)
//	ptimes/<id>:    producer ns (8) | sequence (8) -> the same value as in fragments/<id>
//	                (empty in indexes written before; then looked up there)
//
// Server timestamps grow with sequence numbers, so the first bucket answers
// server-time ranges; producer timestamps need not, so the second orders
// fragments by them. Both are rebuilt from the fragments themselves.
var (
	bucketFragments = []byte("fragments")
	bucketPTimes    = []byte("ptimes")
)

// FragmentInfo is what the index keeps of one video fragment.
type FragmentInfo struct {
	Seq      uint64
	Producer int64 // unix ns
	Server   int64 // unix ns
	Duration int64 // ns
	Size     uint32
	Flags    uint8 // FlagDiscontinuity
}

// FlagDiscontinuity marks a fragment that starts a new timeline or init segment.
const FlagDiscontinuity = 1

func encodeInfo(f FragmentInfo) []byte {
	b := make([]byte, 0, 29)
	b = binary.BigEndian.AppendUint64(b, uint64(f.Producer))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Server))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Duration))
	b = binary.BigEndian.AppendUint32(b, f.Size)
	return append(b, f.Flags)
}

// decodeInfo reads an index value; 28-byte values (written before flags
// existed) have none.
func decodeInfo(seq uint64, v []byte) (FragmentInfo, bool) {
	if len(v) != 28 && len(v) != 29 {
		return FragmentInfo{}, false
	}
	f := FragmentInfo{Seq: seq, Producer: int64(binary.BigEndian.Uint64(v)), Server: int64(binary.BigEndian.Uint64(v[8:])),
		Duration: int64(binary.BigEndian.Uint64(v[16:])), Size: binary.BigEndian.Uint32(v[24:])}
	if len(v) == 29 {
		f.Flags = v[28]
	}
	return f, true
}

func ptimeKey(producer int64, seq uint64) []byte {
	// Shift by 2^63 so that negative times still sort before positive ones.
	b := binary.BigEndian.AppendUint64(nil, uint64(producer)^(1<<63))
	return binary.BigEndian.AppendUint64(b, seq)
}

// PutFragments indexes fragments of a stream, in one transaction.
func (c *Catalog) PutFragments(stream string, infos []FragmentInfo) error {
	return c.PutFragmentBatch(map[string][]FragmentInfo{stream: infos})
}

// PutFragmentBatch indexes fragments of many streams in one transaction.
func (c *Catalog) PutFragmentBatch(batch map[string][]FragmentInfo) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		for stream, infos := range batch {
			fb, err := tx.Bucket(bucketFragments).CreateBucketIfNotExists([]byte(stream))
			if err != nil {
				return err
			}
			pb, err := tx.Bucket(bucketPTimes).CreateBucketIfNotExists([]byte(stream))
			if err != nil {
				return err
			}
			for _, f := range infos {
				v := encodeInfo(f)
				if err := fb.Put(seqKey(f.Seq), v); err != nil {
					return err
				}
				if err := pb.Put(ptimeKey(f.Producer, f.Seq), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: put fragments: %w", err)
	}
	return nil
}

// LastFragment returns the highest sequence number indexed for a stream.
func (c *Catalog) LastFragment(stream string) (uint64, bool) {
	var seq uint64
	var ok bool
	c.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketFragments).Bucket([]byte(stream)); b != nil {
			if k, _ := b.Cursor().Last(); k != nil {
				seq, ok = binary.BigEndian.Uint64(k), true
			}
		}
		return nil
	})
	return seq, ok
}

// FragmentsFrom calls fn for the indexed fragments from sequence from on,
// in order, until fn returns false.
func (c *Catalog) FragmentsFrom(stream string, from uint64, fn func(FragmentInfo) bool) error {
	return c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFragments).Bucket([]byte(stream))
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		for k, v := cur.Seek(seqKey(from)); k != nil; k, v = cur.Next() {
			f, ok := decodeInfo(binary.BigEndian.Uint64(k), v)
			if ok && !fn(f) {
				return nil
			}
		}
		return nil
	})
}

// FragmentsByProducer calls fn for the fragments whose producer time is in
// [start, end], ordered by (producer time, sequence), starting after the
// position (afterTime, afterSeq) when afterSeq > 0, until fn returns false.
func (c *Catalog) FragmentsByProducer(stream string, start, end int64, afterTime int64, afterSeq uint64, fn func(FragmentInfo) bool) error {
	return c.db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bucketPTimes).Bucket([]byte(stream))
		fb := tx.Bucket(bucketFragments).Bucket([]byte(stream))
		if pb == nil || fb == nil {
			return nil
		}
		cur := pb.Cursor()
		from := ptimeKey(start, 0)
		if afterSeq > 0 {
			from = ptimeKey(afterTime, afterSeq+1)
		}
		stop := ptimeKey(end, ^uint64(0))
		for k, v := cur.Seek(from); k != nil && bytes.Compare(k, stop) <= 0; k, v = cur.Next() {
			seq := binary.BigEndian.Uint64(k[8:])
			if len(v) == 0 {
				if v = fb.Get(seqKey(seq)); v == nil {
					continue
				}
			}
			f, ok := decodeInfo(seq, v)
			if ok && !fn(f) {
				return nil
			}
		}
		return nil
	})
}

// TrimFragments drops the index entries of fragments below sequence below
// (retention removed them).
func (c *Catalog) TrimFragments(stream string, below uint64) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		fb := tx.Bucket(bucketFragments).Bucket([]byte(stream))
		pb := tx.Bucket(bucketPTimes).Bucket([]byte(stream))
		if fb == nil {
			return nil
		}
		cur := fb.Cursor()
		for k, v := cur.First(); k != nil && binary.BigEndian.Uint64(k) < below; k, v = cur.First() {
			if f, ok := decodeInfo(binary.BigEndian.Uint64(k), v); ok && pb != nil {
				if err := pb.Delete(ptimeKey(f.Producer, f.Seq)); err != nil {
					return err
				}
			}
			if err := cur.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: trim fragments of %s: %w", stream, err)
	}
	return nil
}

// dropFragments removes a stream's fragment index inside tx.
func dropFragments(tx *bolt.Tx, stream []byte) error {
	for _, name := range [][]byte{bucketFragments, bucketPTimes} {
		if err := tx.Bucket(name).DeleteBucket(stream); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
	}
	return nil
}
