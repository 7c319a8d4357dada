package testenv

import "syscall"

// nodeProcAttr makes a cluster node die with the test binary, even when a
// panic or a timeout kills the binary before the test's cleanup runs.
func nodeProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
