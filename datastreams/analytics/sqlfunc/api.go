package sqlfunc

import (
	"fmt"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

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
	// Eval2, when set, is Eval for exactly two arguments passed by value:
	// an engine calls it for binary operators to spare the argument slice.
	Eval2 func(x, y sqltypes.Value) (sqltypes.Value, error)
	// Volatile marks functions whose result changes between calls with
	// the same arguments (the clock functions): they are not folded into
	// constants when planning.
	Volatile bool
	// QueryStart marks the clock functions the service evaluates once,
	// when the query starts (CURRENT_TIMESTAMP, LOCALTIMESTAMP,
	// CURRENT_DATE, CURRENT_TIME, LOCALTIME), unlike CURRENT_ROW_TIMESTAMP,
	// which is read per row. An engine that honours it evaluates such a
	// call once per run; one that does not gets a per-row clock.
	QueryStart bool
}

// Library is the set of scalar functions and operators by upper-case
// name. It is immutable once built.
type Library struct {
	funcs map[string]*Func
	re    *regexCache
}

// Config is what the library needs from its environment.
type Config struct {
	// Now is the clock of CURRENT_ROW_TIMESTAMP and CURRENT_TIMESTAMP, in
	// ms since the epoch; nil is time.Now.
	Now func() int64
}

// New builds the library.
func New(cfg Config) *Library {
	if cfg.Now == nil {
		cfg.Now = func() int64 { return time.Now().UnixMilli() }
	}
	l := &Library{funcs: make(map[string]*Func), re: newRegexCache()}
	addOperators(l)
	addStrings(l)
	addPatterns(l)
	addNumeric(l)
	addDatetime(l, cfg.Now)
	addDateFormat(l)
	addLogParse(l)
	addMisc(l)
	return l
}

// Lookup finds a function or operator by name (upper case).
func (l *Library) Lookup(name string) (*Func, bool) { f, ok := l.funcs[name]; return f, ok }

// Names lists the library's function and operator names (unordered).
func (l *Library) Names() []string {
	out := make([]string, 0, len(l.funcs))
	for n := range l.funcs {
		out = append(out, n)
	}
	return out
}

func (l *Library) add(f *Func) {
	if _, dup := l.funcs[f.Name]; dup {
		panic("sqlfunc: duplicate function " + f.Name)
	}
	l.funcs[f.Name] = f
}

// alias registers f under another name too.
func (l *Library) alias(name, of string) {
	f := *l.funcs[of]
	f.Name = name
	l.add(&f)
}

// argError is a Check error naming the function and the argument.
func argError(fn string, i int, format string, a ...any) error {
	return fmt.Errorf("%s: argument %d: %s", fn, i+1, fmt.Sprintf(format, a...))
}

// countError is a Check error about the number of arguments.
func countError(fn string, got int, want string) error {
	return fmt.Errorf("%s: takes %s arguments, got %d", fn, want, got)
}

// anyNull reports whether one of vs is NULL.
func anyNull(vs []sqltypes.Value) bool {
	for _, v := range vs {
		if v.Null {
			return true
		}
	}
	return false
}

// strict wraps an Eval so that a NULL argument gives NULL of kind k.
func strict(k sqltypes.Kind, eval func([]sqltypes.Value) (sqltypes.Value, error)) func([]sqltypes.Value) (sqltypes.Value, error) {
	return func(args []sqltypes.Value) (sqltypes.Value, error) {
		if anyNull(args) {
			return sqltypes.NullOf(k), nil
		}
		return eval(args)
	}
}

// wantArgs checks the number of arguments.
func wantArgs(fn string, args []Arg, min, max int) error {
	if len(args) < min || len(args) > max {
		if min == max {
			return countError(fn, len(args), fmt.Sprint(min))
		}
		return countError(fn, len(args), fmt.Sprintf("%d to %d", min, max))
	}
	return nil
}

func wantString(fn string, args []Arg, i int) error {
	if k := args[i].Type.Kind; !k.IsString() && k != sqltypes.Null {
		return argError(fn, i, "want a character string, got %s", args[i].Type)
	}
	return nil
}

func wantNumeric(fn string, args []Arg, i int) error {
	if k := args[i].Type.Kind; !k.IsNumeric() && k != sqltypes.Null {
		return argError(fn, i, "want a number, got %s", args[i].Type)
	}
	return nil
}

func wantInteger(fn string, args []Arg, i int) error {
	if k := args[i].Type.Kind; !k.IsInteger() && k != sqltypes.Null {
		return argError(fn, i, "want an integer, got %s", args[i].Type)
	}
	return nil
}

// constString is the value of a constant character-string argument.
func constString(fn string, args []Arg, i int) (string, error) {
	a := args[i]
	if a.Const == nil || a.Const.Null || !a.Const.K.IsString() {
		return "", argError(fn, i, "want a constant character string")
	}
	return a.Const.S, nil
}

// typ is a nullable type of kind k.
func typ(k sqltypes.Kind) sqltypes.Type { return sqltypes.Type{Kind: k} }

// varchar is an unbounded VARCHAR result type.
var varchar = typ(sqltypes.Varchar)
