package rcf

import (
	"math"
)

// none marks a missing node: the parent of the root, the root of an empty
// tree.
const none int32 = math.MinInt32

// A ref names a node of a tree: r >= 0 is internal node r, r < 0 (other
// than none) is leaf ^r. Children are refs; parents are always internal.

// An internal node is a cut (dim, cut), with everything whose coordinate
// dim is <= cut on the left, and its box. Its record is stride float64
// slots in one slice, so that a walk down the tree reads one or two cache
// lines a level: the cut, the sum of the box's ranges, the children (two
// int32 in one slot's bits), the parent and dim (likewise), then the
// box's lows and highs.
const (
	slotCut  = 0
	slotSum  = 1
	slotKids = 2
	slotLink = 3
	slotBox  = 4
)

// tree is one random cut tree over the distinct points of its sample.
// Nodes live in slices reused through free lists: no pointer per node and
// no allocation once the slices have grown to the sample's size.
type tree struct {
	dim    int // coordinates of a point
	stride int // slots of an internal node
	rng    splitmix
	root   int32 // ref, or none when empty

	nodes     []float64
	freeNodes []int32

	leafParent []int32 // internal node, or none for a leaf at the root
	leafMass   []int32 // copies of the point in the sample
	points     []float64
	freeLeaves []int32

	sample []entry // the time-decayed reservoir, a max-heap on prio
}

func newTree(dim int, seed uint64) tree {
	return tree{dim: dim, stride: slotBox + 2*dim, rng: splitmix{state: seed}, root: none}
}

func pack(a, b int32) float64 {
	return math.Float64frombits(uint64(uint32(a)) | uint64(uint32(b))<<32)
}

func unpack(f float64) (a, b int32) {
	u := math.Float64bits(f)
	return int32(uint32(u)), int32(u >> 32)
}

// node is internal node n's record.
func (t *tree) node(n int32) []float64 {
	i := int(n) * t.stride
	return t.nodes[i : i+t.stride : i+t.stride]
}

func (t *tree) nodeCount() int { return len(t.nodes) / t.stride }

func (t *tree) kids(n int32) (left, right int32) { return unpack(t.node(n)[slotKids]) }

func (t *tree) cutOf(n int32) (dim int32, cut float64) {
	nd := t.node(n)
	_, dim = unpack(nd[slotLink])
	return dim, nd[slotCut]
}

// bounds is the box of ref: a leaf's is its point.
func (t *tree) bounds(ref int32) (lo, hi []float64) {
	d := t.dim
	if ref < 0 {
		l := int(^ref) * d
		p := t.points[l : l+d : l+d]
		return p, p
	}
	b := int(ref)*t.stride + slotBox
	return t.nodes[b : b+d : b+d], t.nodes[b+d : b+2*d : b+2*d]
}

// fitSum recomputes internal node n's sum of ranges from its box, always
// in the same order, so that a restored tree holds the same bits.
func (t *tree) fitSum(n int32) {
	lo, hi := t.bounds(n)
	s := 0.0
	for i := range lo {
		s += hi[i] - lo[i]
	}
	t.node(n)[slotSum] = s
}

func (t *tree) parentOf(ref int32) int32 {
	if ref < 0 {
		return t.leafParent[^ref]
	}
	p, _ := unpack(t.node(ref)[slotLink])
	return p
}

func (t *tree) setParent(ref, parent int32) {
	if ref < 0 {
		t.leafParent[^ref] = parent
		return
	}
	nd := t.node(ref)
	_, dim := unpack(nd[slotLink])
	nd[slotLink] = pack(parent, dim)
}

// replaceChild points parent (or the root, when parent is none) at to
// instead of from.
func (t *tree) replaceChild(parent, from, to int32) {
	if parent == none {
		t.root = to
		return
	}
	nd := t.node(parent)
	l, r := unpack(nd[slotKids])
	if l == from {
		l = to
	} else {
		r = to
	}
	nd[slotKids] = pack(l, r)
}

