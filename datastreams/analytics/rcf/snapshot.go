package rcf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The snapshot, little-endian throughout:
//
//	"RCF" 1                       magic and format version
//	uvarint x5                    Dimensions Trees SampleSize TimeDecay ShingleSize
//	u64                           Seed
//	uvarint seen, uvarint filled
//	f64 x dim                     the shingle
//	per tree:
//	  u64                         its random source
//	  uvarint nodes               then the nodes in preorder:
//	    0 uvarint dim f64 cut     an internal node (left subtree, then right)
//	    1 uvarint mass f64 x dim  a leaf
//	  uvarint n                   then the sample heap in its order:
//	    f64 prio uvarint leaf     leaf = preorder number among the leaves
//
// Node numbering is not saved: it changes nothing a forest computes.

var snapshotMagic = [4]byte{'R', 'C', 'F', 1}

// ErrSnapshot is wrapped by UnmarshalBinary's errors.
var ErrSnapshot = errors.New("rcf: damaged snapshot")

// MarshalBinary and UnmarshalBinary save and restore the forest (with
// its random source) so that a restored forest scores as the original.
func (f *Forest) MarshalBinary() ([]byte, error) {
	if f.trees == nil {
		return nil, errors.New("rcf: MarshalBinary of a forest not made by New")
	}
	size := 64 + 8*f.dim
	for i := range f.trees {
		t := &f.trees[i]
		size += 16 + (t.nodeCount()+len(t.leafMass))*(11+8*f.dim) + 18*len(t.sample)
	}
	b := append(make([]byte, 0, size), snapshotMagic[:]...)
	for _, v := range []int{f.cfg.Dimensions, f.cfg.Trees, f.cfg.SampleSize, f.cfg.TimeDecay, f.cfg.ShingleSize} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint64(b, f.cfg.Seed)
	b = binary.AppendUvarint(b, f.seen)
	b = binary.AppendUvarint(b, uint64(f.filled))
	b = appendFloats(b, f.shingle)
	ordinal := make([]int32, 0, f.cfg.SampleSize) // leaf index -> preorder number
	stack := make([]int32, 0, 64)
	for i := range f.trees {
		t := &f.trees[i]
		b = binary.LittleEndian.AppendUint64(b, t.rng.state)
		b = binary.AppendUvarint(b, uint64(t.nodeCount()-len(t.freeNodes)+len(t.leafMass)-len(t.freeLeaves)))
		ordinal = ordinal[:0]
		for range t.leafMass {
			ordinal = append(ordinal, -1)
		}
		next := int32(0)
		stack = stack[:0]
		if t.root != none {
			stack = append(stack, t.root)
		}
		for len(stack) > 0 {
			ref := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if ref < 0 {
				l := ^ref
				ordinal[l] = next
				next++
				b = append(b, 1)
				b = binary.AppendUvarint(b, uint64(t.leafMass[l]))
				b = appendFloats(b, t.points[int(l)*t.dim:int(l+1)*t.dim])
				continue
			}
			dim, cut := t.cutOf(ref)
			left, right := t.kids(ref)
			b = append(b, 0)
			b = binary.AppendUvarint(b, uint64(dim))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(cut))
			stack = append(stack, right, left)
		}
		b = binary.AppendUvarint(b, uint64(len(t.sample)))
		for _, e := range t.sample {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.prio))
			b = binary.AppendUvarint(b, uint64(ordinal[e.leaf]))
		}
	}
	return b, nil
}

func appendFloats(b []byte, xs []float64) []byte {
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// reader decodes a snapshot; the first failure sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
}

func (r *reader) uvarint(what string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("%s: truncated", what)
		return 0
	}
	r.b = r.b[n:]
	if v > max {
		r.fail("%s %d over %d", what, v, max)
		return 0
	}
	return v
}

