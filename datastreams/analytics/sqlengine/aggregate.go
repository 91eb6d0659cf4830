package sqlengine

import (
	"math"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// aggKind is an aggregate function.
type aggKind uint8

const (
	aggCountStar aggKind = iota
	aggCount
	aggSum
	aggAvg
	aggMin
	aggMax
	aggFirst
	aggLast
	aggVarPop
	aggVarSamp
	aggStddevPop
	aggStddevSamp
	aggLag // sliding only: the value n rows back
	aggNth // sliding only: the n-th row of the window
)

// aggNames maps the dialect's names to aggregates.
var aggNames = map[string]aggKind{
	"COUNT": aggCount, "SUM": aggSum, "AVG": aggAvg, "MIN": aggMin, "MAX": aggMax,
	"FIRST_VALUE": aggFirst, "LAST_VALUE": aggLast, "VAR_POP": aggVarPop, "VAR_SAMP": aggVarSamp,
	"STDDEV_POP": aggStddevPop, "STDDEV_SAMP": aggStddevSamp, "LAG": aggLag, "NTH_VALUE": aggNth,
}

// aggSpec is one aggregate call of a query.
type aggSpec struct {
	kind aggKind
	arg  evalFn // nil for COUNT(*)
	in   sqltypes.Kind
	out  sqltypes.Type
	n    int // LAG's offset, NTH_VALUE's position
}

// aggResultType is an aggregate's type: COUNT is BIGINT; SUM of an
// integer is BIGINT and AVG of an integer keeps its kind (integer
// arithmetic, as KDA's SUM/COUNT examples show); the variances are
// DOUBLE; the rest keep their argument's type.
func aggResultType(k aggKind, in sqltypes.Type) sqltypes.Type {
	switch k {
	case aggCountStar, aggCount:
		return sqltypes.Type{Kind: sqltypes.BigInt}
	case aggSum:
		switch {
		case in.Kind.IsInteger():
			return sqltypes.Type{Kind: sqltypes.BigInt}
		case in.Kind == sqltypes.Decimal:
			return sqltypes.Type{Kind: sqltypes.Decimal, Precision: 19, Scale: in.Scale}
		}
		return sqltypes.Type{Kind: sqltypes.Double}
	case aggAvg:
		if in.Kind.IsInteger() || in.Kind == sqltypes.Decimal {
			return sqltypes.Type{Kind: in.Kind, Precision: in.Precision, Scale: in.Scale}
		}
		return sqltypes.Type{Kind: sqltypes.Double}
	case aggVarPop, aggVarSamp, aggStddevPop, aggStddevSamp:
		return sqltypes.Type{Kind: sqltypes.Double}
	}
	t := in
	t.NotNull = false
	return t
}

// accum is the running state of one aggregate over one group.
type accum struct {
	n   int64   // rows counted (non-NULL inputs, or all for COUNT(*))
	i   int64   // integer sum
	f   float64 // float sum, or the running mean (variances)
	m2  float64 // sum of squared deviations (variances)
	v   sqltypes.Value
	has bool
}

func (a *accum) add(s *aggSpec, v sqltypes.Value) {
	if s.kind == aggCountStar {
		a.n++
		return
	}
	if v.Null {
		return
	}
	switch s.kind {
	case aggCount:
		a.n++
	case aggSum, aggAvg:
		a.n++
		if s.in.IsInteger() {
			a.i += v.I
		} else {
			a.f += v.AsFloat()
		}
	case aggMin:
		if !a.has || compareValues(v, a.v) < 0 {
			a.v, a.has = v, true
		}
	case aggMax:
		if !a.has || compareValues(v, a.v) > 0 {
			a.v, a.has = v, true
		}
	case aggFirst:
		if !a.has {
			a.v, a.has = v, true
		}
	case aggLast:
		a.v, a.has = v, true
	case aggVarPop, aggVarSamp, aggStddevPop, aggStddevSamp:
		x := v.AsFloat()
		a.n++
		d := x - a.f
		a.f += d / float64(a.n)
		a.m2 += d * (x - a.f)
	}
}

func (a *accum) result(s *aggSpec) sqltypes.Value {
	switch s.kind {
	case aggCountStar, aggCount:
		return sqltypes.BigIntV(a.n)
	case aggSum:
		if a.n == 0 {
			return sqltypes.NullOf(s.out.Kind)
		}
		if s.in.IsInteger() {
			return sqltypes.BigIntV(a.i)
		}
		return sqltypes.Value{K: s.out.Kind, F: a.f}
	case aggAvg:
		if a.n == 0 {
			return sqltypes.NullOf(s.out.Kind)
		}
		if s.in.IsInteger() {
			return sqltypes.Value{K: s.out.Kind, I: a.i / a.n}
		}
		return sqltypes.Value{K: s.out.Kind, F: a.f / float64(a.n)}
	case aggVarPop, aggVarSamp, aggStddevPop, aggStddevSamp:
		den := a.n
		if s.kind == aggVarSamp || s.kind == aggStddevSamp {
			den--
		}
		if den <= 0 {
			return sqltypes.NullOf(sqltypes.Double)
		}
		x := a.m2 / float64(den)
		if s.kind == aggStddevPop || s.kind == aggStddevSamp {
			x = math.Sqrt(x)
		}
		return sqltypes.Float(x)
	}
	if !a.has {
		return sqltypes.NullOf(s.out.Kind)
	}
	return a.v
}

func (a *accum) save(e *enc) {
	e.int(a.n)
	e.int(a.i)
	e.f64(a.f)
	e.f64(a.m2)
	e.bool(a.has)
	if a.has {
		e.value(a.v)
	}
}

func (a *accum) load(d *dec) {
	a.n, a.i, a.f, a.m2 = d.int(), d.int(), d.f64(), d.f64()
	if a.has = d.bool(); a.has {
		a.v = d.value()
	}
}

// compareValues orders two non-NULL values of one family (numbers,
// strings, binaries, datetimes, booleans).
func compareValues(a, b sqltypes.Value) int {
	switch {
	case a.K.IsString() && b.K.IsString():
		return cmp3(a.S < b.S, a.S > b.S)
	case a.K.IsBinary() && b.K.IsBinary():
		return strings.Compare(a.S, b.S)
	case a.K.IsInteger() && b.K.IsInteger(), a.K.IsDatetime() && a.K == b.K, a.K == sqltypes.Interval && b.K == a.K,
		a.K == sqltypes.Boolean && b.K == a.K:
		return cmp3(a.I < b.I, a.I > b.I)
	case a.K.IsNumeric() && b.K.IsNumeric():
		x, y := a.AsFloat(), b.AsFloat()
		return cmp3(x < y, x > y)
	}
	return cmp3(a.I < b.I, a.I > b.I)
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}

// evalAggArgs evaluates the aggregates' arguments on a row.
func evalAggArgs(aggs []aggSpec, r *sqltypes.Row, dst []sqltypes.Value) ([]sqltypes.Value, error) {
	dst = dst[:0]
	for i := range aggs {
		if aggs[i].arg == nil {
			dst = append(dst, sqltypes.Value{})
			continue
		}
		v, err := aggs[i].arg(r)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}
