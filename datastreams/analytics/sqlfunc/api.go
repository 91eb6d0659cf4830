package sqlfunc

import "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"

// SKELETON: the contract between the engine and the function library.
// The owner of sqlfunc replaces the panics with the real code and may add
// members; names here stay.

// Arg is what Check knows of one argument: its type, and its value when
// the argument is a constant (a literal, or an expression of literals),
// as VARIABLE_COLUMN_LOG_PARSE's column list or REGEX_LOG_PARSE's pattern.
type Arg struct {
	Type  sqltypes.Type
	Const *sqltypes.Value
}

// Func is one scalar function or operator.
type Func struct {
	Name string
	// Check validates the arguments and returns the result type; its
	// error names the function and the argument at fault.
	Check func(args []Arg) (sqltypes.Type, error)
	// Eval computes the result; args are already checked and of the
	// types Check accepted. An error becomes an error_stream row.
	Eval func(args []sqltypes.Value) (sqltypes.Value, error)
	// Volatile marks functions whose result changes between calls with
	// the same arguments (CURRENT_ROW_TIMESTAMP).
	Volatile bool
}

// Library is the set of scalar functions and operators by upper-case
// name. It is immutable once built.
type Library struct{ funcs map[string]*Func }

// New builds the library.
func New(cfg Config) *Library { panic("skeleton") }

// Config is what the library needs from its environment.
type Config struct {
	// Now is the clock of CURRENT_ROW_TIMESTAMP and CURRENT_TIMESTAMP;
	// nil is time.Now.
	Now func() int64
}

// Lookup finds a function or operator by name (upper case).
func (l *Library) Lookup(name string) (*Func, bool) { f, ok := l.funcs[name]; return f, ok }

// Cast converts v to the type t as CAST does (and as an INSERT into a
// column of type t does: VARCHAR(n) and CHAR(n) truncate to n).
func Cast(v sqltypes.Value, t sqltypes.Type) (sqltypes.Value, error) { panic("skeleton") }

// CanCast reports whether CAST from one type to another is allowed.
func CanCast(from, to sqltypes.Type) bool { panic("skeleton") }

// Common returns the type two operands are compared or combined in
// (CASE branches, UNION of pumps into one stream, IN lists), or false.
func Common(a, b sqltypes.Type) (sqltypes.Type, bool) { panic("skeleton") }

// Compare orders two non-NULL values of comparable types: -1, 0, 1.
func Compare(a, b sqltypes.Value) (int, error) { panic("skeleton") }

// FromJSON converts a decoded JSON value (nil, bool, float64 or
// json.Number, string, []any, map[string]any) to a column of type t,
// following KDA's JSON-to-SQL coercion rules.
func FromJSON(v any, t sqltypes.Type) (sqltypes.Value, error) { panic("skeleton") }

// FromText converts a CSV field to a column of type t.
func FromText(s string, t sqltypes.Type) (sqltypes.Value, error) { panic("skeleton") }

// ToJSON is the JSON form of a value in an output record (nil for NULL).
func ToJSON(v sqltypes.Value) any { panic("skeleton") }

// ToText is the CSV form of a value in an output record ("" for NULL).
func ToText(v sqltypes.Value) string { panic("skeleton") }
