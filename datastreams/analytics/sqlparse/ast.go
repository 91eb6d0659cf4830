package sqlparse

import "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"

// Position returns p itself. Every node embeds a Pos (the line and column
// of its first token), so every node has this method.
func (p Pos) Position() Pos { return p }

// Node is any node of the syntax tree.
type Node interface {
	Position() Pos
}

// Script is a whole application code: its statements in order.
type Script struct {
	Statements []Statement
}

// Statement is *CreateStream, *CreatePump, *CreateView or
// *CreateFunction.
type Statement interface {
	Node
	statementNode()
}

// Ident is a name. An unquoted name is folded to upper case; a quoted one
// ("name") keeps its case and has Quoted set.
type Ident struct {
	Pos
	Name   string
	Quoted bool
}

// CreateStream is CREATE [OR REPLACE] STREAM name (columns) [DESCRIPTION
// '...'].
type CreateStream struct {
	Pos
	OrReplace   bool
	Name        Ident
	Columns     []ColumnDef
	Description *string
}

// ColumnDef is one column of a CREATE STREAM: its name and type (the
// type's NotNull set by NOT NULL).
type ColumnDef struct {
	Pos
	Name    Ident
	Type    sqltypes.Type
	TypePos Pos
}

// CreatePump is CREATE [OR REPLACE] PUMP name [DESCRIPTION '...'] AS
// INSERT INTO target [(columns)] query.
type CreatePump struct {
	Pos
	OrReplace   bool
	Name        Ident
	Description *string
	Target      Ident
	Columns     []Ident
	Query       Query
}

// CreateView is CREATE [OR REPLACE] VIEW name [(columns)] [DESCRIPTION
// '...'] AS query.
type CreateView struct {
	Pos
	OrReplace   bool
	Name        Ident
	Columns     []Ident
	Description *string
	Query       Query
}

// CreateFunction is CREATE [OR REPLACE] FUNCTION name (params) RETURNS
// type [options] RETURN expr: a user-defined scalar function written in
// SQL. Options holds the option clauses as written, upper case and
// single-spaced (LANGUAGE SQL, DETERMINISTIC, NOT DETERMINISTIC, CONTAINS
// SQL, READS SQL DATA, MODIFIES SQL DATA, RETURNS NULL ON NULL INPUT,
// CALLED ON NULL INPUT, SPECIFIC name).
type CreateFunction struct {
	Pos
	OrReplace bool
	Name      Ident
	Params    []ColumnDef
	Returns   sqltypes.Type
	Options   []string
	Body      Expr
}

func (*CreateFunction) statementNode() {}
func (*CreateStream) statementNode()   {}
func (*CreatePump) statementNode()     {}
func (*CreateView) statementNode()     {}

// Query is *Select, *Union or *Values.
type Query interface {
	Node
	queryNode()
}

// Select is one SELECT with its clauses. Absent clauses are nil or empty.
// GroupBy and Stagger exclude each other (the parser accepts either, not
// both). Within is set by the T-sort form ORDER BY expr WITHIN interval.
type Select struct {
	Pos
	Stream   bool
	Distinct bool
	// All is set when ALL was written (the default either way).
	All     bool
	Items   []SelectItem
	From    From // always set: FROM is required
	Where   Expr
	GroupBy []Expr
	Stagger *Stagger
	Having  Expr
	Windows []NamedWindow
	OrderBy []OrderItem
	Within  Expr
}

// Union is left op [ALL] right with Op one of UNION, INTERSECT, EXCEPT
// (INTERSECT binds tighter; all are left-associative). An ORDER BY [...
// WITHIN] written after the last query sorts the whole union, as in
// SELECT STREAM ... UNION ALL SELECT STREAM ... ORDER BY ROWTIME: it is
// the union's OrderBy and Within, not the last SELECT's (a SELECT keeps
// its own only inside parentheses).
type Union struct {
	Pos
	Op          string
	Left, Right Query
	All         bool
	OrderBy     []OrderItem
	Within      Expr
}

// Values is VALUES [ROW](exprs), ...: constant rows.
type Values struct {
	Pos
	Rows [][]Expr
}

func (*Select) queryNode() {}
func (*Union) queryNode()  {}
func (*Values) queryNode() {}

// SelectItem is one item of the select list: an expression with an
// optional alias, or a *Star (Alias is then nil).
type SelectItem struct {
	Pos
	Expr  Expr
	Alias *Ident
}

// Stagger is WINDOWED BY STAGGER (PARTITION BY exprs RANGE interval).
type Stagger struct {
	Pos
	PartitionBy []Expr
	Range       Expr
}

