package testproc

import "syscall"

// withParentDeathSignal has the kernel send sig to the child when the test
// binary exits.
func withParentDeathSignal(a *syscall.SysProcAttr, sig syscall.Signal) { a.Pdeathsig = sig }
