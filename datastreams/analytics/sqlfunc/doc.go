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
//	NEG                  unary minus
//	+ - * / %            two operands; numbers, datetime ± INTERVAL,
//	                     datetime - datetime (an INTERVAL), INTERVAL * n
//	= <> != < <= > >=    comparisons; NULL in gives NULL
//	AND OR NOT           three-valued logic
//	||                   concatenation of strings or of binaries
//	LIKE                 (s, pattern[, escape])
//	SIMILAR TO           (s, pattern[, escape])
//	TRIM                 (s) or (mode, char, s), mode 'BOTH' | 'LEADING' | 'TRAILING'
//	SUBSTRING            (s, start[, length])    for s FROM start FOR length
//	POSITION             (needle, haystack[, start])  for needle IN haystack
//	OVERLAY              (s, r, p[, n])          for s PLACING r FROM p FOR n
//	EXTRACT              ('FIELD', x)            for EXTRACT(FIELD FROM x)
//	FLOOR, CEIL          (x) numeric, or (ts, 'UNIT') for FLOOR(ts TO UNIT)
//	FLOOR_TO, CEIL_TO    (ts, 'UNIT')
//	STEP                 (x, y)                  for STEP(x BY y)
//
// The other functions: CHAR_LENGTH (CHARACTER_LENGTH), UPPER, LOWER,
// INITCAP, REGEX_REPLACE; ABS, CEIL (CEILING), FLOOR, EXP, LN, LOG10,
// MOD, POWER, SQRT; COALESCE, NULLIF; CURRENT_ROW_TIMESTAMP,
// CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE, CURRENT_TIME,
// LOCALTIME, TSDIFF, UNIX_TIMESTAMP, TO_TIMESTAMP; CHAR_TO_TIMESTAMP,
// CHAR_TO_DATE, CHAR_TO_TIME, TIMESTAMP_TO_CHAR, DATE_TO_CHAR,
// TIME_TO_CHAR; W3C_LOG_PARSE, VARIABLE_COLUMN_LOG_PARSE,
// FIXED_COLUMN_LOG_PARSE, REGEX_LOG_PARSE, FAST_REGEX_LOG_PARSER
// (FAST_REGEX_LOG_PARSE), SYS_LOG_PARSE.
//
// CAST is not a Func: the planner calls CanCast and the runtime Cast
// (which is also how an INSERT into a column of another type converts:
// strings truncate to a VARCHAR(n) or CHAR(n), CHAR pads with blanks,
// integers out of range and numbers that are not numbers are errors).
// IS NULL, CASE, IN and BETWEEN are the engine's; COALESCE and NULLIF are
// here, evaluated with their arguments already computed.
//
// Numeric results follow the promotion order TINYINT < SMALLINT < INTEGER
// < BIGINT < DECIMAL < REAL < DOUBLE; arithmetic on integers gives at
// least INTEGER, is exact, truncates on division and fails on overflow;
// division (and %, MOD) by zero fails for every numeric kind
// (ErrDivisionByZero), which the service reports on error_stream.
//
// The log-parse functions return a ROW whose Type.Fields name its columns
// (COLUMN1..n of VARCHAR(1024) unless a column list names and types
// them); their arguments after the first must be constants, since they
// decide that type. A line that does not have the expected shape gives a
// NULL row; a field that does not convert to its column's type is an
// error.
//
// Time: TIMESTAMP, DATE and TIME are milliseconds in UTC (see sqltypes).
// The clock functions read Config.Now and are Volatile, so the planner
// never folds them. The service fixes CURRENT_TIMESTAMP, LOCALTIMESTAMP,
// CURRENT_DATE, CURRENT_TIME and LOCALTIME when the query starts; those
// carry Func.QueryStart, for an engine that evaluates them once per run.
//
// Records: FromJSON follows the developer guide's JSON-to-SQL coercion
// table, FromText reads a CSV field (empty is NULL but for strings);
// ToJSON and ToText write output records. Written forms: BOOLEAN true and
// false; REAL and DOUBLE as Java's toString (84.51, 100.0, 1.0E10);
// DECIMAL with the digits it needs; DATE yyyy-MM-dd; TIME HH:mm:ss[.SSS];
// TIMESTAMP yyyy-MM-dd HH:mm:ss.SSS, the form the service's console and
// error stream show; binaries as base64, the JSON form of the reference's
// data-type table.
//
// # Caveats
//
//   - Java regular expressions (REGEX_REPLACE, REGEX_LOG_PARSE) run on Go's
//     RE2: \p{Alpha}-style classes, \Z and possessive quantifiers are
//     translated (possessive read as greedy); back-references and
//     look-around are not supported and are planning errors. RE2's
//     leftmost-first matching gives Java's groups for greedy and lazy
//     quantifiers. REGEX_LOG_PARSE matches the whole line (Java's
//     matches()), as the reference's examples (.*(...).*) assume.
//   - FAST_REGEX_LOG_PARSER's own pattern syntax is translated ("text",
//     @, #, <n-m> without its bounds) and matched lazily with RE2; its
//     & intersection and <name> patterns are not supported.
//   - W3C_LOG_PARSE types every column VARCHAR(1024) (the service picks a
//     number type for some directives); IIS is read as 15 comma-separated
//     fields.
//   - SimpleDateFormat: the letters G y M d D E u a H k K h m s S z Z X;
//     time zones are UTC; a two-digit year (yy) reads as 20yy, where Java
//     would pick a century around the current date; text after the
//     pattern is ignored, as Java's parse does.
//   - TSDIFF(start, end) is end - start in milliseconds (the reference
//     names the arguments but shows no example).
//   - DECIMAL is a float64 (sqltypes): CAST and record conversion round
//     it on its written digits to the declared scale, arithmetic keeps 15
//     significant digits; its text does not show trailing zeros of the
//     scale.
//   - Integer overflow is an error (a row on error_stream); the service,
//     a Java program, would wrap around.
//   - The text forms above are decided, not observed, where the
//     documentation shows none (CAST of a TIMESTAMP to VARCHAR, JSON of a
//     DOUBLE).
package sqlfunc
