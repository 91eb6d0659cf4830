package fragments

import (
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// Damaged returns the damage known in the video streams' logs, keyed by
// stream name; streams without damage are left out.
func (s *Store) Damaged() map[string][]shard.Damage {
	out := map[string][]shard.Damage{}
	for _, st := range s.all() {
		if d := st.log.Load().Damaged(); len(d) > 0 {
			out[st.def().Name] = d
		}
	}
	return out
}

// maxDamagedPerCall bounds how many damaged fragments one call names.
const maxDamagedPerCall = 1000

// damagedAt reports whether fragment seq was lost to damage in storage.
func (st *Stream) damagedAt(seq uint64) bool {
	for _, d := range st.log.Load().Damaged() {
		if d.Lost() && d.FromSeq <= seq && seq <= d.ToSeq {
			return true
		}
	}
	return false
}

// DamagedIn returns the fragments in [from, to) that were lost to damage in
// storage, in order: those the time index knows, or, for a damaged stretch
// it knows nothing of (the index was rebuilt after the damage), the
// stretch's first number.
func (st *Stream) DamagedIn(from, to uint64) []uint64 {
	var out []uint64
	for _, d := range st.log.Load().Damaged() {
		if !d.Lost() || d.ToSeq < from || d.FromSeq >= to {
			continue
		}
		lo, hi := max(from, d.FromSeq), min(to-1, d.ToSeq)
		n := len(out)
		st.s.ix.flush()
		st.s.idx.FragmentsFrom(st.def().ID, lo, func(f index.FragmentInfo) bool {
			if f.Seq > hi || len(out) >= maxDamagedPerCall {
				return false
			}
			out = append(out, f.Seq)
			return true
		})
		if len(out) == n {
			out = append(out, lo)
		}
		if len(out) >= maxDamagedPerCall {
			break
		}
	}
	return out
}