func (t *tree) newLeaf(p []float64, parent int32) int32 {
	var l int32
	if k := len(t.freeLeaves); k > 0 {
		l = t.freeLeaves[k-1]
		t.freeLeaves = t.freeLeaves[:k-1]
		t.leafParent[l] = parent
		t.leafMass[l] = 1
		copy(t.points[int(l)*t.dim:], p)
	} else {
		l = int32(len(t.leafMass))
		t.leafParent = append(t.leafParent, parent)
		t.leafMass = append(t.leafMass, 1)
		t.points = append(t.points, p...)
	}
	return l
}

// newNode makes an internal node with its cut and no children; its box
// is for the caller to fill.
func (t *tree) newNode(parent int32, dim int, cut float64) int32 {
	var n int32
	if k := len(t.freeNodes); k > 0 {
		n = t.freeNodes[k-1]
		t.freeNodes = t.freeNodes[:k-1]
	} else {
		n = int32(t.nodeCount())
		t.nodes = append(t.nodes, make([]float64, t.stride)...)
	}
	nd := t.node(n)
	nd[slotCut] = cut
	nd[slotKids] = pack(none, none)
	nd[slotLink] = pack(parent, int32(dim))
	return n
}

func samePoint(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// drawCut draws a cut of the box lo..hi grown to hold p, by the rule of
// a random cut tree: dimension i with probability proportional to its
// range, the value uniform in that range. It reports whether the cut
// separates p from the box. When p is inside the box no cut can, and
// nothing is drawn.
func (t *tree) drawCut(lo, hi, p []float64) (dim int, cut float64, sep bool) {
	total, grow := 0.0, false
	for i, x := range p {
		l, h := lo[i], hi[i]
		if x < l {
			l, grow = x, true
		} else if x > h {
			h, grow = x, true
		}
		total += h - l
	}
	if !grow {
		return 0, 0, false
	}
	r := t.rng.float() * total
	for i, x := range p {
		l, h := min(lo[i], x), max(hi[i], x)
		span := h - l
		if span <= 0 {
			continue
		}
		dim = i
		if r < span {
			cut = l + r
			break
		}
		// Rounding can run r past the last range: the cut then lands at
		// the top of the last dimension with range, clamped below.
		r -= span
		cut = h
	}
	h := max(hi[dim], p[dim])
	if cut >= h {
		cut = math.Nextafter(h, math.Inf(-1))
	}
	x := p[dim]
	sep = (x < lo[dim] && cut < lo[dim]) || (x > hi[dim] && cut >= hi[dim])
	return dim, cut, sep
}

// insert adds one copy of p and returns its leaf. The tree that results
// is distributed as a random cut tree built on the sample with p.
func (t *tree) insert(p []float64) int32 {
	if t.root == none {
		l := t.newLeaf(p, none)
		t.root = ^l
		return l
	}
	ref, parent := t.root, none
	for {
		lo, hi := t.bounds(ref)
		if ref < 0 && samePoint(lo, p) {
			l := ^ref
			t.leafMass[l]++
			return l
		}
		dim, cut, sep := t.drawCut(lo, hi, p)
		if sep || ref < 0 {
			return t.split(ref, parent, dim, cut, p)
		}
		if growBox(lo, hi, p) {
			t.fitSum(ref)
		}
		parent = ref
		d, c := t.cutOf(ref)
		l, r := t.kids(ref)
		if p[d] <= c {
			ref = l
		} else {
			ref = r
		}
	}
}

// split puts a new internal node with the cut (dim, cut) in the place of
// ref, with a new leaf for p on one side and ref on the other.
func (t *tree) split(ref, parent int32, dim int, cut float64, p []float64) int32 {
	n := t.newNode(parent, dim, cut)
	l := t.newLeaf(p, n)
	if p[dim] <= cut {
		t.node(n)[slotKids] = pack(^l, ref)
	} else {
		t.node(n)[slotKids] = pack(ref, ^l)
	}
	t.replaceChild(parent, ref, n)
	t.setParent(ref, n)
	lo, hi := t.bounds(ref)
	nlo, nhi := t.bounds(n)
	copy(nlo, lo)
	copy(nhi, hi)
	growBox(nlo, nhi, p)
	t.fitSum(n)
	return l
}

// growBox grows lo..hi to hold p and reports whether it grew.
func growBox(lo, hi, p []float64) bool {
	grew := false
	for i, x := range p {
		if x < lo[i] {
			lo[i], grew = x, true
		}
		if x > hi[i] {
			hi[i], grew = x, true
		}
	}
	return grew
}

// remove takes one copy of leaf l's point out. The last copy takes the
// leaf out: its sibling takes the parent's place and the boxes above
// shrink. The tree that results is distributed as a random cut tree built
// on the sample without the point.
func (t *tree) remove(l int32) {
	if t.leafMass[l] > 1 {
		t.leafMass[l]--
		return
	}
	parent := t.leafParent[l]
	t.leafMass[l] = 0
	t.freeLeaves = append(t.freeLeaves, l)
	if parent == none {
		t.root = none
		return
	}
	left, right := t.kids(parent)
	sibling := left
	if sibling == ^l {
		sibling = right
	}
	grand := t.parentOf(parent)
	t.replaceChild(grand, parent, sibling)
	t.setParent(sibling, grand)
	t.freeNodes = append(t.freeNodes, parent)
	for n := grand; n != none; n = t.parentOf(n) {
		if !t.refit(n) {
			break
		}
	}
}

// refit recomputes node n's box from its children's and reports whether
// it changed (when it did not, no box above it changes either).
func (t *tree) refit(n int32) bool {
	lo, hi := t.bounds(n)
	left, right := t.kids(n)
	llo, lhi := t.bounds(left)
	rlo, rhi := t.bounds(right)
	changed := false
	for i := range lo {
		a, b := min(llo[i], rlo[i]), max(lhi[i], rhi[i])
		if a != lo[i] || b != hi[i] {
			lo[i], hi[i], changed = a, b, true
		}
	}
	if changed {
		t.fitSum(n)
	}
	return changed
}

// score is the expected inverse depth at which p would be placed if it
// were inserted: 1/(k+1) when a cut at depth k separates it (its leaf
// then sits at depth k+1), 1/(d+log2(m+1)) when it falls on a leaf of
// mass m at depth d holding the same point. Walking down, a node whose
// box does not hold p separates it with probability (range the box would
// grow by) / (range of the grown box); the walk follows the existing cut
// with the rest of the probability.
//
// With attr (2*dim values: high parts, then low parts) the score is also
// split by where it came from, weighted by w: a separation's share goes
// to each dimension by its part of the growth, to the high side when p is
// above the box in that dimension and to the low side when below. A
// duplicate's share is split evenly, half high and half low. The parts
// sum to the score.
func (t *tree) score(p []float64, inv []float64, attr []float64, w float64) float64 {
	if t.root == none {
		return 0
	}
	d := t.dim
	s, alive, depth := 0.0, 1.0, 0
	ref := t.root
	for ref >= 0 {
		nd := t.nodes[int(ref)*t.stride:][:t.stride]
		lo, hi := nd[slotBox:slotBox+d], nd[slotBox+d:slotBox+2*d]
		growth := 0.0
		for i, x := range p {
			growth += max(lo[i]-x, 0) + max(x-hi[i], 0)
		}
		if growth > 0 {
			total := nd[slotSum] + growth
			u := inv[depth]
			q := growth / total
			s += alive * q * u
			if attr != nil {
				share := w * alive * u / total
				for i, x := range p {
					if x < lo[i] {
						attr[d+i] += share * (lo[i] - x)
					} else if x > hi[i] {
						attr[i] += share * (x - hi[i])
					}
				}
			}
			alive *= 1 - q
		}
		_, dim := unpack(nd[slotLink])
		left, right := unpack(nd[slotKids])
		if p[dim] <= nd[slotCut] {
			ref = left
		} else {
			ref = right
		}
		depth++
	}
	return s + t.leafScore(^ref, p, depth, alive, attr, w)
}
