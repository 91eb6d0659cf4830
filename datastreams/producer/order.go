package producer

// slot is the outcome of one user record, kept until every record put
// before it is resolved, so that callbacks run in Put order.
type slot struct {
	done bool
	ev   Delivered
	err  error // set when the record failed
}

// ring holds the slots of the unresolved window of sequence numbers
// [base, base+len).
type ring struct {
	base  uint64
	head  int
	slots []slot
}

// push opens the slot of the next sequence number.
func (r *ring) push() uint64 {
	seq := r.base + uint64(len(r.slots)-r.head)
	r.slots = append(r.slots, slot{})
	return seq
}

func (r *ring) at(seq uint64) *slot { return &r.slots[r.head+int(seq-r.base)] }

// pop removes the resolved prefix, appending it to dst when keep is set,
// and returns dst and how many were removed.
func (r *ring) pop(dst []slot, keep bool) ([]slot, int) {
	n := 0
	for r.head < len(r.slots) && r.slots[r.head].done {
		if keep {
			dst = append(dst, r.slots[r.head])
		}
		r.slots[r.head] = slot{}
		r.head++
		n++
	}
	r.base += uint64(n)
	if r.head > 1024 && r.head*2 > len(r.slots) {
		k := copy(r.slots, r.slots[r.head:])
		clear(r.slots[k:])
		r.slots = r.slots[:k]
		r.head = 0
	}
	return dst, n
}
