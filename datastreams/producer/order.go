package producer

// slot is the outcome of one user record, kept (when there are callbacks)
// until every record put before it is resolved, so that callbacks run in
// Put order.
type slot struct {
	ev  Delivered
	err error // set when the record failed
}

// ring is the unresolved window of sequence numbers [base, base+len): a
// done flag each, and the outcomes when keep is set.
type ring struct {
	keep  bool
	base  uint64
	head  int
	done  []bool
	slots []slot
}

// push opens the slot of the next sequence number.
func (r *ring) push() uint64 {
	seq := r.next()
	r.done = append(r.done, false)
	if r.keep {
		r.slots = append(r.slots, slot{})
	}
	return seq
}

// next is the sequence number push will give.
func (r *ring) next() uint64 { return r.base + uint64(len(r.done)-r.head) }

// resolve marks seq done and returns its slot (nil unless keep).
func (r *ring) resolve(seq uint64) *slot {
	i := r.head + int(seq-r.base)
	r.done[i] = true
	if r.keep {
		return &r.slots[i]
	}
	return nil
}

// pop removes the resolved prefix, appending its outcomes to dst when
// keep is set, and returns dst and how many were removed.
func (r *ring) pop(dst []slot) ([]slot, int) {
	n := 0
	for r.head < len(r.done) && r.done[r.head] {
		if r.keep {
			dst = append(dst, r.slots[r.head])
			r.slots[r.head] = slot{}
		}
		r.head++
		n++
	}
	r.base += uint64(n)
	if r.head > 1024 && r.head*2 > len(r.done) {
		k := copy(r.done, r.done[r.head:])
		r.done = r.done[:k]
		if r.keep {
			copy(r.slots, r.slots[r.head:])
			clear(r.slots[k:])
			r.slots = r.slots[:k]
		}
		r.head = 0
	}
	return dst, n
}