func (r *reader) u64(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("%s: truncated", what)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// coord reads a coordinate: finite and within the forest's bounds.
func (r *reader) coord(what string) float64 {
	x := math.Float64frombits(r.u64(what))
	if !(x >= -maxMagnitude && x <= maxMagnitude) {
		r.fail("%s %v out of range", what, x)
		return 0
	}
	return x
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("%s: truncated", what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// UnmarshalBinary restores a forest saved by MarshalBinary. Damaged input
// is an error wrapping ErrSnapshot (or ErrConfig), and leaves f as it was.
func (f *Forest) UnmarshalBinary(b []byte) error {
	if len(b) < len(snapshotMagic) || [4]byte(b[:4]) != snapshotMagic {
		return fmt.Errorf("%w: not a forest snapshot (format %d)", ErrSnapshot, 1)
	}
	r := &reader{b: b[4:]}
	var cfg Config
	cfg.Dimensions = int(r.uvarint("dimensions", MaxDimensions))
	cfg.Trees = int(r.uvarint("trees", MaxTrees))
	cfg.SampleSize = int(r.uvarint("sample size", MaxSampleSize))
	cfg.TimeDecay = int(r.uvarint("time decay", MaxTimeDecay))
	cfg.ShingleSize = int(r.uvarint("shingle size", MaxShingleSize))
	cfg.Seed = r.u64("seed")
	if r.err != nil {
		return r.err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	g, err := New(cfg)
	if err != nil {
		return err
	}
	g.seen = r.uvarint("seen", math.MaxUint64)
	g.filled = int(r.uvarint("filled", uint64(cfg.ShingleSize)))
	for i := range g.shingle {
		g.shingle[i] = r.coord("shingle value")
	}
	if r.err == nil && (g.filled == cfg.ShingleSize) != (g.seen > 0) {
		r.fail("a shingle of %d records after %d points", g.filled, g.seen)
	}
	for i := range g.trees {
		if r.err != nil {
			break
		}
		readTree(r, &g.trees[i], cfg.SampleSize)
		if r.err == nil && uint64(len(g.trees[i].sample)) > g.seen {
			r.fail("tree %d samples %d of %d points", i, len(g.trees[i].sample), g.seen)
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the last tree", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	*f = *g
	return nil
}

// readTree reads one tree into t, a new empty tree, and checks that it is
// one the forest could have built: every cut separates its sides' boxes,
// no leaf is empty, and each leaf's mass is the number of sample entries
// that name it.
func readTree(r *reader, t *tree, capacity int) {
	t.rng.state = r.u64("random source")
	count := int(r.uvarint("nodes", uint64(2*capacity-1)))
	// pending holds nodes whose children are still to come: 2 for the
	// left, 1 for the right.
	type slot struct {
		node int32
		side int
	}
	pending := make([]slot, 0, 64)
	for k := 0; k < count && r.err == nil; k++ {
		if k > 0 && len(pending) == 0 {
			r.fail("nodes after the tree's last leaf")
			return
		}
		var ref int32
		parent := none
		if len(pending) > 0 {
			parent = pending[len(pending)-1].node
		}
		switch r.byte("node tag") {
		case 0:
			dim := r.uvarint("cut dimension", uint64(t.dim-1))
			cut := r.coord("cut")
			ref = t.newNode(parent, int(dim), cut)
		case 1:
			mass := r.uvarint("leaf mass", uint64(capacity))
			if r.err == nil && mass == 0 {
				r.fail("an empty leaf")
			}
			if len(t.leafMass) == capacity {
				r.fail("more than %d leaves", capacity)
			}
			ref = ^int32(len(t.leafMass))
			t.leafParent = append(t.leafParent, parent)
			t.leafMass = append(t.leafMass, int32(mass))
			for range t.dim {
				t.points = append(t.points, r.coord("point value"))
			}
		default:
			r.fail("node tag")
		}
		if r.err != nil {
			return
		}
		if len(pending) == 0 {
			t.root = ref
		} else {
			top := &pending[len(pending)-1]
			nd := t.node(top.node)
			left, _ := unpack(nd[slotKids])
			if top.side == 2 {
				nd[slotKids] = pack(ref, none)
				top.side = 1
			} else {
				nd[slotKids] = pack(left, ref)
				pending = pending[:len(pending)-1]
			}
		}
		if ref >= 0 {
			pending = append(pending, slot{node: ref, side: 2})
		}
	}
	if r.err != nil {
		return
	}
	if len(pending) != 0 {
		r.fail("a tree cut short")
		return
	}
	// Children follow their parent in preorder: fit the boxes from the
	// last node back, then check each cut against its children's boxes.
	for n := int32(t.nodeCount()) - 1; n >= 0; n-- {
		lo, hi := t.bounds(n)
		left, right := t.kids(n)
		llo, lhi := t.bounds(left)
		rlo, rhi := t.bounds(right)
		for i := range lo {
			lo[i], hi[i] = min(llo[i], rlo[i]), max(lhi[i], rhi[i])
		}
		t.fitSum(n)
		d, cut := t.cutOf(n)
		if !(lhi[d] <= cut && cut < rlo[d]) {
			r.fail("a cut at %v does not separate %v from %v", cut, lhi[d], rlo[d])
			return
		}
	}
	size := int(r.uvarint("sample size", uint64(capacity)))
	refs := make([]int32, len(t.leafMass))
	for range size {
		prio := math.Float64frombits(r.u64("priority"))
		leaf := int32(r.uvarint("sample leaf", uint64(max(len(t.leafMass)-1, 0))))
		if r.err != nil {
			return
		}
		if math.IsNaN(prio) || math.IsInf(prio, 0) || len(t.leafMass) == 0 {
			r.fail("a sample entry")
			return
		}
		refs[leaf]++
		t.sample = append(t.sample, entry{prio: prio, leaf: leaf})
	}
	for l, m := range t.leafMass {
		if refs[l] != m {
			r.fail("leaf of mass %d named by %d sample entries", m, refs[l])
			return
		}
	}
	if !isHeap(t.sample) {
		r.fail("the sample is out of heap order")
	}
}
