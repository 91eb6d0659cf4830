// Package sqlfunc is the scalar function library of analytics
// applications: operators, CAST and coercion, the string, numeric,
// date-time and log-parsing functions of the Kinesis Data Analytics SQL
// reference, and the conversions between SQL values and the JSON and CSV
// of input and output records.
//
// # Basics
//
// New builds a Library; Lookup finds a Func by its upper-case name. The
// planner calls Func.Check once per call site with the argument types
// (and the values of constant arguments) and gets the result type or an
// error that names the function and the argument; the runtime calls
// Func.Eval per row with values of the checked types. An Eval error is a
// row error: the engine writes it to error_stream and goes on.
//
// The library is written by hand in Go, like the rest of the engine: the
// dialect's functions are small, their semantics (Java's number text,
// SimpleDateFormat patterns, Java regular expressions, the service's
// coercion table) are the service's own rather than any embedded
// engine's, and a pure-Go library keeps the static build.
//
// Operators are functions named by their symbol, with these argument
// conventions, which is how the parser's special syntax reaches the
// library:
//
//   - - * / %            two operands; numbers, datetime ± INTERVAL,
//     datetime - datetime (an INTERVAL), INTERVAL * n
//     NEG                  unary minus
//     = <> != < <= > >=    comparisons; NULL in gives NULL
//     AND OR NOT           three-valued logic
//     ||                   concatenation of strings or of binaries
//     LIKE                 (s, pattern[, escape])
//     SIMILAR TO           (s, pattern[, escape])
//     TRIM                 (s) or (mode, chars, s), mode 'BOTH' | 'LEADING' | 'TRAILING'
//     SUBSTRING            (s, start[, length])    for s FROM start FOR length
//     POSITION             (needle, haystack)      for needle IN haystack
//     OVERLAY              (s, r, p[, n])          for s PLACING r FROM p FOR n
//     EXTRACT              ('FIELD', x)            for EXTRACT(FIELD FROM x)
//     FLOOR, CEIL          (x) numeric, or (ts, 'UNIT') for FLOOR(ts TO UNIT)
//     FLOOR_TO, CEIL_TO    (ts, 'UNIT')
//     STEP                 (x, y)                  for STEP(x BY y)
//
// CAST is not a Func: the planner calls CanCast and the runtime Cast
// (which is also how an INSERT into a column of another type converts).
// IS NULL, CASE, IN and BETWEEN are the engine's; COALESCE and NULLIF
// are here as well, the engine may use them or its own.
//
// Numeric results follow the promotion order TINYINT < SMALLINT < INTEGER
// < BIGINT < DECIMAL < REAL < DOUBLE; arithmetic on integers gives at
// least INTEGER, is exact, truncates on division and fails on overflow;
// division (and %) by zero fails for every numeric kind
// (ErrDivisionByZero), which the service reports on error_stream.
//
// Time: TIMESTAMP, DATE and TIME are milliseconds in UTC (see sqltypes).
// The clock functions (CURRENT_ROW_TIMESTAMP, CURRENT_TIMESTAMP,
// LOCALTIMESTAMP, CURRENT_DATE, CURRENT_TIME, LOCALTIME) read Config.Now
// and are Volatile. The service fixes CURRENT_TIMESTAMP at the query's
// start; an engine that wants that evaluates it once per query.
//
// # Caveats
//
//   - Java regular expressions (REGEX_REPLACE, REGEX_LOG_PARSE) run on Go's
//     RE2: \p{Alpha}-style classes, \Z and possessive quantifiers are
//     translated (possessive read as greedy); back-references and
//     look-around are not supported and fail to compile. RE2's leftmost-
//     first matching gives Java's results for greedy and lazy
//     quantifiers.
//   - SimpleDateFormat: the letters G y M d D E u a H k K h m s S z Z X;
//     time zones are UTC; a two-digit year (yy) reads as 20yy, where Java
//     would pick a century around the current date.
//   - TSDIFF(start, end) is end - start in milliseconds (the reference
//     names the arguments but shows no example).
//   - DECIMAL is a float64 rounded to its scale (sqltypes), so sums of
//     many DECIMALs can drift in the last digit of 19.
//   - Text forms are decided, not observed: CAST to VARCHAR writes
//     TIMESTAMP as yyyy-MM-dd HH:mm:ss.SSS, REAL and DOUBLE as Java's
//     toString (84.51, 100.0, 1.0E10), BOOLEAN as TRUE/FALSE; ToJSON and
//     ToText write BOOLEAN as true/false and binaries as base64.
package sqlfunc
