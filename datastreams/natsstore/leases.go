package natsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/leases"
)

// The DynamoDB lease tables (package datastreams/leases) live in the
// bucket next to the stream definitions:
//
//	ddbt.<table>              8-byte incarnation + the table definition
//	ddbi.<table>.<inc>.<key>  uvarint key length + encoded key + item
//
// <table> is enc(name); <inc> is the table's incarnation (random, drawn at
// creation) in hex, so a table deleted and created again never sees the
// old one's items, even ones a crashed delete left behind; <key> is "x" +
// hex of the encoded primary key, or "h" + hex of its SHA-256 when that
// would be long (the key itself is kept in the value). Revisions are the
// bucket's: Create for expectRev 0, Update and Delete with the last
// revision otherwise, so servers sharing the bucket compare-and-set
// through JetStream.
const (
	leaseTablePrefix = "ddbt."
	leaseItemPrefix  = "ddbi."
	maxPlainKey      = 100 // encoded keys longer than this are hashed
)

// LeaseStore returns a lease-table store in the connection's bucket.
func (c *Conn) LeaseStore() leases.Store { return &leaseStore{c: c} }

type leaseStore struct{ c *Conn }

var _ leases.Store = (*leaseStore)(nil)

func leaseTableKey(name string) string { return leaseTablePrefix + enc(name) }

func leaseItemKey(table string, inc uint64, key []byte) string {
	k := "x" + hex.EncodeToString(key)
	if len(key) > maxPlainKey {
		h := sha256.Sum256(key)
		k = "h" + hex.EncodeToString(h[:])
	}
	return leaseItemPrefix + enc(table) + "." + fmt.Sprintf("%016x", inc) + "." + k
}

// leaseErr maps JetStream failures: revision mismatches to ErrConflict,
// an unreachable or full server to ErrUnavailable.
func leaseErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case isWrongRevision(err), errors.Is(err, jetstream.ErrKeyExists):
		return leases.ErrConflict
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoHeartbeat), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled), isStorageFull(err):
		return fmt.Errorf("natsstore: lease store %s: %w: %w", op, leases.ErrUnavailable, err)
	}
	return fmt.Errorf("natsstore: lease store %s: %w", op, err)
}

func isStorageFull(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		// nats-server's insufficient resources, memory and storage
		// resources exceeded, and store failed (a full disk).
		case 10023, 10028, 10047, 10077:
			return true
		}
	}
	return false
}

// table reads a table's entry: incarnation, definition, revision.
func (s *leaseStore) table(ctx context.Context, name string) (inc uint64, def []byte, rev uint64, err error) {
	e, err := s.c.kv.Get(ctx, leaseTableKey(name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil, 0, nil
	}
	if err != nil {
		return 0, nil, 0, leaseErr("read table", err)
	}
	v := e.Value()
	if len(v) < 8 {
		return 0, nil, 0, fmt.Errorf("natsstore: lease table %s: short entry", name)
	}
	return binary.BigEndian.Uint64(v), bytes.Clone(v[8:]), e.Revision(), nil
}

func (s *leaseStore) Tables(ctx context.Context) ([]string, error) {
	l, err := s.c.kv.ListKeysFiltered(ctx, leaseTablePrefix+"*")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, leaseErr("list tables", err)
	}
	defer l.Stop()
	var out []string
	for k := range l.Keys() {
		n, err := dec(strings.TrimPrefix(k, leaseTablePrefix))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func (s *leaseStore) Table(ctx context.Context, name string) ([]byte, uint64, error) {
	_, def, rev, err := s.table(ctx, name)
	return def, rev, err
}

func (s *leaseStore) PutTable(ctx context.Context, name string, def []byte, expectRev uint64) (uint64, error) {
	key := leaseTableKey(name)
	if expectRev == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		rev, err := s.c.kv.Create(ctx, key, append(b[:], def...))
		return rev, leaseErr("create table", err)
	}
	inc, _, rev, err := s.table(ctx, name)
	if err != nil {
		return 0, err
	}
	if rev != expectRev {
		return 0, leases.ErrConflict
	}
	rev, err = s.c.kv.Update(ctx, key, append(binary.BigEndian.AppendUint64(nil, inc), def...), expectRev)
	return rev, leaseErr("write table", err)
}

func (s *leaseStore) DeleteTable(ctx context.Context, name string, expectRev uint64) error {
	inc, _, rev, err := s.table(ctx, name)
	if err != nil {
		return err
	}
	if rev == 0 || rev != expectRev {
		return leases.ErrConflict
	}
	if err := s.c.kv.Purge(ctx, leaseTableKey(name), jetstream.LastRevision(expectRev)); err != nil {
		return leaseErr("delete table", err)
	}
	// The items are unreachable now; removing them frees the space.
	prefix := leaseItemPrefix + enc(name) + "." + fmt.Sprintf("%016x", inc) + "."
	l, err := s.c.kv.ListKeysFiltered(ctx, prefix+">")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return leaseErr("list items of a deleted table", err)
	}
	defer l.Stop()
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := s.c.kv.Purge(ctx, k); err != nil {
			s.c.log.Warn("lease store: purge of a deleted table's item failed", "key", k, "err", err)
		}
	}
	return nil
}