// NamedWindow is one name AS (spec) of a WINDOW clause.
type NamedWindow struct {
	Pos
	Name Ident
	Spec *WindowSpec
}

// OrderItem is expr [ASC|DESC].
type OrderItem struct {
	Pos
	Expr Expr
	Desc bool
}

// WindowSpec is a window as written: [base] [PARTITION BY ...] [ORDER BY
// ...] [frame]. The planner rejects what the dialect does not allow.
type WindowSpec struct {
	Pos
	// Base names a window of the WINDOW clause that this one refines
	// (OVER (w ROWS ...)); nil when none.
	Base        *Ident
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *Frame
}

// FrameUnit is ROWS or RANGE.
type FrameUnit uint8

// The frame units.
const (
	Rows FrameUnit = iota
	Range
)

func (u FrameUnit) String() string {
	if u == Range {
		return "RANGE"
	}
	return "ROWS"
}

// Frame is ROWS|RANGE start, or ROWS|RANGE BETWEEN start AND end (End is
// nil in the first form).
type Frame struct {
	Pos
	Unit  FrameUnit
	Start FrameBound
	End   *FrameBound
}

// BoundKind is the kind of one end of a window frame.
type BoundKind uint8

// The bound kinds. Offset is set for Preceding and Following.
const (
	CurrentRow BoundKind = iota
	Preceding
	Following
	UnboundedPreceding
	UnboundedFollowing
)

// FrameBound is one end of a frame: CURRENT ROW, UNBOUNDED
// PRECEDING|FOLLOWING, or offset PRECEDING|FOLLOWING (offset a number for
// ROWS, an interval for RANGE, as written).
type FrameBound struct {
	Pos
	Kind   BoundKind
	Offset Expr
}

// From is the FROM clause's tree: *TableRef, *SubqueryRef, *TableFunc or
// *Join.
type From interface {
	Node
	fromNode()
}

// TableRef is a stream or table by name, an optional window (OVER
// (spec) or OVER name) and [AS] alias [(column aliases)].
type TableRef struct {
	Pos
	// Name is the (possibly qualified) name.
	Name    []Ident
	Alias   *Ident
	Columns []Ident
	// Over is the window after the name; Over.Base alone (no other
	// member) is OVER name.
	Over *WindowSpec
}

// SubqueryRef is (query) [AS] alias [(column aliases)].
type SubqueryRef struct {
	Pos
	Query   Query
	Alias   *Ident
	Columns []Ident
}

// TableFunc is TABLE(fn(args)) [AS] alias [(column aliases)]; the
// arguments usually begin with a *Cursor.
type TableFunc struct {
	Pos
	Call    *Call
	Alias   *Ident
	Columns []Ident
}

// JoinKind is the kind of a join.
type JoinKind uint8

// The join kinds. Comma is FROM a, b (a cross join without ON).
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
	CommaJoin
)

var joinNames = [...]string{InnerJoin: "JOIN", LeftJoin: "LEFT JOIN", RightJoin: "RIGHT JOIN",
	FullJoin: "FULL JOIN", CrossJoin: "CROSS JOIN", CommaJoin: ","}

func (k JoinKind) String() string { return joinNames[k] }

// Join is left [NATURAL] kind right [ON cond | USING (columns)]; On and
// Using are empty for CROSS and comma joins and for an inner or outer
// join written without either.
type Join struct {
	Pos
	Kind        JoinKind
	Natural     bool
	Left, Right From
	On          Expr
	Using       []Ident
}

func (*TableRef) fromNode()    {}
func (*SubqueryRef) fromNode() {}
func (*TableFunc) fromNode()   {}
func (*Join) fromNode()        {}

// Expr is an expression: *Literal, *IntervalLit, *DatetimeMinus, *Name,
// *Star, *Unary,
// *Binary, *IsExpr, *Between, *InList, *Like, *Case, *Cast, *Call or
// *Cursor.
type Expr interface {
	Node
	exprNode()
}

// Literal is a constant: a number, a string, a boolean, NULL, a binary
// string or a DATE/TIME/TIMESTAMP literal. Value holds it with its kind:
// INTEGER (or BIGINT when it does not fit), DECIMAL (Type carries
// precision and scale), DOUBLE (with an exponent), CHAR (a string
// literal, Type.Len its length; a U&'...' literal is decoded first),
// VARBINARY, BOOLEAN (UNKNOWN is a NULL BOOLEAN), Null (the NULL literal), DATE, TIME, TIMESTAMP. Text is the
// spelling of a number and the quoted text of a DATE, TIME or TIMESTAMP
// literal, as written (empty for other kinds).
type Literal struct {
	Pos
	Value sqltypes.Value
	Type  sqltypes.Type
	Text  string
}

