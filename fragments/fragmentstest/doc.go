// Package fragmentstest opens a durable video store for the tests of the
// packages that write and read video (ingest and its front ends, playback
// and WHEP): the file backend in a test's temporary directory, as a server
// with --storage file runs it, closed when the test ends.
package fragmentstest
