package sqlengine

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// node is one running operator: it takes rows of its input's shape and
// passes rows of its own shape on to the next node.
type node interface {
	push(rt *runtime, r sqltypes.Row)
}

// advancer is a node whose windows close with time: advance is told that
// no row before bound will come. deadline is the earliest bound at which
// it would emit a row (false: none pending; pruning needs none).
type advancer interface {
	advance(rt *runtime, bound int64)
	deadline() (int64, bool)
}

// stateful is a node with state to snapshot.
type stateful interface {
	save(e *enc)
	load(d *dec)
}

// streamRT is an in-application stream while the program runs: the nodes
// that read it.
type streamRT struct {
	name      string
	visible   bool // an output may read it (every stream the code creates)
	consumers []node
}

// lagged is an advancer and how far its pump's input lags the
// watermark (the sum of the T-sort intervals upstream of it): it is told
// bound less lag, and its deadlines are later by lag.
type lagged struct {
	a   advancer
	lag int64
}

// runtime is the mutable half of a Runner: streams, nodes, the
// watermark and the rows not yet taken.
type runtime struct {
	prog      *Program
	streams   map[string]*streamRT
	advancers []lagged   // upstream before downstream
	states    []stateful // in build order, the same for the same program
	tables    map[string]*tableRT
	watermark int64
	started   bool
	out       []Output
	h         idHasher
}

// tableRT is a reference table's current rows.
type tableRT struct {
	schema  Table
	rows    [][]sqltypes.Value
	version int // counts SetTable calls
}

func (rt *runtime) stream(name string) *streamRT {
	s := rt.streams[name]
	if s == nil {
		s = &streamRT{name: name}
		rt.streams[name] = s
	}
	return s
}

// emit inserts a finished row into a stream: it becomes visible to Take
// and flows into the pumps that read the stream.
func (rt *runtime) emit(s *streamRT, row sqltypes.Row) {
	if s.visible {
		rt.out = append(rt.out, Output{Stream: s.name, Row: row})
	}
	for _, c := range s.consumers {
		c.push(rt, row)
	}
}

// advance closes every window that ends at or before bound. It steps
// through the pending deadlines in time order (all operators to the
// earliest, upstream first, then the next), so that rows that several
// pumps emit into one stream arrive there in ROWTIME order even when the
// bound jumps over several windows.
func (rt *runtime) advance(bound int64) {
	if rt.started && bound <= rt.watermark {
		return
	}
	rt.started = true
	for {
		next, ok := int64(0), false
		for _, a := range rt.advancers {
			d, has := a.a.deadline()
			if d += a.lag; has && d <= bound && (!ok || d < next) {
				next, ok = d, true
			}
		}
		if !ok || next >= bound {
			break
		}
		rt.watermark = next
		for _, a := range rt.advancers {
			a.a.advance(rt, next-a.lag)
		}
	}
	rt.watermark = bound
	for _, a := range rt.advancers {
		a.a.advance(rt, bound-a.lag)
	}
}

// ErrorStreamColumns are error_stream's columns.
var ErrorStreamColumns = []sqltypes.Column{
	{Name: "ERROR_TIME", Type: sqltypes.Type{Kind: sqltypes.Timestamp}},
	{Name: "ERROR_LEVEL", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 10}},
	{Name: "ERROR_NAME", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 32}},
	{Name: "MESSAGE", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 4096}},
	{Name: "DATA_ROWTIME", Type: sqltypes.Type{Kind: sqltypes.Timestamp}},
	{Name: "DATA_ROW", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 49152}},
	{Name: "PUMP_NAME", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 128}},
}

// ErrorRow builds an error_stream row. errTime is when the error
// happened (the engine uses the offending row's ROWTIME, so a replay
// makes the same row); data is the offending row's bytes, written as hex;
// id is the row's identity.
func ErrorRow(errTime int64, name, message string, dataRowtime int64, data []byte, pump string, id [16]byte) sqltypes.Row {
	clip := func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	return sqltypes.Row{
		Rowtime: errTime,
		ID:      id,
		Values: []sqltypes.Value{
			sqltypes.TimestampMs(errTime),
			sqltypes.Str("ERROR"),
			sqltypes.Str(clip(name, 32)),
			sqltypes.Str(clip(message, 4096)),
			sqltypes.TimestampMs(dataRowtime),
			sqltypes.Str(clip(hex.EncodeToString(data), 49152)),
			sqltypes.Str(clip(pump, 128)),
		},
	}
}

// EvalError is a runtime error with a name for error_stream's
// ERROR_NAME. Errors of other types are named "EvaluationError".
type EvalError struct {
	Name string
	Err  error
}

func (e *EvalError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *EvalError) Unwrap() error { return e.Err }

// fail turns a runtime error on row r in a pump into an error_stream
// row; the pump goes on with the next row.
func (rt *runtime) fail(pump string, r *sqltypes.Row, err error) {
	name := "EvaluationError"
	var ee *EvalError
	if errors.As(err, &ee) {
		name = ee.Name
	}
	var data []byte
	for i, v := range r.Values {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, v.String()...)
	}
	id := derivedID(&rt.h, tagError, pumpID(&rt.h, pump, r.ID), 0)
	row := ErrorRow(r.Rowtime, name, fmt.Sprintf("pump %s: %v", pump, err), r.Rowtime, data, pump, id)
	rt.out = append(rt.out, Output{Stream: ErrorStream, Row: row})
}
