// Command shardcast is a self-hosted Kinesis: one binary serving the
// Kinesis Data Streams API (and, as they land, video streams) over an
// embedded store in a data directory.
//
// # Basics
//
// Configuration is layered: built-in defaults, then a YAML file (--config),
// then SHARDCAST_<NAME> environment variables, then command-line flags; the
// result is validated before anything starts. main builds every part by
// hand (keyring, catalog, engine, HTTP router), starts the listeners, prints
// the URLs and, on SIGINT or SIGTERM, shuts down in reverse order.
//
// Safe by default: with no credentials configured, listener addresses
// without a host (":8080") bind 127.0.0.1 and an explicit host that reaches
// beyond the machine is refused at start, unless --insecure-open says to
// bind as asked (with a warning, repeated every hour while the server
// runs). One awsapi.Auth, built from the configured keys, authorizes the
// APIs, the plain HLS URLs and RTSP. --rtsps adds RTSP over TLS to the
// same RTSP server, with the certificate of --tls-cert (reloaded on SIGHUP
// for both).
//
// # Caveats
//
// This is the only package that reads flags, the environment or files
// named by the user; everything else receives its settings through
// constructors.
package main
