// Package sqlparse reads the streaming-SQL dialect of Kinesis Data
// Analytics for SQL into a syntax tree: CREATE STREAM, CREATE PUMP,
// CREATE VIEW and CREATE FUNCTION statements, and SELECT STREAM with its
// windows, joins and table functions. It only reads: names are resolved
// and types checked by the engine (package sqlengine), which reports its
// own errors as *Error at the positions kept in the tree.
//
// # Basics
//
// Parse reads application code, ParseQuery one query and ParseExpr one
// expression. The parser is written by hand, recursive descent over a
// token slice: no Go library reads SELECT STREAM, WINDOWED BY STAGGER,
// STEP(x BY interval) or TABLE(fn(CURSOR(...))), and a grammar generator
// would add a build step for a grammar of this size. Every node embeds
// the Pos (line and column, in characters, from 1) of its first token;
// every error is an *Error at the token that could not be read, with a
// message that names what was expected and what was found.
//
// Unquoted names fold to upper case; quoted ones keep their case and are
// marked Quoted. Keywords are case-insensitive. The words that start or
// end clauses (FROM, WHERE, WINDOW, OVER, RANGE, ...) are reserved: they
// cannot be unquoted names, which is how an alias without AS is told
// from the next clause.
//
// The keyword forms of a few functions become plain calls with a fixed
// argument order (see Call): SUBSTRING(s FROM a FOR b) is SUBSTRING(s, a,
// b), FLOOR(t TO MINUTE) is FLOOR_TO(t, 'MINUTE'), STEP(t BY i) is
// STEP(t, i), and so on, so that the engine sees one shape per function.
//
// The tree keeps what was written, even what the dialect rejects (a
// window ending in UNBOUNDED FOLLOWING, a GROUP BY without a ROWTIME
// term), so that the engine can reject it with a position and a reason.
//
// Format and (*Script).String write a tree back as SQL; parsing that text
// gives the same tree, positions aside (FuzzParse checks this).
//
// # Caveats
//
// Code is limited to MaxCodeLength characters (the API's limit) and
// nesting to MaxDepth levels; a long chain of operators (a + b + ...) is
// not nesting and is only bounded by the length.
//
// (a - b) followed by an interval unit is the datetime difference
// (DatetimeMinus), as the SQL reference writes it, never an alias named
// YEAR, MONTH, DAY, HOUR, MINUTE or SECOND: write AS before such an alias.
//
// Subqueries are read in FROM and CURSOR only: IN (SELECT ...), EXISTS
// and scalar subqueries are errors. INTERVAL leading-field precision is
// kept but not enforced ('100' DAY needs no DAY(3)). The OPTIONS and RENAME
// clauses of the SQLstream CREATE STREAM grammar are not read.
package sqlparse
