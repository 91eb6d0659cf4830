// Package attr is the DynamoDB attribute value: its wire JSON, numbers with
// 38 significant digits compared numerically, and the checks every value
// passes where it enters.
//
// # Basics
//
// A Value holds exactly one member (S, N, B, BOOL, NULL, M, L, SS, NS, BS).
// Its JSON form is the wire form: {"S":"x"}, {"N":"1.5"}, {"B":"AAE="},
// {"L":[]}. Decoding never fails on a semantically bad value (two members,
// an empty set, a malformed number); the fault is kept and reported by
// Validate, so the engine can answer a ValidationException with DynamoDB's
// wording instead of a JSON error. Item is one item: name -> value.
//
// Numbers are Num: sign, significant digits and a decimal exponent. Parse
// accepts what DynamoDB accepts ("5", "-0.5", "1.0E-4", "+3e2"), keeps 38
// significant digits at most and a magnitude in 1E-130 .. 9.99..E+125;
// Canon gives the stored text with leading and trailing zeroes trimmed
// and no exponent ("1.0E-4" -> "0.0001"). Compare is numeric.
//
// Size reports the bytes DynamoDB would count for an item (names plus
// values), for the 400 KB item limit and TableSizeBytes.
//
// # Caveats
//
// Size follows the published sizing rules, rounded the way they describe;
// it can differ from the service by a few bytes for numbers and nested
// documents. Errors are *Error values holding the message only: the caller
// chooses the wire error kind.
package attr
