package sqlengine

import (
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/rcf"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// planTableFunc compiles TABLE(fn(CURSOR(query), args...)).
func (p *planner) planTableFunc(f *sqlparse.TableFunc) (*fromPlan, error) {
	call := f.Call
	name := call.Name.Name
	if len(call.Args) == 0 {
		return nil, sqlparse.Errorf(call.Pos, "%s needs a CURSOR argument", name)
	}
	cur, ok := call.Args[0].(*sqlparse.Cursor)
	if !ok {
		return nil, sqlparse.Errorf(call.Args[0].Position(), "the first argument of %s is CURSOR(SELECT STREAM ...)", name)
	}
	q, err := p.subQuery(cur.Query)
	if err != nil {
		return nil, err
	}
	consts := make([]sqltypes.Value, len(call.Args)-1)
	for i, a := range call.Args[1:] {
		x, err := p.compile(a, &scope{noColumns: "the arguments of " + name + " after the cursor are constants (%s is a column)"})
		if err != nil {
			return nil, err
		}
		if x.konst == nil || x.konst.Null {
			return nil, sqlparse.Errorf(a.Position(), "argument %d of %s must be a constant", i+2, name)
		}
		consts[i] = *x.konst
	}
	var spec opSpec
	var cols []sqltypes.Column
	switch name {
	case "TOP_K_ITEMS_TUMBLING", "COUNT_DISTINCT_ITEMS_TUMBLING":
		spec, cols, err = planTumblingItems(call, name, q, consts)
	case "RANDOM_CUT_FOREST", "RANDOM_CUT_FOREST_WITH_EXPLANATION":
		spec, cols, err = planRCF(call, name, q, consts)
	case "HOTSPOTS":
		spec, cols, err = planHotspots(call, q, consts)
	default:
		return nil, sqlparse.Errorf(call.Pos, "unknown table function %s", name)
	}
	if err != nil {
		return nil, err
	}
	cols, err = renameCols(f.Pos, cols, f.Columns)
	if err != nil {
		return nil, err
	}
	var quals []string
	qual := ""
	if f.Alias != nil {
		qual = f.Alias.Name
		quals = []string{qual}
	}
	return &fromPlan{src: q, ops: []opSpec{spec}, sc: relScope(cols, qual, quals, 0), pos: f.Pos}, nil
}

func intArg(call *sqlparse.Call, consts []sqltypes.Value, i int, what string, lo, hi int64) (int64, error) {
	v := consts[i]
	if !v.K.IsInteger() || v.I < lo || v.I > hi {
		return 0, sqlparse.Errorf(call.Args[i+1].Position(), "%s: %s must be an integer from %d to %d", call.Name.Name, what, lo, hi)
	}
	return v.I, nil
}

func findColumn(cols []sqltypes.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// planTumblingItems plans TOP_K_ITEMS_TUMBLING(cursor, 'col', k,
// seconds) and COUNT_DISTINCT_ITEMS_TUMBLING(cursor, 'col', seconds).
func planTumblingItems(call *sqlparse.Call, name string, q *queryPlan, consts []sqltypes.Value) (opSpec, []sqltypes.Column, error) {
	topK := name == "TOP_K_ITEMS_TUMBLING"
	want := 2
	if topK {
		want = 3
	}
	if len(consts) != want {
		return nil, nil, sqlparse.Errorf(call.Pos, "%s takes a cursor and %d arguments", name, want)
	}
	if !consts[0].K.IsString() {
		return nil, nil, sqlparse.Errorf(call.Args[1].Position(), "%s: the column name is a string ('col')", name)
	}
	col := findColumn(q.cols, consts[0].S)
	if col < 0 {
		return nil, nil, sqlparse.Errorf(call.Args[1].Position(), "%s: the cursor has no column %s", name, consts[0].S)
	}
	spec := &itemsSpec{col: col, k: -1}
	var err error
	if topK {
		if spec.k, err = intArg(call, consts, 1, "K", 1, 100000); err != nil {
			return nil, nil, err
		}
	}
	secs, err := intArg(call, consts, want-1, "the window size in seconds", 1, 3600)
	if err != nil {
		return nil, nil, err
	}
	spec.window = secs * 1000
	if topK {
		c := q.cols[col]
		c.Type.NotNull = false
		return spec, []sqltypes.Column{c, {Name: "MOST_FREQUENT_VALUES", Type: sqltypes.Type{Kind: sqltypes.BigInt}}}, nil
	}
	return spec, []sqltypes.Column{{Name: "NUMBER_OF_DISTINCT_ITEMS", Type: sqltypes.Type{Kind: sqltypes.BigInt}}}, nil
}

// itemsSpec counts a column's values per tumbling ROWTIME window of
// window ms; at the window's end it emits the k most frequent values with
// their counts (k >= 1), or the number of distinct values (k < 0).
// Counts are exact.
type itemsSpec struct {
	col    int
	k      int64
	window int64
}

type itemCount struct {
	v     sqltypes.Value
	n     int64
	first int64
}

type itemsNode struct {
	*itemsSpec
	pump    string
	next    node
	open    bool
	start   int64
	counts  map[string]*itemCount
	seq     int64
	scratch []byte
}

func (s *itemsSpec) build(b *builder, next node) node {
	return &itemsNode{itemsSpec: s, pump: b.pump, next: next, counts: map[string]*itemCount{}}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q * b
}

func (n *itemsNode) push(rt *runtime, r sqltypes.Row) {
	start := floorDiv(r.Rowtime, n.window)
	if n.open && start != n.start {
		n.emit(rt)
	}
	n.open, n.start = true, start
	v := r.Values[n.col]
	n.scratch = appendKey(n.scratch[:0], []sqltypes.Value{v})
	c := n.counts[string(n.scratch)]
	if c == nil {
		n.seq++
		c = &itemCount{v: v, first: n.seq}
		n.counts[string(n.scratch)] = c
	}
	c.n++
}

func (n *itemsNode) deadline() (int64, bool) { return n.start + n.window, n.open }

func (n *itemsNode) advance(rt *runtime, bound int64) {
	if n.open && n.start+n.window <= bound {
		n.emit(rt)
	}
}

func (n *itemsNode) emit(rt *runtime) {
	end := n.start + n.window
	items := make([]*itemCount, 0, len(n.counts))
	for _, c := range n.counts {
		items = append(items, c)
	}
	n.counts, n.open, n.seq = map[string]*itemCount{}, false, 0
	if n.k < 0 {
		id := groupID(&rt.h, tagTopK, n.start, nil)
		n.next.push(rt, sqltypes.Row{Rowtime: end, ID: id, Values: []sqltypes.Value{sqltypes.BigIntV(int64(len(items)))}})
		return
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].n != items[j].n {
			return items[i].n > items[j].n
		}
		return items[i].first < items[j].first
	})
	if int64(len(items)) > n.k {
		items = items[:n.k]
	}
	for _, c := range items {
		n.scratch = appendKey(n.scratch[:0], []sqltypes.Value{c.v})
		id := groupID(&rt.h, tagTopK, n.start, n.scratch)
		n.next.push(rt, sqltypes.Row{Rowtime: end, ID: id, Values: []sqltypes.Value{c.v, sqltypes.BigIntV(c.n)}})
	}
}

