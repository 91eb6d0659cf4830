package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The time index: for every shard log, the sparse (sequence, time, offset)
// index of each sealed segment, keyed by the segment's first sequence
// number. The shard core reads it at open instead of scanning segments, and
// rebuilds any entry that is missing or does not match its segment.
var bucketSegments = []byte("segments") // sub-bucket per log name

func seqKey(first uint64) []byte { return binary.BigEndian.AppendUint64(nil, first) }

// LoadSegment returns the stored index of a segment.
func (c *Catalog) LoadSegment(log string, first uint64) ([]byte, bool) {
	var out []byte
	c.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSegments).Bucket([]byte(log)); b != nil {
			if v := b.Get(seqKey(first)); v != nil {
				out = append([]byte(nil), v...) // values live only inside the transaction
			}
		}
		return nil
	})
	return out, out != nil
}

// SaveSegment stores the index of a segment.
func (c *Catalog) SaveSegment(log string, first uint64, value []byte) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketSegments).CreateBucketIfNotExists([]byte(log))
		if err != nil {
			return err
		}
		return b.Put(seqKey(first), value)
	})
	if err != nil {
		return fmt.Errorf("index: save segment index %s/%d: %w", log, first, err)
	}
	return nil
}

// DeleteSegments drops the indexes of segments that were deleted.
func (c *Catalog) DeleteSegments(log string, firsts ...uint64) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSegments).Bucket([]byte(log))
		if b == nil {
			return nil
		}
		for _, f := range firsts {
			if err := b.Delete(seqKey(f)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: delete segment indexes of %s: %w", log, err)
	}
	return nil
}

// DropStreamIndexes removes everything indexed for a deleted stream: the
// segment indexes of its logs (named "<id>/...") and its fragment index.
func (c *Catalog) DropStreamIndexes(id string) error {
	if err := c.DropLogs(id + "/"); err != nil {
		return err
	}
	err := c.db.Update(func(tx *bolt.Tx) error { return dropFragments(tx, []byte(id)) })
	if err != nil {
		return fmt.Errorf("index: drop fragment index of %s: %w", id, err)
	}
	return nil
}

// DropLogs removes the segment indexes of every log whose name starts with
// prefix (a deleted stream's shards).
func (c *Catalog) DropLogs(prefix string) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSegments)
		var names [][]byte
		cur := root.Cursor()
		for k, _ := cur.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = cur.Next() {
			names = append(names, append([]byte(nil), k...))
		}
		for _, n := range names {
			if err := root.DeleteBucket(n); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: drop segment indexes under %s: %w", prefix, err)
	}
	return nil
}

// SegmentLogs returns, per log name, how many segment indexes are stored.
func (c *Catalog) SegmentLogs() map[string]int {
	out := map[string]int{}
	c.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSegments)
		return root.ForEachBucket(func(k []byte) error {
			out[string(k)] = root.Bucket(k).Stats().KeyN
			return nil
		})
	})
	return out
}

// PruneLogs removes the indexes that keep refuses: segment indexes by log
// name ("<stream id>/<shard>") and fragment indexes by stream id, such as
// those of streams that no longer exist.
func (c *Catalog) PruneLogs(keep func(name string) bool) (int, error) {
	n := 0
	err := c.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSegments, bucketFragments, bucketPTimes} {
			root := tx.Bucket(name)
			var drop [][]byte
			if err := root.ForEachBucket(func(k []byte) error {
				if !keep(string(k)) {
					drop = append(drop, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return err
			}
			for _, k := range drop {
				if err := root.DeleteBucket(k); err != nil {
					return err
				}
			}
			if string(name) == string(bucketSegments) {
				n = len(drop)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("index: prune segment indexes: %w", err)
	}
	return n, nil
}
