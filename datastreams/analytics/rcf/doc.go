// Package rcf is a streaming random cut forest (Guha et al., ICML 2016)
// for anomaly scores, as RANDOM_CUT_FOREST and
// RANDOM_CUT_FOREST_WITH_EXPLANATION use it.
package rcf