func (n *itemsNode) save(e *enc) {
	e.bool(n.open)
	e.int(n.start)
	e.int(n.seq)
	items := make([]*itemCount, 0, len(n.counts))
	for _, c := range n.counts {
		items = append(items, c)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].first < items[j].first })
	e.uint(uint64(len(items)))
	for _, c := range items {
		e.value(c.v)
		e.int(c.n)
		e.int(c.first)
	}
}

func (n *itemsNode) load(d *dec) {
	n.open, n.start, n.seq = d.bool(), d.int(), d.int()
	n.counts = map[string]*itemCount{}
	c := d.count()
	for range c {
		it := &itemCount{v: d.value(), n: d.int(), first: d.int()}
		if d.err != nil {
			return
		}
		n.counts[string(appendKey(nil, []sqltypes.Value{it.v}))] = it
	}
}

// planRCF plans RANDOM_CUT_FOREST[_WITH_EXPLANATION](cursor [,
// numberOfTrees, subSampleSize, timeDecay, shingleSize [,
// withDirectionality]]).
func planRCF(call *sqlparse.Call, name string, q *queryPlan, consts []sqltypes.Value) (opSpec, []sqltypes.Column, error) {
	explain := name == "RANDOM_CUT_FOREST_WITH_EXPLANATION"
	maxArgs := 4
	if explain {
		maxArgs = 5
	}
	if len(consts) > maxArgs {
		return nil, nil, sqlparse.Errorf(call.Pos, "%s takes a cursor and up to %d arguments", name, maxArgs)
	}
	spec := &rcfSpec{explain: explain}
	for i, c := range q.cols {
		switch c.Type.Kind {
		case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Integer, sqltypes.BigInt, sqltypes.Real, sqltypes.Double:
			spec.numeric = append(spec.numeric, i)
			spec.names = append(spec.names, c.Name)
		}
	}
	cfg := rcf.Defaults(len(spec.numeric))
	fields := []*int{&cfg.Trees, &cfg.SampleSize, &cfg.TimeDecay, &cfg.ShingleSize}
	what := []string{"numberOfTrees", "subSampleSize", "timeDecay", "shingleSize"}
	for i, v := range consts {
		if i == 4 {
			if v.K != sqltypes.Boolean {
				return nil, nil, sqlparse.Errorf(call.Args[i+1].Position(), "%s: withDirectionality is TRUE or FALSE", name)
			}
			spec.direction = v.I != 0
			continue
		}
		if !v.K.IsInteger() {
			return nil, nil, sqlparse.Errorf(call.Args[i+1].Position(), "%s: %s must be an integer", name, what[i])
		}
		*fields[i] = int(v.I)
	}
	if len(spec.numeric) == 0 {
		return nil, nil, sqlparse.Errorf(call.Args[0].Position(), "%s: the cursor has no numeric column (DOUBLE, REAL, INTEGER, BIGINT, SMALLINT, TINYINT)", name)
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, sqlparse.Errorf(call.Pos, "%s: %v", name, err)
	}
	spec.cfg = cfg
	cols := append([]sqltypes.Column(nil), q.cols...)
	cols = append(cols, sqltypes.Column{Name: "ANOMALY_SCORE", Type: sqltypes.Type{Kind: sqltypes.Double}})
	if explain {
		cols = append(cols, sqltypes.Column{Name: "ANOMALY_EXPLANATION", Type: sqltypes.Type{Kind: sqltypes.Varchar}})
	}
	return spec, cols, nil
}

