//go:build !linux

package shard

import "os"

// syncData makes written data durable.
func syncData(f *os.File) error { return f.Sync() }

// preallocate is a no-op where fallocate is not available.
func preallocate(*os.File, int64) error { return nil }
