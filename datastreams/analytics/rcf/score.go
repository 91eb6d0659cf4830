package rcf

import "math"

// group is how many trees scoreGroup walks in lockstep. A walk down one
// tree is a chain of dependent loads, each likely a cache miss once the
// forest outgrows the core's cache; walking several trees at once lets
// the processor wait for their misses together.
const group = 4

// scoreGroup is tree.score for group trees at once, each tree's score in
// out, the same bits as tree.score's; with attr, tree k's parts are
// added with weight w[k] (in another order than tree by tree). inv[k] is
// 1/(k+1).
func scoreGroup(ts []tree, p []float64, inv []float64, attr []float64, w *[group]float64) (out [group]float64) {
	var (
		ref   [group]int32
		depth [group]int
		alive [group]float64
		s     [group]float64
	)
	ts = ts[:group]
	active := 0
	for k := range ts {
		ref[k], alive[k] = ts[k].root, 1
		if ref[k] >= 0 {
			active++
		}
	}
	d := len(p)
	for active > 0 {
		active = 0
		for k := range ts {
			r := ref[k]
			if r < 0 {
				continue
			}
			t := &ts[k]
			nd := t.nodes[int(r)*t.stride:][:t.stride]
			lo, hi := nd[slotBox:slotBox+d], nd[slotBox+d:slotBox+2*d]
			growth := 0.0
			for i, x := range p {
				growth += max(lo[i]-x, 0) + max(x-hi[i], 0)
			}
			// No branch on growth: with none, q is 0 and adds exactly
			// nothing.
			total := nd[slotSum] + growth
			q := growth / total
			s[k] += alive[k] * q * inv[depth[k]]
			if attr != nil && growth > 0 {
				share := w[k] * alive[k] * inv[depth[k]] / total
				for i, x := range p {
					if x < lo[i] {
						attr[d+i] += share * (lo[i] - x)
					} else if x > hi[i] {
						attr[i] += share * (x - hi[i])
					}
				}
			}
			alive[k] *= 1 - q
			_, dim := unpack(nd[slotLink])
			left, right := unpack(nd[slotKids])
			next := left
			if p[dim] > nd[slotCut] {
				next = right
			}
			ref[k] = next
			depth[k]++
			if next >= 0 {
				active++
			}
		}
	}
	for k := range ts {
		t := &ts[k]
		if t.root == none {
			continue
		}
		wk := 0.0
		if attr != nil {
			wk = w[k]
		}
		out[k] = s[k] + t.leafScore(^ref[k], p, depth[k], alive[k], attr, wk)
	}
	return out
}

// leafScore is the last term of a walk that reached leaf l at depth
// with probability alive: see score.
func (t *tree) leafScore(l int32, p []float64, depth int, alive float64, attr []float64, w float64) float64 {
	d := t.dim
	q := t.points[int(l)*d : int(l)*d+d]
	if samePoint(q, p) {
		u := alive / (float64(depth) + math.Log2(float64(t.leafMass[l])+1))
		if attr != nil {
			share := w * u / float64(2*d)
			for i := range attr {
				attr[i] += share
			}
		}
		return u
	}
	u := alive / float64(depth+1)
	if attr != nil {
		total := 0.0
		for i, x := range p {
			total += math.Abs(x - q[i])
		}
		share := w * u / total
		for i, x := range p {
			if x > q[i] {
				attr[i] += share * (x - q[i])
			} else if x < q[i] {
				attr[d+i] += share * (q[i] - x)
			}
		}
	}
	return u
}
