// Package rcf is a streaming random cut forest (Guha, Mishra, Roy and
// Schrijvers, "Robust random cut forest based anomaly detection on
// streams", ICML 2016) for anomaly scores, as RANDOM_CUT_FOREST and
// RANDOM_CUT_FOREST_WITH_EXPLANATION use it.
//
// # Basics
//
// A Forest holds Trees random cut trees, each built on its own sample of
// at most SampleSize points. A tree on a set of points cuts its bounding
// box in a dimension chosen with probability proportional to the box's
// range in it, at a value uniform in that range, and recurses on both
// sides until each point has a leaf. A point that is already in the
// sample adds to its leaf's mass instead. Inserting and deleting a point
// follow the paper: the tree that results is distributed as if it were
// built afresh on the new sample, so a stream can update a tree in place.
// Every node keeps its bounding box.
//
// Each tree samples the stream on its own (its own random source) with
// a time-decayed reservoir: point number n has weight e^(n/TimeDecay)
// and the sample is a weighted sample without replacement of those
// weights (A-Res, Efraimidis and Spirakis 2006). A point TimeDecay
// points older than another weighs 1/e as much, so TimeDecay is the
// horizon, in records, over which the forest remembers: with KDA's
// default of 100000 the sample is close to uniform over a stream shorter
// than that, and on a longer one leans to its last few hundred thousand
// records. A new point displaces the sample's lowest ranked
// point when it outranks it (always while the sample is filling).
//
// With ShingleSize s > 1 the forest keeps the last s records and treats
// their concatenation (Dimensions*s values, oldest first) as one point,
// so that it scores shapes in time rather than single values. The first
// s-1 records only fill the shingle and score 0.
//
// Update scores a point before adding it, as KDA reports. The first
// SampleSize points score 0 (the warm-up, while the samples fill). After
// that a tree's score of a point is the expected inverse of the depth at
// which the point would land if it were inserted: 1/(k+1) when a cut at
// depth k separates it from the box of the subtree there, and
// 1/(d+log2(m+1)) when it falls on a leaf of mass m at depth d that holds
// the same point (as if the copies formed a subtree). Going down, a box
// that does not hold the point separates it with probability (range the
// box would grow by)/(range of the grown box), and the walk follows the
// node's cut with the rest. The tree's score is multiplied by
// log2(sample size + 1) and the forest's is the trees' mean. This is the
// scale of KDA's reports: a point in a dense region of a sample of 256
// scores about 1 or below (0.8 for the developer guide's heart rates,
// 0.73 for its blood pressures, where KDA shows about 0.7), a point
// isolated near the root several times more, up to log2(257) ≈ 8. The
// paper's collusive displacement (CoDisp) ranks points much the same but
// on a scale that grows with the sample; we chose the inverse-depth score
// for KDA's scale, on which applications set their thresholds.
//
// UpdateExplain splits the score by where it comes from: each separation
// term goes to the dimensions in proportion to how far the point lies
// outside the box in each, on the HIGH side when the point is above the
// box and on the LOW side when below; a duplicate's term is split evenly
// over dimensions and sides. The parts sum to the score. With shingling,
// a column's attribution sums its parts over the shingle. A column's
// DIRECTION is its larger side (LOW on a tie, and in the warm-up), and
// its STRENGTH is how one-sided it is: |high - low| / (high + low), from
// 0 (no direction) to 1 (all on one side); 0 when the attribution is 0.
//
// The forest is deterministic given Seed: each tree has its own SplitMix64
// source seeded from it. MarshalBinary saves everything that decides
// future scores (samples with their priorities, trees, random sources,
// shingle, counters); a restored forest scores the next points exactly as
// the original would. UnmarshalBinary checks that the snapshot is a
// forest this package could have built and rejects anything else with an
// error.
//
// Why our own code: the forest must be Go without cgo, restore bit for
// bit from the engine's checkpoints, and keep allocations out of the
// per-row path. Nodes live in slices with free lists, indexed by int32;
// an internal node's cut, links and box are one record of adjacent
// float64 slots, so a level of a walk touches one or two cache lines.
// Scoring walks four trees in lockstep, without a branch on whether a box
// holds the point, so that their cache misses overlap. An update
// allocates nothing once the samples are full.
//
// # Caveats
//
// KDA's exact sampling, scoring and STRENGTH are not published; the
// choices above give its scale and behaviour, not its numbers. KDA also
// reports 0 "after some maintenance"; this forest never does after the
// warm-up.
//
// Memory is about Trees * SampleSize * 8 * (3*D + 7) bytes for D =
// Dimensions*ShingleSize: 3.3 MB for the defaults and 3 columns, but
// hundreds of megabytes at KDA's limits (30 columns, shingle 30).
//
// Values that are NaN or infinite make a point score 0 without being
// added; coordinates beyond ±1e100 are clamped so that ranges stay
// finite.
package rcf
