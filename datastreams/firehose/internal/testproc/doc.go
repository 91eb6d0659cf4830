// Package testproc runs the real servers that Firehose's tests deliver to
// (PostgreSQL, an S3-compatible server) as child processes of the test.
//
// # Basics
//
// Start starts a command with its output in a log file, stops it with the
// given signal when the test ends (killing it if it has not gone after 30
// seconds), and, on Linux, has the kernel signal it when the test binary
// dies before its cleanups run, so no server outlives a crashed test.
// FreePort picks a loopback port for it.
//
// # Caveats
//
// FreePort closes the port before the server opens it; another process
// could take it in between. The tests run on one machine that nothing
// else is binding ports on, where that does not happen.
package testproc