// rcfSpec scores each row's numeric columns with a random cut forest
// and appends ANOMALY_SCORE (and ANOMALY_EXPLANATION).
type rcfSpec struct {
	cfg       rcf.Config
	numeric   []int
	names     []string
	explain   bool
	direction bool
}

type rcfNode struct {
	*rcfSpec
	pump   string
	next   node
	forest *rcf.Forest
	point  []float64
	attr   []rcf.Attribution
}

// build seeds the forest from the pump's name and the operator's place
// in the program, so that a replay scores alike.
func (s *rcfSpec) build(b *builder, next node) node {
	h := fnv.New64a()
	h.Write([]byte(b.pump))
	h.Write([]byte{0, byte(len(b.rt.states)), byte(len(b.rt.states) >> 8)})
	cfg := s.cfg
	cfg.Seed = h.Sum64()
	f, err := rcf.New(cfg)
	if err != nil {
		panic("sqlengine: a checked forest configuration failed: " + err.Error())
	}
	return &rcfNode{rcfSpec: s, pump: b.pump, next: next, forest: f, point: make([]float64, len(s.numeric))}
}

func (n *rcfNode) push(rt *runtime, r sqltypes.Row) {
	for i, c := range n.numeric {
		v := r.Values[c]
		if v.Null {
			n.point[i] = math.NaN() // scored 0, not learnt
		} else {
			n.point[i] = v.AsFloat()
		}
	}
	out := make([]sqltypes.Value, len(r.Values), len(r.Values)+2)
	copy(out, r.Values)
	if !n.explain {
		out = append(out, sqltypes.Float(n.forest.Update(n.point)))
	} else {
		var score float64
		score, n.attr = n.forest.UpdateExplainInto(n.point, n.attr)
		out = append(out, sqltypes.Float(score), sqltypes.Str(n.explanation()))
	}
	n.next.push(rt, sqltypes.Row{Rowtime: r.Rowtime, ID: r.ID, Values: out})
}

// explanation writes the attribution as KDA shows it: a JSON object
// keyed by column, values four-decimal strings.
func (n *rcfNode) explanation() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, a := range n.attr {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(n.names[i]))
		b.WriteString(":{")
		if n.direction {
			dir := "LOW"
			if a.High {
				dir = "HIGH"
			}
			b.WriteString(`"DIRECTION":"` + dir + `",`)
		}
		b.WriteString(`"STRENGTH":"` + strconv.FormatFloat(a.Strength, 'f', 4, 64) + `",`)
		b.WriteString(`"ATTRIBUTION_SCORE":"` + strconv.FormatFloat(a.Score, 'f', 4, 64) + `"}`)
	}
	b.WriteByte('}')
	return b.String()
}

func (n *rcfNode) save(e *enc) {
	b, err := n.forest.MarshalBinary()
	if err != nil {
		b = nil
	}
	e.bytes(b)
}

func (n *rcfNode) load(d *dec) {
	b := d.bytesCopy()
	if d.err != nil {
		return
	}
	if err := n.forest.UnmarshalBinary(b); err != nil {
		d.fail()
	}
}
