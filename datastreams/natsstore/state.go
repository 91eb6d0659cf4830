package natsstore

// logState is a log's numbering, kept in the bucket: our sequence number
// of the record stored at JetStream sequence js is js plus the offset of
// the last break at or below js (0 before the first break). Offsets only
// grow, so numbering never goes back.
type logState struct {
	Breaks []brk `json:"breaks,omitempty"`
	// Floor is a number the next record gets at least, kept when a trim
	// empties the log, in case the server's own numbering is ever lost.
	Floor uint64 `json:"floor,omitempty"`
}

// brk says that from JetStream sequence JS on, our numbers are JS+Off.
type brk struct {
	JS  uint64 `json:"js"`
	Off uint64 `json:"off"`
}

// ourSeq maps a JetStream sequence to our sequence number.
func (s *logState) ourSeq(js uint64) uint64 {
	for i := len(s.Breaks) - 1; i >= 0; i-- {
		if s.Breaks[i].JS <= js {
			return js + s.Breaks[i].Off
		}
	}
	return js
}

// jsSeq maps our sequence number to the JetStream sequence holding it or,
// when it falls in a gap left by SkipTo, the one holding the first record
// after the gap.
func (s *logState) jsSeq(our uint64) uint64 {
	start, off := uint64(0), uint64(0)
	for i := 0; ; i++ {
		end := ^uint64(0) // JetStream sequence where this stretch ends
		if i < len(s.Breaks) {
			end = s.Breaks[i].JS
		}
		if our < start+off {
			return start // in the gap before this stretch
		}
		if end == ^uint64(0) || our-off < end {
			return our - off
		}
		start, off = end, s.Breaks[i].Off
	}
}

// skip returns the state after a SkipTo that makes the record stored at
// JetStream sequence js get number seq.
func (s logState) skip(js, seq uint64) logState {
	b := append([]brk(nil), s.Breaks...)
	if n := len(b); n > 0 && b[n-1].JS == js {
		b = b[:n-1]
	}
	b = append(b, brk{JS: js, Off: seq - js})
	return logState{Breaks: b, Floor: s.Floor}
}
