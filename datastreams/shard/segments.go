package shard

// SegmentInfo describes one segment file of a FileLog.
type SegmentInfo struct {
	FirstSeq uint64
	LastSeq  uint64 // 0 when the segment is empty
	Created  int64  // unix ns, when the segment was started
	LastTime int64  // time of its last record
	Bytes    int64  // committed size
}

// Segments lists the log's segments, oldest first; the last one is the
// newest, which appends go to. Space-based retention picks from it what
// TrimBefore should drop.
func (l *FileLog) Segments() []SegmentInfo {
	segs := *l.segs.Load()
	out := make([]SegmentInfo, 0, len(segs))
	for _, s := range segs {
		lastSeq, lastT, size := s.state()
		out = append(out, SegmentInfo{FirstSeq: s.hdr.FirstSeq, LastSeq: lastSeq, Created: s.hdr.Created, LastTime: lastT, Bytes: size})
	}
	return out
}
