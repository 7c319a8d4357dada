//go:build !linux

package testenv

import "syscall"

// nodeProcAttr returns nil: only Linux can make a child die with its
// parent, so elsewhere a node outlives a test binary that crashes.
func nodeProcAttr() *syscall.SysProcAttr { return nil }
