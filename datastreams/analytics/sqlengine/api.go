package sqlengine

import (
	"fmt"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// ErrorStream is the name of the in-application error stream.
const ErrorStream = "error_stream"

// Env is what application code compiles against.
type Env struct {
	// Inputs are the in-application input streams (<NamePrefix>_001 …),
	// names as the service creates them (case kept: SQL quotes them).
	Inputs []StreamSchema
	// Tables are the reference tables.
	Tables []Table
	// Functions is the scalar function library.
	Functions *sqlfunc.Library
}

// StreamSchema is an in-application stream's name and columns (ROWTIME
// is implicit).
type StreamSchema struct {
	Name    string
	Columns []sqltypes.Column
}

// Table is a reference table and its rows.
type Table struct {
	Name    string
	Columns []sqltypes.Column
	Rows    [][]sqltypes.Value
}

// Program is compiled application code. It is immutable: one Program
// may start any number of Runners.
type Program struct {
	env     Env
	streams []StreamSchema
	pumps   []*pumpSpec
}

// Compile parses and plans application code. Errors are *sqlparse.Error
// (line and column).
func Compile(code string, env Env) (*Program, error) {
	script, err := sqlparse.Parse(code)
	if err != nil {
		return nil, err
	}
	p := &planner{exprCompiler: exprCompiler{lib: env.Functions, udfs: map[string]*sqlparse.CreateFunction{}}, env: env,
		rels: map[string]*relation{}}
	for _, in := range env.Inputs {
		p.rels[in.Name] = &relation{kind: relInput, name: in.Name, cols: in.Columns}
	}
	for _, t := range env.Tables {
		if p.rels[t.Name] != nil {
			return nil, fmt.Errorf("sqlengine: %s is both an input and a table", t.Name)
		}
		p.rels[t.Name] = &relation{kind: relTable, name: t.Name, cols: t.Columns}
	}
	if err := p.plan(script); err != nil {
		return nil, err
	}
	prog := &Program{env: env, pumps: orderPumps(p.pumps)}
	pumpLags(prog.pumps)
	for _, name := range p.streams {
		prog.streams = append(prog.streams, StreamSchema{Name: name, Columns: p.rels[name].cols})
	}
	return prog, nil
}

// Streams are the in-application streams the code creates, in order
// (outputs name one of them, or error_stream).
func (p *Program) Streams() []StreamSchema { return p.streams }

// Runner runs a Program. It is not safe for concurrent use: one goroutine
// owns it.
type Runner struct {
	rt *runtime
}

// NewRunner starts the program from a snapshot taken by Runner.Snapshot
// of a runner of the same code, or fresh when snapshot is nil.
func (p *Program) NewRunner(snapshot []byte) (*Runner, error) {
	rt := &runtime{prog: p, streams: map[string]*streamRT{}, tables: map[string]*tableRT{}}
	for _, s := range p.streams {
		rt.stream(s.Name).visible = true
	}
	for _, t := range p.env.Tables {
		rt.tables[t.Name] = &tableRT{schema: t, rows: t.Rows}
	}
	for _, pm := range p.pumps {
		pm.build(rt)
	}
	r := &Runner{rt: rt}
	if snapshot != nil {
		if err := r.restore(snapshot); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Push gives a row to an input stream. Rows come in non-decreasing
// ROWTIME across all inputs; row.ID is the source record's identity.
// Windows that end at or before the row's ROWTIME close first. A row
// behind the watermark (an earlier Advance) takes the watermark as its
// ROWTIME: ROWTIME never goes back. A row for a stream that is not an
// input of the program is dropped.
func (r *Runner) Push(input string, row sqltypes.Row) {
	if r.rt.started && row.Rowtime < r.rt.watermark {
		row.Rowtime = r.rt.watermark
	}
	r.rt.advance(row.Rowtime)
	s := r.rt.streams[input]
	if s == nil {
		return
	}
	for _, c := range s.consumers {
		c.push(r.rt, row)
	}
}

// Advance says no row with a ROWTIME before bound will come: windows that
// end at or before it close and emit.
func (r *Runner) Advance(bound int64) { r.rt.advance(bound) }

// Watermark is the latest bound the runner has seen (from Advance or a
// pushed row's ROWTIME).
func (r *Runner) Watermark() int64 { return r.rt.watermark }

// Output is one row emitted into an in-application stream that an
// application output may read (every stream the code creates, and
// error_stream).
type Output struct {
	Stream string
	Row    sqltypes.Row
}

// Take returns the rows emitted since the last Take, in emission order.
func (r *Runner) Take() []Output {
	out := r.rt.out
	r.rt.out = nil
	return out
}

// Recycle gives back a slice Take returned, once its rows are used, for
// the runner to emit into again rather than grow a new one.
func (r *Runner) Recycle(out []Output) {
	if r.rt.out == nil && cap(out) > 0 {
		clear(out)
		r.rt.out = out[:0]
	}
}

// SetTable replaces a reference table's rows (reference data reloaded).
func (r *Runner) SetTable(t Table) error {
	cur := r.rt.tables[t.Name]
	if cur == nil {
		return fmt.Errorf("sqlengine: no reference table %s", t.Name)
	}
	if len(t.Columns) != len(cur.schema.Columns) {
		return fmt.Errorf("sqlengine: table %s has %d columns, not %d", t.Name, len(cur.schema.Columns), len(t.Columns))
	}
	for i, row := range t.Rows {
		if len(row) != len(cur.schema.Columns) {
			return fmt.Errorf("sqlengine: table %s row %d has %d values, not %d", t.Name, i, len(row), len(cur.schema.Columns))
		}
	}
	cur.rows = t.Rows
	cur.version++
	return nil
}

// Snapshot serializes the runner's state (open windows, sliding-window
// rows, join windows, ORDER BY buffers, models, the watermark and rows
// not taken yet) so that NewRunner resumes exactly here. Reference
// tables are not in it: the manager loads them again.
func (r *Runner) Snapshot() ([]byte, error) {
	e := &enc{b: []byte{snapshotVersion}}
	e.uint(uint64(len(r.rt.states)))
	e.int(r.rt.watermark)
	e.bool(r.rt.started)
	e.uint(uint64(len(r.rt.out)))
	for _, o := range r.rt.out {
		e.str(o.Stream)
		e.row(&o.Row)
	}
	for _, s := range r.rt.states {
		s.save(e)
	}
	return e.b, nil
}

func (r *Runner) restore(b []byte) error {
	if len(b) == 0 || b[0] != snapshotVersion {
		return fmt.Errorf("sqlengine: snapshot version %v is not %d", b[:min(1, len(b))], snapshotVersion)
	}
	d := &dec{b: b[1:]}
	if n := d.uint(); d.err == nil && n != uint64(len(r.rt.states)) {
		return fmt.Errorf("sqlengine: snapshot of another program (%d operators, this one has %d)", n, len(r.rt.states))
	}
	r.rt.watermark = d.int()
	r.rt.started = d.bool()
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		r.rt.out = append(r.rt.out, Output{Stream: d.str(), Row: d.row()})
	}
	for _, s := range r.rt.states {
		if d.err != nil {
			break
		}
		s.load(d)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return checkDecoded(d, "runner")
}
