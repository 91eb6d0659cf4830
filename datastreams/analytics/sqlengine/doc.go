// Package sqlengine plans and runs analytics application code: pumps
// between in-application streams, with filters and projections, tumbling,
// sliding and stagger windows, joins with reference tables and between
// streams, streaming ORDER BY, and the table functions
// TOP_K_ITEMS_TUMBLING, COUNT_DISTINCT_ITEMS_TUMBLING, RANDOM_CUT_FOREST,
// RANDOM_CUT_FOREST_WITH_EXPLANATION and HOTSPOTS.
//
// # Basics
//
// Compile parses the code (package sqlparse), resolves names (unquoted
// names arrive folded to upper case, quoted ones keep their case; input
// streams and reference tables are named as Env gives them), types every
// expression through the function library's Check (package sqlfunc), and
// enforces the rules of the dialect: a streaming GROUP BY has exactly one
// monotonic term (STEP or FLOOR of ROWTIME, or a MONOTONIC expression),
// selected columns are grouped or aggregated, no COUNT(DISTINCT) in
// streaming aggregation, sliding windows run from an offset PRECEDING to
// the current row without ORDER BY, a join of two streams has a window
// on at least one side, error_stream is reserved, a stream that a pump
// writes cannot be redefined, and every pump's target exists. Errors are
// *sqlparse.Error with the line and column at fault. An INSERT matches
// columns by its column list or by position and converts each with CAST
// (VARCHAR(n) truncates).
//
// A Program is immutable; NewRunner instantiates its operators. A Runner
// takes input rows (Push) in non-decreasing ROWTIME and bounds (Advance):
// a bound says no earlier row will come, and windows that end at or
// before it close. Push first advances to the row's ROWTIME. Within one
// advance the engine steps through the pending window ends in time order,
// upstream pumps first, so rows that several pumps emit into one stream
// reach it in ROWTIME order. Take returns what every stream the code
// creates, and error_stream, received since the last Take.
//
// Emission and ROWTIME, as decided for this engine:
//
//   - filter, projection, sliding windows: one row per input row, with
//     its ROWTIME; a RANGE window holds the rows less than its length
//     older than the current row (a row exactly that old has left), and
//     rows of equal ROWTIME that arrived before;
//   - tumbling GROUP BY: one row per group when the bound passes the
//     window's end, ROWTIME = the end (the reference's canonical reading);
//     a MONOTONIC term that is not ROWTIME-based closes its window when a
//     row with another value arrives, ROWTIME = the window's last row;
//   - stagger: a window per partition key opens with its first row and
//     emits one row at open + length;
//   - stream joins: a pair comes out when its later row arrives, with
//     that row's ROWTIME; an unmatched outer row when the other side can
//     no longer match it, at max(its ROWTIME, its window's end);
//   - streaming ORDER BY: rows are held while the leading ROWTIME
//     expression keeps its value and released sorted by the other terms;
//   - T-sort, ORDER BY <timestamp> WITHIN <interval>: the select list
//     must give the one ascending term AS ROWTIME; a row is held until
//     the watermark reaches its time plus the interval, then released in
//     (time, arrival) order with that time as its ROWTIME. A NULL time
//     drops the row (as the sqlref says); a row whose time is already
//     behind the released ones (later than the interval) goes to
//     error_stream as LateRow (the docs do not say; dropping it unseen
//     would hide data loss). The streams a T-sort pump writes lag the
//     watermark by its interval, and so do the windows of every pump
//     downstream (their bounds are the watermark less the lag), so a
//     window after a T-sort never closes before the sorted rows reach it;
//   - TOP_K_ITEMS_TUMBLING: the K most frequent values with exact counts
//     per window of ROWTIME, ties by first appearance, at the window's
//     end, as (the column, MOST_FREQUENT_VALUES BIGINT);
//     COUNT_DISTINCT_ITEMS_TUMBLING: one exact count
//     (NUMBER_OF_DISTINCT_ITEMS BIGINT) per window;
//   - RANDOM_CUT_FOREST: the cursor's columns plus ANOMALY_SCORE (and
//     ANOMALY_EXPLANATION, a JSON object keyed by column with
//     four-decimal strings); the forest is seeded from the pump's name so
//     that a replay scores alike;
//   - HOTSPOTS: the cursor's columns plus HOTSPOTS_RESULT, the dense
//     regions of the last windowSize rows (see hotspots.go for the
//     clustering this engine chose: AWS does not publish its algorithm).
//
// Every row carries an ID. A pump's output row's ID hashes the pump's name
// with the ID of what made it: the input row (filter, projection, sliding
// windows, ORDER BY, RCF), the window start and group key (tumbling,
// stagger, TOP_K), both rows (joins), the stream row and table row index
// (reference joins). A result computed again after a restart has the
// same ID, which is what lets the manager write each window's result
// exactly once.
//
// A runtime error (a failed conversion, division by zero, a bad function
// argument) never stops the runner: the row becomes an error_stream row
// (ERROR_TIME = the row's ROWTIME, so a replay makes the same one) and the
// pump goes on with the next row.
//
// Snapshot serializes the whole state (open windows and groups, sliding
// and join windows, stagger windows, ORDER BY buffers, the forests, the
// watermark and rows not yet taken) behind a version byte; NewRunner of
// the same program resumes from it so that the rest of the input gives
// exactly the output of an uninterrupted run. State is pruned as the
// watermark passes it, so memory is bounded by the windows.
//
// The engine is hand-written: a recursive-descent parser of our own
// (package sqlparse), expressions compiled to closures over
// sqltypes.Value, and streaming operators. No Go library parses SELECT
// STREAM, WINDOWED BY or the dialect's windows, and an embedded SQL
// engine such as DuckDB would still leave ROWTIME, watermarks, emit-once
// windows and snapshots to us while costing cgo and the static build.
//
// # Caveats
//
// SELECT STREAM DISTINCT groups on its whole select list like a GROUP
// BY (its first monotonic term is the window). A GROUP BY on a
// sub-query's monotonic column (ROWTIME selected as a column) closes its
// window when a row with another value arrives, not on a bound.
//
// ORDER BY ... WITHIN is accepted only in the outermost query of a pump
// or view (not in a sub-query, a cursor or over a UNION: there its rows
// would trail the pump's own watermark), needs a day-time INTERVAL
// literal, and does not insist that ROWTIME inside the term be qualified
// (the sqlref asks for s.ROWTIME). A stream written by a T-sort pump and
// by another pump gets their rows interleaved out of ROWTIME order.
//
// Not supported (rejected at Compile with a position): UNION other than UNION ALL, NATURAL and USING joins, VALUES as a stream, and a WINDOW clause's
// named window on a join side. VAR_*, STDDEV_*, FIRST_VALUE and
// LAST_VALUE over a sliding window are computed over the window's rows
// for each row (COUNT, SUM, AVG, MIN and MAX are kept incrementally). Sliding ROWS windows keep the last
// rows of every partition ever seen (their memory grows with the number
// of distinct partition keys, not with time). An idle bound releases an
// ORDER BY buffer only at its final value, not at intermediate window
// ends. TOP_K counts are exact, so memory per window grows with the
// distinct values in it. Snapshots do not hold reference tables: the
// manager sets them again.
package sqlengine
