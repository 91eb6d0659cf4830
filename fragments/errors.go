package fragments

import "github.com/shardcast/shardcast/datastreams/registry"

// Errors the store returns for a caller's mistake are *registry.Error
// values of the registry's kinds; Error() of one is the message a client sees.

func errorf(kind error, format string, args ...any) error {
	return registry.Errorf(kind, format, args...)
}

func notFound() error {
	return errorf(registry.ErrResourceNotFound, "The requested stream is not found or not active.")
}