// IntervalLit is [+|-] INTERVAL [+|-]'text' unit [(precision)] [TO unit
// [(precision)]]. Ms is its value in milliseconds (day-time units) and
// Months its value in months (YEAR and MONTH units); Negative is already
// applied to both.
type IntervalLit struct {
	Pos
	Negative    bool
	Text        string
	Unit        string // YEAR MONTH DAY HOUR MINUTE SECOND
	Precision   int    // 0: not written
	ToUnit      string // "" when there is no TO
	ToPrecision int
	Ms          int64
	Months      int64
}

// DatetimeMinus is (L - R) unit [(precision)] [TO unit [(precision)]]:
// the difference of two datetimes as an interval of that qualifier, e.g.
// (t1 - t2) MINUTE TO SECOND.
type DatetimeMinus struct {
	Pos
	L, R        Expr
	Unit        string
	Precision   int
	ToUnit      string
	ToPrecision int
}

// Name is a column reference, possibly qualified: ROWTIME, s.PRICE,
// t.rec.COLUMN1.
type Name struct {
	Pos
	Parts []Ident
}

// Star is * or qualifier.* in a select list.
type Star struct {
	Pos
	Qualifier []Ident
}

// Unary is -x, +x or NOT x (Op "-", "+", "NOT").
type Unary struct {
	Pos
	Op string
	X  Expr
}

// Binary is x op y with Op one of OR AND = <> < <= > >= || + - * / %
// (!= is read as <>). Pos is x's; OpPos is the operator's.
type Binary struct {
	Pos
	Op    string
	OpPos Pos
	L, R  Expr
}

// IsExpr is x IS [NOT] NULL|TRUE|FALSE|UNKNOWN (What).
type IsExpr struct {
	Pos
	X    Expr
	Not  bool
	What string
}

// Between is x [NOT] BETWEEN [SYMMETRIC] lo AND hi.
type Between struct {
	Pos
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// InList is x [NOT] IN (list).
type InList struct {
	Pos
	X    Expr
	List []Expr
	Not  bool
}

// Like is x [NOT] LIKE pattern [ESCAPE e], or SIMILAR TO when Similar.
type Like struct {
	Pos
	X, Pattern Expr
	Escape     Expr
	Not        bool
	Similar    bool
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END; Operand is nil
// in the searched form.
type Case struct {
	Pos
	Operand Expr
	Whens   []When
	Else    Expr
}

// When is one WHEN cond THEN result.
type When struct {
	Pos
	Cond, Result Expr
}

// Cast is CAST(x AS type).
type Cast struct {
	Pos
	X    Expr
	Type sqltypes.Type
}

// Call is a function call fn([DISTINCT] args) or fn(*), with an optional
// OVER window (Over.Base alone is OVER name). Name is upper case unless
// quoted. The special forms are normalized into plain calls:
//
//	SUBSTRING(s FROM a [FOR b])        SUBSTRING(s, a [, b])
//	POSITION(a IN b)                   POSITION(a, b)
//	TRIM([BOTH|LEADING|TRAILING] [c] FROM s)  TRIM('BOTH'|'LEADING'|'TRAILING', c or ' ', s)
//	OVERLAY(s PLACING r FROM p [FOR n])  OVERLAY(s, r, p [, n])
//	EXTRACT(field FROM x)              EXTRACT('FIELD', x)
//	FLOOR(x TO unit), CEIL(x TO unit)  FLOOR_TO(x, 'UNIT'), CEIL_TO(x, 'UNIT')
//	STEP(x BY y)                       STEP(x, y)
//
// CURRENT_ROW_TIMESTAMP, CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE,
// CURRENT_TIME and LOCALTIME written without parentheses are calls with
// no arguments. CEILING is read as CEIL.
type Call struct {
	Pos
	Name     Ident
	Args     []Expr
	Distinct bool
	Star     bool
	Over     *WindowSpec
}

// Cursor is CURSOR(query), the stream argument of a table function.
type Cursor struct {
	Pos
	Query Query
}

func (*Literal) exprNode()       {}
func (*IntervalLit) exprNode()   {}
func (*DatetimeMinus) exprNode() {}
func (*Name) exprNode()          {}
func (*Star) exprNode()          {}
func (*Unary) exprNode()         {}
func (*Binary) exprNode()        {}
func (*IsExpr) exprNode()        {}
func (*Between) exprNode()       {}
func (*InList) exprNode()        {}
func (*Like) exprNode()          {}
func (*Case) exprNode()          {}
func (*Cast) exprNode()          {}
func (*Call) exprNode()          {}
func (*Cursor) exprNode()        {}
