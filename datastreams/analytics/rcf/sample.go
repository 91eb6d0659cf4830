package rcf

import "math"

// entry is one point of a tree's sample: the leaf that holds it and its
// priority, lower is kept longer.
type entry struct {
	prio float64
	leaf int32
}

// priority is the A-Res key of Efraimidis and Spirakis ("Weighted random
// sampling with a reservoir", 2006) for weight e^(seq/horizon), in log
// form: keeping the points of largest u^(1/w) is keeping the smallest
// log(-log u) - seq/horizon. A newer point's weight is larger, so the
// sample leans to recent points: one horizon older weighs 1/e as much.
func priority(u float64, seq uint64, horizon float64) float64 {
	return math.Log(-math.Log(u)) - float64(seq)/horizon
}

// offer gives the tree one point with its priority: while the sample has
// room the point goes in; afterwards it goes in only if it outranks the
// sample's lowest (largest priority), which leaves.
func (t *tree) offer(p []float64, prio float64, capacity int) {
	if len(t.sample) < capacity {
		t.sample = append(t.sample, entry{prio: prio, leaf: t.insert(p)})
		t.siftUp(len(t.sample) - 1)
		return
	}
	if prio >= t.sample[0].prio {
		return
	}
	t.remove(t.sample[0].leaf)
	t.sample[0] = entry{prio: prio, leaf: t.insert(p)}
	t.siftDown(0)
}

func (t *tree) siftUp(i int) {
	h := t.sample
	for i > 0 {
		up := (i - 1) / 2
		if h[up].prio >= h[i].prio {
			return
		}
		h[up], h[i] = h[i], h[up]
		i = up
	}
}

func (t *tree) siftDown(i int) {
	h := t.sample
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].prio > h[c].prio {
			c++
		}
		if h[i].prio >= h[c].prio {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// isHeap reports whether the sample keeps the heap order.
func isHeap(h []entry) bool {
	for i := 1; i < len(h); i++ {
		if h[(i-1)/2].prio < h[i].prio {
			return false
		}
	}
	return true
}