// wrapItem keeps the encoded key with the item, for List's order and
// for hashed keys.
func wrapItem(key, val []byte) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(key)+len(val)+3), uint64(len(key)))
	return append(append(b, key...), val...)
}

func unwrapItem(b []byte) (key, val []byte, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, errors.New("natsstore: malformed lease item")
	}
	return b[w : w+int(n)], b[w+int(n):], nil
}

// inc returns a table's incarnation; a missing table is ErrResourceNotFound.
func (s *leaseStore) inc(ctx context.Context, table string) (uint64, error) {
	inc, _, rev, err := s.table(ctx, table)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		return 0, leases.ErrResourceNotFound
	}
	return inc, nil
}

func (s *leaseStore) Get(ctx context.Context, table string, key []byte) ([]byte, uint64, error) {
	inc, err := s.inc(ctx, table)
	if errors.Is(err, leases.ErrResourceNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	e, err := s.c.kv.Get(ctx, leaseItemKey(table, inc, key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, leaseErr("read item", err)
	}
	k, v, err := unwrapItem(e.Value())
	if err != nil {
		return nil, 0, err
	}
	if !bytes.Equal(k, key) {
		return nil, 0, fmt.Errorf("natsstore: lease item key collision in table %s", table)
	}
	return bytes.Clone(v), e.Revision(), nil
}

func (s *leaseStore) Put(ctx context.Context, table string, key, val []byte, expectRev uint64) (uint64, error) {
	inc, err := s.inc(ctx, table)
	if err != nil {
		return 0, err
	}
	k := leaseItemKey(table, inc, key)
	var rev uint64
	if expectRev == 0 {
		rev, err = s.c.kv.Create(ctx, k, wrapItem(key, val))
	} else {
		rev, err = s.c.kv.Update(ctx, k, wrapItem(key, val), expectRev)
	}
	return rev, leaseErr("write item", err)
}

func (s *leaseStore) Delete(ctx context.Context, table string, key []byte, expectRev uint64) error {
	if expectRev == 0 {
		_, rev, err := s.Get(ctx, table, key)
		if err != nil {
			return err
		}
		if rev != 0 {
			return leases.ErrConflict
		}
		return nil
	}
	inc, err := s.inc(ctx, table)
	if errors.Is(err, leases.ErrResourceNotFound) {
		return leases.ErrConflict
	}
	if err != nil {
		return err
	}
	err = s.c.kv.Delete(ctx, leaseItemKey(table, inc, key), jetstream.LastRevision(expectRev))
	return leaseErr("delete item", err)
}

// List reads the table's current items with one watch and returns them
// in key order.
func (s *leaseStore) List(ctx context.Context, table string, after []byte, fn func(key, val []byte) error) error {
	inc, err := s.inc(ctx, table)
	if errors.Is(err, leases.ErrResourceNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	prefix := leaseItemPrefix + enc(table) + "." + fmt.Sprintf("%016x", inc) + "."
	w, err := s.c.kv.Watch(ctx, prefix+"*", jetstream.IgnoreDeletes())
	if err != nil {
		return leaseErr("list items", err)
	}
	defer w.Stop()
	type kv struct{ k, v []byte }
	var all []kv
loop:
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return leaseErr("list items", errors.New("watch ended"))
			}
			if e == nil {
				break loop
			}
			k, v, err := unwrapItem(e.Value())
			if err != nil {
				return err
			}
			if after == nil || bytes.Compare(k, after) > 0 {
				all = append(all, kv{bytes.Clone(k), bytes.Clone(v)})
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	slices.SortFunc(all, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, e := range all {
		if err := fn(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}
