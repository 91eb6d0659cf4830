package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// SKELETON: the contract between the engine and the application manager.
// The owner of sqlengine replaces the panics and may add members.

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

// Program is compiled application code.
type Program struct{}

// Compile parses and plans application code. Errors are *sqlparse.Error
// (line and column).
func Compile(code string, env Env) (*Program, error) { panic("skeleton") }

// Streams are the in-application streams the code creates, in order
// (outputs name one of them, or error_stream).
func (p *Program) Streams() []StreamSchema { panic("skeleton") }

// Runner runs a Program. It is not safe for concurrent use: one goroutine
// owns it.
type Runner struct{}

// NewRunner starts the program from a snapshot taken by Runner.Snapshot
// of a runner of the same code, or fresh when snapshot is nil.
func (p *Program) NewRunner(snapshot []byte) (*Runner, error) { panic("skeleton") }

// Push gives a row to an input stream. Rows come in non-decreasing
// ROWTIME across all inputs; row.ID is the source record's identity.
func (r *Runner) Push(input string, row sqltypes.Row) { panic("skeleton") }

// Advance says no row with a ROWTIME before bound will come: windows that
// end at or before it close and emit.
func (r *Runner) Advance(bound int64) { panic("skeleton") }

// Output is one row emitted into an in-application stream that an
// application output may read (every stream the code creates, and
// error_stream).
type Output struct {
	Stream string
	Row    sqltypes.Row
}

// Take returns the rows emitted since the last Take, in emission order.
func (r *Runner) Take() []Output { panic("skeleton") }

// SetTable replaces a reference table's rows (reference data reloaded).
func (r *Runner) SetTable(t Table) error { panic("skeleton") }

// Snapshot serializes the runner's state (open windows, sliding-window
// rows, models) so that NewRunner resumes exactly here.
func (r *Runner) Snapshot() ([]byte, error) { panic("skeleton") }
