package sqlengine

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// HOTSPOTS(cursor, windowSize, scanRadius, minimumNumberOfPointsInAHotspot)
// finds the dense regions among the last windowSize rows' numeric
// columns. This engine's reading of it (AWS does not publish the
// algorithm): density-based clustering of the window, where a point with
// at least minPoints points (itself included) within scanRadius
// (Euclidean) is a core point, core points within scanRadius of each
// other share a hotspot, and other points within scanRadius of a core
// point join its hotspot. A hotspot of at least minPoints points is
// reported with its bounding box and its density relative to the
// window's: (points / box volume) / (window points / window box volume),
// each side of a box counted as at least scanRadius. Hotspots are listed
// densest first.

func planHotspots(call *sqlparse.Call, q *queryPlan, consts []sqltypes.Value) (opSpec, []sqltypes.Column, error) {
	if len(consts) != 3 {
		return nil, nil, sqlparse.Errorf(call.Pos, "HOTSPOTS takes a cursor, windowSize, scanRadius and minimumNumberOfPointsInAHotspot")
	}
	w, err := intArg(call, consts, 0, "windowSize", 100, 1000)
	if err != nil {
		return nil, nil, err
	}
	r := consts[1]
	if !r.K.IsNumeric() || r.AsFloat() <= 0 {
		return nil, nil, sqlparse.Errorf(call.Args[2].Position(), "HOTSPOTS: scanRadius must be a positive number")
	}
	m, err := intArg(call, consts, 2, "minimumNumberOfPointsInAHotspot", 2, w)
	if err != nil {
		return nil, nil, err
	}
	spec := &hotspotsSpec{window: int(w), radius: r.AsFloat(), minPoints: int(m)}
	for i, c := range q.cols {
		if c.Type.Kind.IsNumeric() && c.Type.Kind != sqltypes.Decimal {
			spec.numeric = append(spec.numeric, i)
		}
	}
	if len(spec.numeric) == 0 {
		return nil, nil, sqlparse.Errorf(call.Args[0].Position(), "HOTSPOTS: the cursor has no numeric column")
	}
	cols := append(append([]sqltypes.Column(nil), q.cols...), sqltypes.Column{Name: "HOTSPOTS_RESULT", Type: sqltypes.Type{Kind: sqltypes.Varchar}})
	return spec, cols, nil
}

type hotspotsSpec struct {
	numeric   []int
	window    int
	radius    float64
	minPoints int
}

type hsPoint struct {
	id  int64
	p   []float64
	cnt int // points of the window within scanRadius, itself included
}

// cellKey is a grid cell (side scanRadius) of a point of up to four
// dimensions; wider points are compared with every point instead.
type cellKey [4]int64

const gridDims = 4

type hotspotsNode struct {
	*hotspotsSpec
	pump   string
	next   node
	pts    []hsPoint // the window, oldest first
	nextID int64
	grid   map[cellKey][]int64
}

func (s *hotspotsSpec) build(b *builder, next node) node {
	return &hotspotsNode{hotspotsSpec: s, pump: b.pump, next: next, grid: map[cellKey][]int64{}}
}

func (n *hotspotsNode) push(rt *runtime, r sqltypes.Row) {
	p := make([]float64, len(n.numeric))
	ok := true
	for i, c := range n.numeric {
		v := r.Values[c]
		p[i] = v.AsFloat()
		ok = ok && !v.Null && !math.IsNaN(p[i]) && !math.IsInf(p[i], 0)
	}
	if ok {
		n.add(p)
	}
	out := make([]sqltypes.Value, len(r.Values), len(r.Values)+1)
	copy(out, r.Values)
	out = append(out, sqltypes.Str(n.result()))
	n.next.push(rt, sqltypes.Row{Rowtime: r.Rowtime, ID: r.ID, Values: out})
}

func (n *hotspotsNode) cell(p []float64) cellKey {
	var k cellKey
	for i := 0; i < len(p) && i < gridDims; i++ {
		k[i] = int64(math.Floor(p[i] / n.radius))
	}
	return k
}

// near lists the positions in pts of the points within scanRadius of p.
func (n *hotspotsNode) near(p []float64, dst []int) []int {
	dst = dst[:0]
	r2 := n.radius * n.radius
	within := func(q []float64) bool {
		d := 0.0
		for k, x := range p {
			y := x - q[k]
			d += y * y
		}
		return d <= r2
	}
	if len(p) > gridDims {
		for j := range n.pts {
			if within(n.pts[j].p) {
				dst = append(dst, j)
			}
		}
		return dst
	}
	base := n.cell(p)
	var off [gridDims]int64
	for k := range len(p) {
		off[k] = -1
	}
	first := n.pts[0].id
	for {
		key := base
		for k := range len(p) {
			key[k] += off[k]
		}
		for _, id := range n.grid[key] {
			if j := int(id - first); within(n.pts[j].p) {
				dst = append(dst, j)
			}
		}
		k := 0
		for k < len(p) && off[k] == 1 {
			off[k] = -1
			k++
		}
		if k == len(p) {
			break
		}
		off[k]++
	}
	sort.Ints(dst)
	return dst
}

