// Package pgtest starts a real PostgreSQL server (Debian's postgresql
// package) for tests: the database that stands in for Amazon Redshift.
//
// # Basics
//
// Start runs initdb into a fresh directory, starts postgres on a free
// loopback port with its unix socket in that directory, waits until it
// accepts connections, and returns a connection string for the superuser
// "postgres" (password authentication over TCP). The server is stopped and
// its directory removed when the test ends.
//
// # Caveats
//
// PostgreSQL refuses to run as root: when the test runs as root, initdb and
// postgres run as the "postgres" system user, which the Debian package
// creates. A missing PostgreSQL fails the test with the command that
// installs it (make deps); it never skips.
package pgtest
