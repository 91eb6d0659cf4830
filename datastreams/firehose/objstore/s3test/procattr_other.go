//go:build !linux

package s3test

import "syscall"

// withParentDeathSignal does nothing where there is no parent-death signal.
func withParentDeathSignal(*syscall.SysProcAttr, syscall.Signal) {}
