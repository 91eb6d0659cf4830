package datastreams

// ChildShard is a shard made from a closed one by a split or a merge, as
// GetRecords and SubscribeToShard name it at the end of its parent.
type ChildShard struct {
	ID        string
	Parents   []string // the shard's parent, then its adjacent parent after a merge
	StartHash string
	EndHash   string
}

// closed reports whether the shard takes no more records.
func (s *shardRT) closed() bool { return !s.info.Closed.IsZero() }

// drained reports whether a reader whose next position is pos has read
// every record of a closed shard: it is at the shard's end.
func (s *shardRT) drained(pos uint64) bool { return s.closed() && pos >= s.info.EndSeq }

// children returns the shards made from shard id, in shard index order.
func (st *streamState) children(id string) []ChildShard {
	var out []ChildShard
	for _, s := range st.shards {
		if s.info.Parent != id && s.info.AdjacentParent != id {
			continue
		}
		c := ChildShard{ID: s.info.ID, Parents: []string{s.info.Parent}, StartHash: s.info.StartHash, EndHash: s.info.EndHash}
		if s.info.AdjacentParent != "" {
			c.Parents = append(c.Parents, s.info.AdjacentParent)
		}
		out = append(out, c)
	}
	return out
}
