package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/shardcast/shardcast/datastreams/leases"
)

// The DynamoDB lease tables (package datastreams/leases) live in two
// buckets of the catalog: table definitions by name, and one sub-bucket of
// items per table keyed by the encoded primary key. Every value starts
// with its 8-byte revision, drawn from one sequence, so compare-and-set is
// a comparison inside the write transaction. Each write is one bbolt
// commit: on disk (fsync) before it returns.
var (
	bucketLeaseTables = []byte("leaseTables")
	bucketLeaseItems  = []byte("leaseItems")
)

// LeaseStore returns the catalog's lease-table store.
func (c *Catalog) LeaseStore() leases.Store { return &leaseStore{db: c.db} }

type leaseStore struct{ db *bolt.DB }

var _ leases.Store = (*leaseStore)(nil)

// wrapErr marks failures a retry may cure as leases.ErrUnavailable.
func wrapErr(op string, err error) error {
	if err == nil || errors.Is(err, leases.ErrConflict) || errors.Is(err, leases.ErrResourceNotFound) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, berrors.ErrDatabaseNotOpen) || errors.Is(err, berrors.ErrDatabaseReadOnly) {
		return fmt.Errorf("index: lease store %s: %w: %w", op, leases.ErrUnavailable, err)
	}
	return fmt.Errorf("index: lease store %s: %w", op, err)
}

func revOf(v []byte) uint64 {
	if len(v) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v[:8])
}

func withRev(rev uint64, val []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(val)), rev), val...)
}

func (s *leaseStore) Tables(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeaseTables)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, wrapErr("list tables", err)
}

func (s *leaseStore) Table(ctx context.Context, name string) (def []byte, rev uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeaseTables)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(name)); v != nil {
			def, rev = bytes.Clone(v[8:]), revOf(v)
		}
		return nil
	})
	return def, rev, wrapErr("read table", err)
}

func (s *leaseStore) PutTable(ctx context.Context, name string, def []byte, expectRev uint64) (rev uint64, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLeaseTables)
		if err != nil {
			return err
		}
		if revOf(b.Get([]byte(name))) != expectRev {
			return leases.ErrConflict
		}
		if rev, err = b.NextSequence(); err != nil {
			return err
		}
		items, err := tx.CreateBucketIfNotExists(bucketLeaseItems)
		if err != nil {
			return err
		}
		if expectRev == 0 {
			// A new table starts empty, whatever an interrupted delete left.
			if items.Bucket([]byte(name)) != nil {
				if err := items.DeleteBucket([]byte(name)); err != nil {
					return err
				}
			}
			if _, err := items.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return b.Put([]byte(name), withRev(rev, def))
	})
	return rev, wrapErr("write table", err)
}

func (s *leaseStore) DeleteTable(ctx context.Context, name string, expectRev uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLeaseTables)
		if b == nil || revOf(b.Get([]byte(name))) != expectRev {
			return leases.ErrConflict
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		if items := tx.Bucket(bucketLeaseItems); items != nil && items.Bucket([]byte(name)) != nil {
			return items.DeleteBucket([]byte(name))
		}
		return nil
	})
	return wrapErr("delete table", err)
}

func itemBucket(tx *bolt.Tx, table string) *bolt.Bucket {
	items := tx.Bucket(bucketLeaseItems)
	if items == nil {
		return nil
	}
	return items.Bucket([]byte(table))
}

func (s *leaseStore) Get(ctx context.Context, table string, key []byte) (val []byte, rev uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := itemBucket(tx, table)
		if b == nil {
			return nil
		}
		if v := b.Get(key); v != nil {
			val, rev = bytes.Clone(v[8:]), revOf(v)
		}
		return nil
	})
	return val, rev, wrapErr("read item", err)
}

func (s *leaseStore) Put(ctx context.Context, table string, key, val []byte, expectRev uint64) (rev uint64, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := itemBucket(tx, table)
		if b == nil {
			return leases.ErrResourceNotFound
		}
		if revOf(b.Get(key)) != expectRev {
			return leases.ErrConflict
		}
		seq, err := tx.Bucket(bucketLeaseTables).NextSequence()
		if err != nil {
			return err
		}
		rev = seq
		return b.Put(key, withRev(rev, val))
	})
	return rev, wrapErr("write item", err)
}

func (s *leaseStore) Delete(ctx context.Context, table string, key []byte, expectRev uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := itemBucket(tx, table)
		if b == nil {
			if expectRev == 0 {
				return nil
			}
			return leases.ErrConflict
		}
		if revOf(b.Get(key)) != expectRev {
			return leases.ErrConflict
		}
		return b.Delete(key)
	})
	return wrapErr("delete item", err)
}

// listBatch is how many items List reads per read transaction, so a long
// scan does not hold one transaction open across the caller's work.
const listBatch = 256

func (s *leaseStore) List(ctx context.Context, table string, after []byte, fn func(key, val []byte) error) error {
	cursor := bytes.Clone(after)
	for {
		type kv struct{ k, v []byte }
		var batch []kv
		err := s.db.View(func(tx *bolt.Tx) error {
			b := itemBucket(tx, table)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			var k, v []byte
			if cursor == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(cursor)
				if k != nil && bytes.Equal(k, cursor) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(batch) < listBatch; k, v = c.Next() {
				batch = append(batch, kv{bytes.Clone(k), bytes.Clone(v[8:])})
			}
			return nil
		})
		if err != nil {
			return wrapErr("list items", err)
		}
		for _, e := range batch {
			if err := fn(e.k, e.v); err != nil {
				return err
			}
		}
		if len(batch) < listBatch {
			return nil
		}
		cursor = batch[len(batch)-1].k
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
