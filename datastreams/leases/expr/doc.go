// Package expr parses and evaluates DynamoDB expressions: condition and
// filter expressions, key condition expressions, projection expressions
// and update expressions.
//
// # Basics
//
// A Context holds a request's ExpressionAttributeNames and
// ExpressionAttributeValues and records which of them the request's
// expressions use. Parse each expression of the request through the same
// Context (ParseCondition, ParseKeyCondition, ParseProjection, ParseUpdate)
// and then call Context.CheckUnused: DynamoDB refuses a placeholder that is
// defined but not used, or used but not defined.
//
// Conditions evaluate against an item (nil = no item): Cond.Eval. An
// update applies to a copy of an item: Update.Apply. Paths are resolved at
// parse time (#name placeholders replaced), so evaluation needs no
// Context.
//
// Precedence follows DynamoDB: comparisons, BETWEEN, IN and functions bind
// tightest, then NOT, then AND, then OR; parentheses group. Keywords (AND,
// OR, NOT, BETWEEN, IN, SET, REMOVE, ADD, DELETE) are case-insensitive;
// function names are case-sensitive. Whitespace is optional between
// tokens ("SET #k0=:v0,#k1=:v1", "attribute_exists (wid)",
// "attribute_not_exists(x)AND y = :y").
//
// # Caveats
//
// Bare reserved words are accepted (DynamoDB refuses several hundred of
// them); no lease-table client depends on the refusal. Errors are *Error
// holding a message in DynamoDB's style and, for syntax errors, the byte
// position; the caller maps them to ValidationException.
package expr
