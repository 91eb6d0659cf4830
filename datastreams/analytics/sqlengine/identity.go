package sqlengine

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Derived row identities. A row made by an operator carries an ID that
// depends only on what made it, so that computing it again after a
// restart gives the same ID and the manager can drop the duplicate.

// idHasher builds one ID from tagged parts.
type idHasher struct{ b []byte }

func (h *idHasher) reset(tag byte) { h.b = append(h.b[:0], tag) }
func (h *idHasher) id(id [16]byte) { h.b = append(h.b, id[:]...) }
func (h *idHasher) int(v int64)    { h.b = binary.AppendVarint(h.b, v) }
func (h *idHasher) str(s string) {
	h.b = binary.AppendUvarint(h.b, uint64(len(s)))
	h.b = append(h.b, s...)
}
func (h *idHasher) key(k []byte) { h.str(string(k)) }

func (h *idHasher) sum() [16]byte {
	s := sha256.Sum256(h.b)
	var out [16]byte
	copy(out[:], s[:16])
	return out
}

// The tags of derived IDs: which operator made the row.
const (
	tagPump    = 'P' // a pump's output row: pump name + the row's ID
	tagGroup   = 'G' // a tumbling group: window start + key
	tagStagger = 'S' // a stagger window: open time + key
	tagJoin    = 'J' // a join pair: both IDs
	tagOuter   = 'O' // an outer join's unmatched row
	tagTable   = 'T' // a stream row matched with a table row: ID + index
	tagTopK    = 'K' // a TOP_K row: window + rank
	tagError   = 'E' // an error_stream row: pump + ID
)

// pumpID is the ID of a row a pump inserts: its pump and the row's own
// (operator-derived or input) identity.
func pumpID(h *idHasher, pump string, id [16]byte) [16]byte {
	h.reset(tagPump)
	h.str(pump)
	h.id(id)
	return h.sum()
}

func groupID(h *idHasher, tag byte, start int64, key []byte) [16]byte {
	h.reset(tag)
	h.int(start)
	h.key(key)
	return h.sum()
}

func pairID(h *idHasher, a, b [16]byte) [16]byte {
	h.reset(tagJoin)
	h.id(a)
	h.id(b)
	return h.sum()
}

func derivedID(h *idHasher, tag byte, id [16]byte, n int64) [16]byte {
	h.reset(tag)
	h.id(id)
	h.int(n)
	return h.sum()
}

// cloneRow copies a row's values so that an operator may keep it.
func cloneRow(r sqltypes.Row) sqltypes.Row {
	r.Values = append([]sqltypes.Value(nil), r.Values...)
	return r
}
