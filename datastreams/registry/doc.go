// Package registry is the one registry of streams that every kind of
// stream (data streams, video streams, and the kinds to come) is built on.
// It declares the Catalog that keeps stream definitions.
package registry
