//go:build !linux

package testproc

import "syscall"

// withParentDeathSignal does nothing where there is no parent-death signal.
func withParentDeathSignal(*syscall.SysProcAttr, syscall.Signal) {}