// add puts a point in the window (evicting the oldest when full) and
// keeps every point's neighbour count.
func (n *hotspotsNode) add(p []float64) {
	if len(n.pts) == n.window {
		o := n.pts[0]
		for _, j := range n.near(o.p, nil) {
			n.pts[j].cnt--
		}
		if len(o.p) <= gridDims {
			k := n.cell(o.p)
			ids := n.grid[k]
			for i, id := range ids {
				if id == o.id {
					ids = append(ids[:i:i], ids[i+1:]...)
					break
				}
			}
			if len(ids) == 0 {
				delete(n.grid, k)
			} else {
				n.grid[k] = ids
			}
		}
		n.pts[0] = hsPoint{}
		n.pts = n.pts[1:]
	}
	pt := hsPoint{id: n.nextID, p: p, cnt: 1}
	n.nextID++
	if len(n.pts) == 0 {
		n.pts = append(n.pts, pt)
	} else {
		nb := n.near(p, nil)
		for _, j := range nb {
			n.pts[j].cnt++
		}
		pt.cnt += len(nb)
		n.pts = append(n.pts, pt)
	}
	if len(p) <= gridDims {
		k := n.cell(p)
		n.grid[k] = append(n.grid[k], pt.id)
	}
}

func (n *hotspotsNode) result() string {
	label := make([]int, len(n.pts))
	var clusters [][]int
	var nb []int
	for i := range n.pts {
		if n.pts[i].cnt < n.minPoints || label[i] != 0 {
			continue
		}
		id := len(clusters) + 1
		members := []int{i}
		label[i] = id
		for q := 0; q < len(members); q++ {
			j := members[q]
			if n.pts[j].cnt < n.minPoints {
				continue // a border point: in the hotspot, not expanding it
			}
			nb = n.near(n.pts[j].p, nb)
			for _, k := range nb {
				if label[k] == 0 {
					label[k] = id
					members = append(members, k)
				}
			}
		}
		clusters = append(clusters, members)
	}
	type hotspot struct {
		density  float64
		min, max []float64
	}
	d := len(n.numeric)
	box := func(idx []int) ([]float64, []float64, float64) {
		lo, hi := make([]float64, d), make([]float64, d)
		for k := range d {
			lo[k], hi[k] = math.Inf(1), math.Inf(-1)
		}
		for _, i := range idx {
			for k, x := range n.pts[i].p {
				lo[k], hi[k] = min(lo[k], x), max(hi[k], x)
			}
		}
		vol := 1.0
		for k := range d {
			vol *= max(hi[k]-lo[k], n.radius)
		}
		return lo, hi, vol
	}
	var spots []hotspot
	if len(n.pts) > 0 {
		all := make([]int, len(n.pts))
		for i := range all {
			all[i] = i
		}
		_, _, wvol := box(all)
		avg := float64(len(n.pts)) / wvol
		for _, c := range clusters {
			if len(c) < n.minPoints {
				continue
			}
			lo, hi, vol := box(c)
			spots = append(spots, hotspot{density: float64(len(c)) / vol / avg, min: lo, max: hi})
		}
	}
	sort.SliceStable(spots, func(i, j int) bool { return spots[i].density > spots[j].density })
	var b strings.Builder
	b.WriteString(`{"hotspots":[`)
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	arr := func(xs []float64) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = num(x)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	for i, s := range spots {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"density":` + num(s.density) + `,"minValues":` + arr(s.min) + `,"maxValues":` + arr(s.max) + `}`)
	}
	b.WriteString("]}")
	return b.String()
}

func (n *hotspotsNode) save(e *enc) {
	e.int(n.nextID - int64(len(n.pts)))
	e.uint(uint64(len(n.pts)))
	for _, p := range n.pts {
		for _, x := range p.p {
			e.f64(x)
		}
	}
}

// load puts the saved points back in order: their neighbour counts
// depend only on the set, so they come out as they were.
func (n *hotspotsNode) load(d *dec) {
	n.nextID = d.int()
	c := d.count()
	n.pts, n.grid = nil, map[cellKey][]int64{}
	if c > n.window {
		d.fail()
		return
	}
	for range c {
		p := make([]float64, len(n.numeric))
		for k := range p {
			p[k] = d.f64()
		}
		if d.err != nil {
			return
		}
		n.add(p)
	}
}
